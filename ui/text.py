"""How tasks, instants and durations read in the window."""

from __future__ import annotations

import re
import shlex
from datetime import datetime, timedelta, tzinfo
from functools import cache

from engine.model import Run, Task
from engine.timeparse import format_duration
from engine.timeparse import local_zone as _engine_local_zone


@cache
def local_zone() -> tzinfo:
    """The user's zone, looked up once: the lookup resolves /etc/localtime, too slow per paint."""
    return _engine_local_zone()


MANIFEST_PREFIX = "manifest:"  # engine.manifest.NAME_PREFIX: the unique names of manifest tasks


def task_title(task: Task) -> str:
    """The name if it has one, else what it runs; a manifest's task says so."""
    if task.spec.origin == "manifest":
        return f"{(task.name or command_text(task)).removeprefix(MANIFEST_PREFIX)} (manifest)"
    if task.name:
        return task.name
    return command_text(task)


def command_text(task: Task) -> str:
    spec = task.spec
    if spec.worker == "shell":
        return shlex.join(spec.args)
    if spec.worker == "reminder":
        return f"remind: {spec.args[0] if spec.args else ''}"
    return " ".join(spec.args) or spec.worker


def when(instant: datetime | None, now: datetime | None = None) -> str:
    """A local time, with the date only when it is not today."""
    if instant is None:
        return ""
    local = instant.astimezone(local_zone())
    today = (now or instant).astimezone(local_zone()).date()
    if local.date() == today:
        return local.strftime("%H:%M:%S")
    if abs((local.date() - today).days) < 7:
        return local.strftime("%a %H:%M:%S")
    return local.strftime("%Y-%m-%d %H:%M")


def full_time(instant: datetime | None) -> str:
    if instant is None:
        return "—"
    return instant.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " (local)"


def duration(seconds: float) -> str:
    if seconds < 0.001:
        return "0ms"
    if seconds < 10:
        return f"{seconds:.2f}s" if seconds >= 1 else f"{seconds * 1000:.0f}ms"
    return format_duration(seconds)


def run_duration(run: Run, now: datetime) -> float:
    end = run.ended_at or now
    return max(0.0, (end - run.started_at).total_seconds())


def relative(instant: datetime, now: datetime) -> str:
    """"in 8 s", "5 min ago": whole seconds, as a person reads a clock."""
    delta = instant - now
    if delta >= timedelta(0):
        return f"in {in_words(delta.total_seconds())}"
    return f"{in_words(-delta.total_seconds())} ago"


# ------------------------------------------------------------ plain words
# What a person reads in the window. The machine words (enqueued, ac-power, fire-once,
# ...) stay in --json, the command line and the contract.

KIND_WORDS: dict[str, str] = {"immediate": "Now", "deferred": "Later", "exact": "At a set time"}
STATE_WORDS: dict[str, str] = {
    "enqueued": "waiting", "blocked": "waiting for another task", "scheduled": "scheduled",
    "running": "running", "succeeded": "done", "failed": "failed", "cancelled": "cancelled",
    "unreadable": "unreadable",
}
CONSTRAINT_WORDS: dict[str, str] = {
    "network": "A network connection", "ac-power": "Plugged into power", "battery-not-low": "Battery not low",
    "storage-not-low": "Enough free disk space", "idle": "You are away from the computer",
    "background": "Workdeck's window is closed",
}
POLICY_WORDS: dict[str, str] = {
    "keep": "keep it (add nothing)", "replace": "replace it", "append": "run this after it",
    "append-or-replace": "run this after it, or replace it if it failed", "update": "update it",
}
MISSED_WORDS: dict[str, str] = {
    "fire-once": "Run once, late", "skip": "Skip it", "fire-all": "Run every missed time",
}
BACKOFF_WORDS: dict[str, str] = {"exponential": "twice as long each time", "linear": "a little longer each time"}

#: Command-line spellings in the engine's refusals, as the form's fields are labelled.
_FIELD_WORDS: tuple[tuple[str, str], ...] = (
    (r"\(--at\)", "(At)"), (r"--every, --cron or an RRULE", "one repeat rule"), (r"--after\b", "Run after"),
    (r"--policy\b", "If a task with this name exists:"), (r"--every\b", "Repeat every"), (r"--cron\b", "Cron"),
    (r"--at\b", "At"), (r"--in\b", "Delay"), (r"--retries\b", "Retry after failure"),
    (r"--timeout\b", "Stop after"), (r"--name\b", "Name"), (r"--tag\b", "Tags"), (r"--requires\b", "Only when"),
    (r"remind-before", "Remind before"), (r"\bRRULE\b", "repeat rule"),
)


def plain_refusal(message: str) -> str:
    """An engine refusal in the form's own terms: no command-line syntax, no `workdeck …` examples."""
    message = re.sub(r": give it after --, e\.g\. workdeck add -- .*$", ": fill in Program", message)
    message = re.sub(r",? e\.g\. workdeck .*$", "", message)
    for pattern, words in _FIELD_WORDS:
        message = re.sub(pattern, words, message)
    return message[:1].upper() + message[1:]


def in_words(seconds: float) -> str:
    """A span as a person says it: "8 s", "5 min", "2 h 5 min", "3 d 4 h"."""
    seconds = abs(seconds)
    if seconds < 1:
        return "under a second" if seconds else "0 s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 10 and secs:
        return f"{minutes} min {secs} s"
    if minutes < 60:
        return f"{minutes + (secs >= 30)} min"
    hours, minutes = divmod(minutes + (secs >= 30), 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours + (minutes >= 30), 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
