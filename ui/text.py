"""How tasks, instants and durations read in the window."""

from __future__ import annotations

import re
import shlex
from datetime import datetime, timedelta, tzinfo
from collections.abc import Iterator, Mapping
from functools import cache

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from engine.model import Run, Task
from engine.timeparse import format_duration
from engine.timeparse import local_zone as _engine_local_zone


@cache
def local_zone() -> tzinfo:
    """The user's zone, looked up once: the lookup resolves /etc/localtime, too slow per paint."""
    return _engine_local_zone()


MANIFEST_PREFIX = "manifest:"  # engine.manifest.model.NAME_PREFIX: the unique names of manifest tasks


def task_title(task: Task) -> str:
    """The name if it has one, else what it runs; a manifest's task says so."""
    if task.spec.origin == "manifest":
        name = (task.name or command_text(task)).removeprefix(MANIFEST_PREFIX)
        return QCoreApplication.translate("Words", "{name} (manifest)").format(name=name)
    if task.name:
        return task.name
    return command_text(task)


def command_text(task: Task) -> str:
    spec = task.spec
    if spec.worker == "shell":
        return shlex.join(spec.args)
    if spec.worker == "reminder":
        return QCoreApplication.translate("Words", "remind: {message}").format(message=spec.args[0] if spec.args else "")
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
    stamp = instant.astimezone(local_zone()).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
    return QCoreApplication.translate("Words", "{time} (local)").format(time=stamp)


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
        return QCoreApplication.translate("Words", "in {span}").format(span=in_words(delta.total_seconds()))
    return QCoreApplication.translate("Words", "{span} ago").format(span=in_words(-delta.total_seconds()))


# ------------------------------------------------------------ plain words
# What a person reads in the window. The machine words (enqueued, ac-power, fire-once,
# ...) stay in --json, the command line and the contract.


class Words(Mapping[str, str]):
    """A machine word -> its plain words, translated when looked up (the translator is
    installed after this module is imported, and may change while the window runs)."""

    CONTEXT = "Words"

    def __init__(self, words: dict[str, str]) -> None:
        self._words = words

    def __getitem__(self, key: str) -> str:
        return QCoreApplication.translate(self.CONTEXT, self._words[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._words)

    def __len__(self) -> int:
        return len(self._words)


KIND_WORDS: Mapping[str, str] = Words({
    "immediate": QT_TRANSLATE_NOOP("Words", "Now"),
    "deferred": QT_TRANSLATE_NOOP("Words", "Later"),
    "exact": QT_TRANSLATE_NOOP("Words", "At a set time"),
})
STATE_WORDS: Mapping[str, str] = Words({
    "enqueued": QT_TRANSLATE_NOOP("Words", "waiting"),
    "blocked": QT_TRANSLATE_NOOP("Words", "waiting for another task"),
    "scheduled": QT_TRANSLATE_NOOP("Words", "scheduled"),
    "running": QT_TRANSLATE_NOOP("Words", "running"),
    "succeeded": QT_TRANSLATE_NOOP("Words", "done"),
    "failed": QT_TRANSLATE_NOOP("Words", "failed"),
    "cancelled": QT_TRANSLATE_NOOP("Words", "cancelled"),
    "unreadable": QT_TRANSLATE_NOOP("Words", "unreadable"),
})
CONSTRAINT_WORDS: Mapping[str, str] = Words({
    "network": QT_TRANSLATE_NOOP("Words", "A network connection"),
    "ac-power": QT_TRANSLATE_NOOP("Words", "Plugged into power"),
    "battery-not-low": QT_TRANSLATE_NOOP("Words", "Battery not low"),
    "storage-not-low": QT_TRANSLATE_NOOP("Words", "Enough free disk space"),
    "idle": QT_TRANSLATE_NOOP("Words", "You are away from the computer"),
    "background": QT_TRANSLATE_NOOP("Words", "Workdeck's window is closed"),
})
POLICY_WORDS: Mapping[str, str] = Words({
    "keep": QT_TRANSLATE_NOOP("Words", "keep it (add nothing)"),
    "replace": QT_TRANSLATE_NOOP("Words", "replace it"),
    "append": QT_TRANSLATE_NOOP("Words", "run this after it"),
    "append-or-replace": QT_TRANSLATE_NOOP("Words", "run this after it, or replace it if it failed"),
    "update": QT_TRANSLATE_NOOP("Words", "update it"),
})
MISSED_WORDS: Mapping[str, str] = Words({
    "fire-once": QT_TRANSLATE_NOOP("Words", "Run once, late"),
    "skip": QT_TRANSLATE_NOOP("Words", "Skip it"),
    "fire-all": QT_TRANSLATE_NOOP("Words", "Run every missed time"),
})
BACKOFF_WORDS: Mapping[str, str] = Words({
    "exponential": QT_TRANSLATE_NOOP("Words", "twice as long each time"),
    "linear": QT_TRANSLATE_NOOP("Words", "a little longer each time"),
})

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
        return QCoreApplication.translate("Words", "under a second") if seconds else _words("{s} s", s=0)
    whole = round(seconds)
    if whole < 60:
        return _words("{s} s", s=whole)
    minutes, secs = divmod(whole, 60)
    if minutes < 10 and secs:
        return _words("{min} min {s} s", min=minutes, s=secs)
    if minutes < 60:
        return _words("{min} min", min=minutes + (secs >= 30))
    hours, minutes = divmod(minutes + (secs >= 30), 60)
    if hours < 24:
        return _words("{h} h {min} min", h=hours, min=minutes) if minutes else _words("{h} h", h=hours)
    days, hours = divmod(hours + (minutes >= 30), 24)
    return _words("{d} d {h} h", d=days, h=hours) if hours else _words("{d} d", d=days)


def _words(pattern: str, **numbers: int) -> str:
    """``pattern`` (marked with QT_TRANSLATE_NOOP below) translated, then filled in."""
    return QCoreApplication.translate("Words", pattern).format(**numbers)


# The spans' patterns, for extraction: _words translates them by value.
_SPAN_PATTERNS = (
    QT_TRANSLATE_NOOP("Words", "{s} s"), QT_TRANSLATE_NOOP("Words", "{min} min {s} s"),
    QT_TRANSLATE_NOOP("Words", "{min} min"), QT_TRANSLATE_NOOP("Words", "{h} h {min} min"),
    QT_TRANSLATE_NOOP("Words", "{h} h"), QT_TRANSLATE_NOOP("Words", "{d} d {h} h"), QT_TRANSLATE_NOOP("Words", "{d} d"),
)
