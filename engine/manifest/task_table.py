"""One ``[tasks.NAME]`` table of a manifest compiled to a :class:`~engine.manifest.model.TaskDef`.

The work (``run`` or ``worker``), the schedule (``every``/``cron``/``rrule``/``at``),
retries, retention and the rest of a task's keys; what the keys mean is documented in
:mod:`engine.manifest.model`. Receivers' alarms reuse :func:`parse_schedule`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from engine import recurrence, workers
from engine.checks import check_text
from engine.errors import BadInputError
from engine.history import limits
from engine.manifest.checker import Checker, or_default, type_name
from engine.manifest.model import TaskDef, clock_time, find_executable, task_name, worker_attr, worker_names
from engine.manifest.text import PathKey
from engine.model import (
    MAX_RETRIES,
    MAX_SECONDS,
    Backoff,
    Constraint,
    Kind,
    MissedPolicy,
    RetryPolicy,
    Schedule,
    TaskSpec,
    UniquePolicy,
    check_data_size,
)
from engine.platforms.shell_line import shell_argv
from engine.timeparse import local_zone, local_zone_name, resolve_local, zone

TASK_KEYS = {
    "run", "shell", "worker", "args", "kind", "every", "cron", "rrule", "at", "tz", "flex", "requires",
    "retries", "backoff", "backoff_delay", "timeout", "tags", "after", "policy", "input", "missed",
    "grace", "remind_before", "description", "keep_runs", "keep_for", "output_limit", "expand",
}


def parse_task(check: Checker, key: str, table: dict[str, Any], path: PathKey) -> TaskDef:
    check.unknown_keys(table, TASK_KEYS, path, "a task")
    worker, args = _parse_work(check, table, path)
    schedule, run_at, default_kind = parse_schedule(check, table, path)
    kind = check.choice(table, "kind", path, Kind) or default_kind
    if kind is Kind.IMMEDIATE and (schedule or run_at):
        raise check.error((*path, "kind"), "a scheduled task is deferred or exact, not immediate")
    if kind is Kind.EXACT and not (schedule or run_at):
        raise check.error((*path, "kind"), "an exact task needs at = ... or cron = ...")
    constraints = list(worker_attr(worker, "implied_constraints"))
    for i, name in enumerate(check.strings(table, "requires", path) or []):
        try:
            constraints.append(Constraint(name))
        except ValueError:
            choices = ", ".join(c.value for c in Constraint)
            raise check.error((*path, "requires", i), f"unknown constraint {name!r} (choose from {choices})") from None
    retries = check.typed(table, "retries", path, (int,), "an integer")
    if retries is not None and retries < 0:
        raise check.error((*path, "retries"), "must be 0 or more")
    if retries is not None and retries > MAX_RETRIES:
        raise check.error((*path, "retries"), f"must be at most {MAX_RETRIES}")
    retry = RetryPolicy(
        max_retries=retries or 0,
        backoff=check.choice(table, "backoff", path, Backoff) or Backoff.EXPONENTIAL,
        delay=check.duration(table, "backoff_delay", path, positive=False) or 30.0,
    )
    data = check.typed(table, "input", path, (dict,), "a table") or {}
    try:
        check_data_size(data, "input")
        _json_only(data)
    except (BadInputError, TypeError) as exc:
        raise check.error((*path, "input"), str(exc)) from None
    check.string(table, "description", path)
    retention = _parse_retention(check, table, path)
    try:
        spec = TaskSpec(
            worker=worker,
            args=tuple(args),
            kind=kind,
            name=task_name(key),
            policy=check.choice(table, "policy", path, UniquePolicy) or UniquePolicy.KEEP,
            tags=tuple(check.strings(table, "tags", path) or ()),
            retry=retry,
            timeout=check.duration(table, "timeout", path),
            constraints=tuple(constraints),
            input=data,
            run_at=run_at,
            schedule=schedule,
            missed=check.choice(table, "missed", path, MissedPolicy) or MissedPolicy.FIRE_ONCE,
            grace=or_default(check.duration(table, "grace", path, positive=False), 3600.0),
            remind_before=or_default(check.duration(table, "remind_before", path, positive=False), 0.0),
            origin="manifest",
            **retention,
        )
        check_text(spec)
    except BadInputError as exc:
        raise check.error(path, str(exc)) from None
    after = tuple(check.strings(table, "after", path) or ())
    return TaskDef(key=key, spec=spec, after=after, line=check.lines.line(path))


def _parse_retention(check: Checker, table: dict[str, Any], path: PathKey) -> dict[str, Any]:
    """``keep_runs = 500``, ``keep_for = "90d"``, ``output_limit = "4M"`` (or bytes): the task's own retention."""
    found: dict[str, Any] = {}
    try:
        keep_runs = check.typed(table, "keep_runs", path, (int,), "an integer")
        if keep_runs is not None:
            found["keep_runs"] = limits.check_keep_runs(keep_runs)
        keep_for = check.duration(table, "keep_for", path, positive=False)
        if keep_for is not None:
            found["keep_for"] = limits.check_keep_for(keep_for)
        size = check.typed(table, "output_limit", path, (int, str), "a size such as \"2M\" or a number of bytes")
        if size is not None:
            found["output_limit"] = limits.check_output_limit(size if isinstance(size, int) else limits.parse_size(size))
    except BadInputError as exc:
        key = next((k for k in ("output_limit", "keep_for", "keep_runs") if k in table and k not in found), None)
        raise check.error((*path, key) if key else path, str(exc)) from None
    return found


def _json_only(data: Any) -> None:
    if isinstance(data, dict):
        for value in data.values():
            _json_only(value)
    elif isinstance(data, list):
        for value in data:
            _json_only(value)
    elif not isinstance(data, str | int | float | bool) and data is not None:
        raise TypeError(f"input data must be JSON: {type_name(data)} values are not allowed")


def _parse_work(check: Checker, table: dict[str, Any], path: PathKey) -> tuple[str, list[str]]:
    has_run, has_worker = "run" in table, "worker" in table
    if has_run and has_worker:
        raise check.error((*path, "worker"), "give run = [...] (a command) or worker = \"...\", not both")
    if not has_run and not has_worker:
        raise check.error(path, 'a task needs run = ["command", "arg", ...] or worker = "..."')
    shell = check.typed(table, "shell", path, (bool,), "true or false") or False
    # expand = false: strings as written (what export writes for a command with a $ or ~)
    verbatim = check.typed(table, "expand", path, (bool,), "true or false") is False
    if has_worker:
        if "shell" in table:
            raise check.error((*path, "shell"), "shell applies to run, not to a worker")
        return _parse_worker(check, table, path, verbatim=verbatim)
    if "args" in table:
        raise check.error((*path, "args"), "args go with worker = ...; put a command's arguments in run")
    run = table["run"]
    if shell:
        if not isinstance(run, str) or not run.strip():
            raise check.error((*path, "run"), "with shell = true, run must be one command line (a string)")
        return "shell", shell_argv(run)  # /bin/sh -c; cmd /d /s /c on Windows
    if isinstance(run, str):
        raise check.error(
            (*path, "run"),
            'must be an argv array such as ["rsync", "-a", "src/", "dst/"]; '
            "a command line string needs shell = true written explicitly",
        )
    argv = check.strings(table, "run", path) or []
    if not argv or not argv[0]:
        raise check.error((*path, "run"), "must name a command")
    if not verbatim:
        argv = [check.expanded(a, (*path, "run", i)) for i, a in enumerate(argv)]
    if find_executable(argv[0], check.env) is None:
        where = "no such executable file" if "/" in argv[0] else "not found on PATH"
        raise check.error((*path, "run", 0), f"command {argv[0]!r}: {where}")
    return "shell", argv


def _parse_worker(check: Checker, table: dict[str, Any], path: PathKey, *,
                  verbatim: bool = False) -> tuple[str, list[str]]:
    name = check.string(table, "worker", path)
    assert name is not None
    known = worker_names()
    if name not in known:
        raise check.error((*path, "worker"), f"unknown worker {name!r} (known: {', '.join(known)})")
    args = check.strings(table, "args", path) or []
    for i in worker_attr(name, "path_args"):
        if i < len(args) and not verbatim:
            args[i] = check.expanded(args[i], (*path, "args", i))
    try:
        workers.get(name).validate(args)
    except BadInputError as exc:
        raise check.error((*path, "args"), str(exc)) from None
    for i in worker_attr(name, "source_args"):
        if i < len(args) and not os.path.exists(args[i]):
            raise check.error((*path, "args", i), f"path does not exist: {args[i]}")
    for i in worker_attr(name, "dest_args"):
        parent = os.path.dirname(os.path.abspath(args[i])) if i < len(args) else None
        if parent is not None and not os.path.isdir(args[i]) and not os.path.isdir(parent):
            raise check.error((*path, "args", i), f"folder does not exist: {parent}")
    return name, args


def parse_schedule(
    check: Checker, table: dict[str, Any], path: PathKey
) -> tuple[Schedule | None, datetime | None, Kind]:
    every = check.duration(table, "every", path)
    cron = check.string(table, "cron", path)
    rrule = check.string(table, "rrule", path)
    tz_name = check.string(table, "tz", path)
    flex = check.duration(table, "flex", path, positive=False)
    if tz_name is not None:
        try:
            zone(tz_name)
        except BadInputError as exc:
            raise check.error((*path, "tz"), str(exc)) from None
    run_at, cron, is_clock = _parse_at(check, table, path, cron, tz_name, repeats=every is not None or rrule is not None)
    rules = [k for k, v in (("every", every), ("cron", cron), ("rrule", rrule)) if v is not None]
    if len(rules) > 1 and not is_clock:
        raise check.error((*path, rules[1]), f"give one repeat rule, not {' and '.join(rules)}")
    if flex is not None and every is None:
        raise check.error((*path, "flex"), "flex applies to every = ...")
    schedule = None
    if rules or (is_clock and cron):
        anchor_wall = _anchor_wall(table.get("at"), run_at, tz_name) if every is not None or rrule else None
        if anchor_wall is not None and tz_name is None:
            tz_name = local_zone_name()  # the wall time is in this zone: keep it with the rule
        try:
            schedule = Schedule(every=every, cron=cron, rrule=rrule, tz=tz_name, flex=flex, anchor_wall=anchor_wall)
            recurrence.validate(schedule)
        except BadInputError as exc:
            key = "at" if is_clock else ("cron" if cron else "rrule" if rrule else "every")
            raise check.error((*path, key), str(exc)) from None
    elif tz_name is not None and run_at is None:
        raise check.error((*path, "tz"), "tz applies to cron, rrule or at")
    return schedule, run_at, Kind.EXACT if "at" in table else Kind.DEFERRED


def _anchor_wall(value: Any, run_at: datetime | None, tz_name: str | None) -> str | None:
    """A local ``at`` that falls in a DST gap, as typed: the rule's later occurrences keep
    it (engine.recurrence); None when ``at`` has an offset or exists as typed."""
    if run_at is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    if not isinstance(value, datetime) or value.tzinfo is not None:
        return None
    tz = zone(tz_name) if tz_name else local_zone()
    return value.isoformat() if run_at.astimezone(tz).replace(tzinfo=None) != value else None


def _parse_at(
    check: Checker, table: Mapping[str, Any], path: PathKey, cron: str | None, tz_name: str | None, *, repeats: bool
) -> tuple[datetime | None, str | None, bool]:
    """``at``: an instant -> run_at; a time of day -> a daily cron. Returns (run_at, cron, is_clock)."""
    value = table.get("at")
    if value is None:
        return None, cron, False
    key = (*path, "at")
    of_day = clock_time(value)
    if of_day is not None:
        if cron is not None or repeats:
            raise check.error(key, "a time of day already repeats daily; give a full date-time with every/rrule")
        if of_day.second or of_day.microsecond:
            raise check.error(key, "a daily time is HH:MM (cron has no seconds)")
        return None, f"{of_day.minute} {of_day.hour} * * *", True
    tz = zone(tz_name) if tz_name else local_zone()
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise check.error(key, f'{value!r} is neither a time of day ("07:30") nor an ISO date-time') from None
    else:
        raise check.error(key, f"must be a date-time or a time of day, not {type_name(value)}")
    try:
        instant = parsed.astimezone(UTC) if parsed.tzinfo else resolve_local(parsed.replace(tzinfo=tz))
        if abs((instant - check.now).total_seconds()) > MAX_SECONDS:
            raise OverflowError
    except OverflowError:
        raise check.error(key, f"{value} is out of range: at most 100 years from now") from None
    if instant <= check.now and not (repeats or cron):
        raise check.error(key, f"{instant.isoformat()} has passed; a one-time task needs a future instant")
    return instant, cron, False
