"""How tasks, instants and durations read in the window."""

from __future__ import annotations

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
    delta = instant - now
    if delta >= timedelta(0):
        return f"in {duration(delta.total_seconds())}"
    return f"{duration(-delta.total_seconds())} ago"
