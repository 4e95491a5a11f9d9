"""Checking a parsed manifest against the schema and compiling it to task specs.

The schema is documented in :mod:`engine.manifest.model`. Every finding is collected (not
just the first) so one ``workdeck manifest check`` shows all that is wrong; each names
the file, the line and the key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime, time
from typing import Any

from engine import recurrence
from engine.errors import BadInputError
from engine.history import limits
from engine.manifest.model import (
    DEFAULT_DEBOUNCE,
    MANIFEST_VERSION,
    Problem,
    ReceiverDef,
    TaskDef,
    Trigger,
    UnsetVariableError,
    clock_time,
    expand,
    find_executable,
    task_name,
    worker_attr,
    worker_names,
)
from engine.manifest.text import KeyLines, PathKey, format_key
from engine.platforms.shell_line import shell_argv
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
from engine.checks import check_text
from engine.timeparse import local_zone, local_zone_name, parse_duration, resolve_local, zone
from engine import workers

TOP_KEYS = {"version", "tasks", "receivers"}
TASK_KEYS = {
    "run", "shell", "worker", "args", "kind", "every", "cron", "rrule", "at", "tz", "flex", "requires",
    "retries", "backoff", "backoff_delay", "timeout", "tags", "after", "policy", "input", "missed",
    "grace", "remind_before", "description", "keep_runs", "keep_for", "output_limit",
}
RECEIVER_KEYS = {"on", "start", "name", "description"}
TRIGGER_KEYS: dict[Trigger, set[str]] = {
    Trigger.APP_START: set(),
    Trigger.POWER_CONNECTED: set(),
    Trigger.POWER_DISCONNECTED: set(),
    Trigger.NETWORK_AVAILABLE: set(),
    Trigger.USER_IDLE: {"minutes"},
    Trigger.FILE_CHANGED: {"path", "debounce"},
    Trigger.ALARM: {"cron", "at", "tz", "missed", "grace"},
}
_TYPE_NAMES = {
    str: "a string", int: "an integer", float: "a number", bool: "true or false", list: "an array",
    dict: "a table", datetime: "a date-time", time: "a time",
}
_MISSING = object()


def _type_name(value: Any) -> str:
    for python_type, name in _TYPE_NAMES.items():
        if type(value) is python_type:
            return name
    return type(value).__name__


class _Invalid(Exception):
    """A value already reported; stop compiling this table."""


class _Checker:
    def __init__(
        self, file: str, lines: KeyLines, problems: list[Problem], now: datetime, env: Mapping[str, str]
    ) -> None:
        self.file, self.lines, self.problems, self.now, self.env = file, lines, problems, now, env
        self.declared: set[str] = set()

    def error(self, path: PathKey, message: str) -> _Invalid:
        self.problems.append(Problem(self.file, self.lines.line(path), format_key(path), message))
        return _Invalid()

    # ------------------------------------------------------------ typed values

    def typed(self, table: Mapping[str, Any], key: str, path: PathKey, kinds: tuple[type, ...], what: str) -> Any:
        value = table.get(key, _MISSING)
        if value is _MISSING:
            return None
        # bool is an int in Python; TOML keeps them apart, so do we.
        if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
            raise self.error((*path, key), f"must be {what}, not {_type_name(value)}")
        return value

    def string(self, table: Mapping[str, Any], key: str, path: PathKey) -> str | None:
        value = self.typed(table, key, path, (str,), "a string")
        if value is not None and not value.strip():
            raise self.error((*path, key), "must not be empty")
        return value  # type: ignore[no-any-return]

    def strings(self, table: Mapping[str, Any], key: str, path: PathKey, *, one_ok: bool = False) -> list[str] | None:
        value = table.get(key, _MISSING)
        if value is _MISSING:
            return None
        if one_ok and isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            wanted = "a string or an array of strings" if one_ok else "an array of strings"
            raise self.error((*path, key), f"must be {wanted}, not {_describe(value)}")
        return value

    def duration(self, table: Mapping[str, Any], key: str, path: PathKey, *, positive: bool = True) -> float | None:
        value = self.typed(table, key, path, (str, int, float), 'a duration such as "90s" or "1h30m"')
        if value is None:
            return None
        try:
            seconds = float(value) if not isinstance(value, str) else parse_duration(value)
        except BadInputError as exc:
            raise self.error((*path, key), str(exc)) from None
        if not seconds >= 0 or (positive and seconds == 0):  # NaN included
            raise self.error((*path, key), f"must be {'positive' if positive else 'zero or more'}")
        if seconds > MAX_SECONDS:
            raise self.error((*path, key), "must be at most 100 years (36525d)")
        return seconds

    def choice(self, table: Mapping[str, Any], key: str, path: PathKey, enum_type: type[Any]) -> Any:
        value = self.string(table, key, path)
        if value is None:
            return None
        try:
            return enum_type(value)
        except ValueError:
            choices = ", ".join(m.value for m in enum_type)
            raise self.error((*path, key), f"unknown value {value!r} (choose from {choices})") from None

    def expanded(self, text: str, path: PathKey) -> str:
        try:
            return expand(text, self.env)
        except UnsetVariableError as exc:
            raise self.error(path, str(exc)) from None

    def unknown_keys(self, table: Mapping[str, Any], allowed: set[str], path: PathKey, what: str) -> None:
        for key in table:
            if key not in allowed:
                raise self.error((*path, key), f"unknown key in {what} (known: {', '.join(sorted(allowed))})")


def _describe(value: Any) -> str:
    if isinstance(value, list):
        bad = next((v for v in value if not isinstance(v, str)), None)
        return f"an array holding {_type_name(bad)}" if bad is not None else "an array"
    return _type_name(value)


# ---------------------------------------------------------------- the document


def parse_document(
    doc: dict[str, Any], file: str, lines: KeyLines, problems: list[Problem], *, now: datetime, env: Mapping[str, str]
) -> tuple[dict[str, TaskDef], list[ReceiverDef]]:
    check = _Checker(file, lines, problems, now, env)
    for key in doc:
        if key not in TOP_KEYS:
            check.error((key,), "unknown top-level key (known: receivers, tasks, version)")
    version = doc.get("version", MANIFEST_VERSION)
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        check.error(("version",), f"must be a positive integer, not {version!r}")
    elif version > MANIFEST_VERSION:
        check.error(("version",), f"version {version} is newer than this Workdeck reads ({MANIFEST_VERSION}); update Workdeck")
    raw_tasks = doc.get("tasks", {})
    tasks = _parse_tasks(check, raw_tasks)
    # Tasks that failed are reported once; references to them are not errors again.
    check.declared = set(raw_tasks) if isinstance(raw_tasks, dict) else set()
    _check_chains(check, tasks)
    receivers = _parse_receivers(check, doc.get("receivers", []), tasks)
    return tasks, receivers


def _parse_tasks(check: _Checker, raw: Any) -> dict[str, TaskDef]:
    if not isinstance(raw, dict):
        check.error(("tasks",), f"must be a table of tasks ([tasks.NAME]), not {_type_name(raw)}")
        return {}
    tasks: dict[str, TaskDef] = {}
    for key, table in raw.items():
        path: PathKey = ("tasks", key)
        if not isinstance(table, dict):
            check.error(path, f"must be a table ([tasks.{key}]), not {_type_name(table)}")
            continue
        try:
            tasks[key] = _parse_task(check, key, table, path)
        except _Invalid:
            continue
    return tasks


def _parse_task(check: _Checker, key: str, table: dict[str, Any], path: PathKey) -> TaskDef:
    check.unknown_keys(table, TASK_KEYS, path, "a task")
    worker, args = _parse_work(check, table, path)
    schedule, run_at, default_kind = _parse_schedule(check, table, path)
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
            grace=_default(check.duration(table, "grace", path, positive=False), 3600.0),
            remind_before=_default(check.duration(table, "remind_before", path, positive=False), 0.0),
            origin="manifest",
            **retention,
        )
        check_text(spec)
    except BadInputError as exc:
        raise check.error(path, str(exc)) from None
    after = tuple(check.strings(table, "after", path) or ())
    return TaskDef(key=key, spec=spec, after=after, line=check.lines.line(path))


def _parse_retention(check: _Checker, table: dict[str, Any], path: PathKey) -> dict[str, Any]:
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


def _default(value: float | None, default: float) -> float:
    return default if value is None else value


def _json_only(data: Any) -> None:
    if isinstance(data, dict):
        for value in data.values():
            _json_only(value)
    elif isinstance(data, list):
        for value in data:
            _json_only(value)
    elif not isinstance(data, str | int | float | bool) and data is not None:
        raise TypeError(f"input data must be JSON: {_type_name(data)} values are not allowed")


def _parse_work(check: _Checker, table: dict[str, Any], path: PathKey) -> tuple[str, list[str]]:
    has_run, has_worker = "run" in table, "worker" in table
    if has_run and has_worker:
        raise check.error((*path, "worker"), "give run = [...] (a command) or worker = \"...\", not both")
    if not has_run and not has_worker:
        raise check.error(path, 'a task needs run = ["command", "arg", ...] or worker = "..."')
    shell = check.typed(table, "shell", path, (bool,), "true or false") or False
    if has_worker:
        if "shell" in table:
            raise check.error((*path, "shell"), "shell applies to run, not to a worker")
        return _parse_worker(check, table, path)
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
    argv = [check.expanded(a, (*path, "run", i)) for i, a in enumerate(argv)]
    if find_executable(argv[0], check.env) is None:
        where = "no such executable file" if "/" in argv[0] else "not found on PATH"
        raise check.error((*path, "run", 0), f"command {argv[0]!r}: {where}")
    return "shell", argv


def _parse_worker(check: _Checker, table: dict[str, Any], path: PathKey) -> tuple[str, list[str]]:
    name = check.string(table, "worker", path)
    assert name is not None
    known = worker_names()
    if name not in known:
        raise check.error((*path, "worker"), f"unknown worker {name!r} (known: {', '.join(known)})")
    args = check.strings(table, "args", path) or []
    for i in worker_attr(name, "path_args"):
        if i < len(args):
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


def _parse_schedule(
    check: _Checker, table: dict[str, Any], path: PathKey
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
    check: _Checker, table: Mapping[str, Any], path: PathKey, cron: str | None, tz_name: str | None, *, repeats: bool
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
        raise check.error(key, f"must be a date-time or a time of day, not {_type_name(value)}")
    try:
        instant = parsed.astimezone(UTC) if parsed.tzinfo else resolve_local(parsed.replace(tzinfo=tz))
        if abs((instant - check.now).total_seconds()) > MAX_SECONDS:
            raise OverflowError
    except OverflowError:
        raise check.error(key, f"{value} is out of range: at most 100 years from now") from None
    if instant <= check.now and not (repeats or cron):
        raise check.error(key, f"{instant.isoformat()} has passed; a one-time task needs a future instant")
    return instant, cron, False


# ---------------------------------------------------------------- chains


def _check_chains(check: _Checker, tasks: dict[str, TaskDef]) -> None:
    for key, task in list(tasks.items()):
        path: PathKey = ("tasks", key, "after")
        for i, parent in enumerate(task.after):
            if parent not in tasks:
                if parent not in check.declared:
                    check.error((*path, i), f"no task {parent!r} in [tasks]")
            elif task.standing:
                check.error(path, "a scheduled task cannot wait for others; start its chain from a receiver")
            elif tasks[parent].standing:
                check.error((*path, i), f"{parent!r} has a schedule; a chain is made of unscheduled tasks")
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(key: str, trail: list[str]) -> None:
        state[key] = 1
        for parent in tasks[key].after:
            if parent not in tasks:
                continue
            if state.get(parent) == 1:
                cycle = trail[trail.index(parent):] + [parent]
                check.error(("tasks", key, "after"), f"tasks form a cycle: {' -> '.join(cycle)}")
            elif state.get(parent) is None:
                visit(parent, [*trail, parent])
        state[key] = 2

    for key in tasks:
        if key not in state:
            visit(key, [key])


# ---------------------------------------------------------------- receivers


def _parse_receivers(check: _Checker, raw: Any, tasks: dict[str, TaskDef]) -> list[ReceiverDef]:
    if isinstance(raw, dict):
        items: list[tuple[PathKey, str, Any]] = [(("receivers", k), k, v) for k, v in raw.items()]
    elif isinstance(raw, list):
        items = [(("receivers", i), f"receivers[{i}]", v) for i, v in enumerate(raw)]
    else:
        check.error(("receivers",), f"must be [[receivers]] tables, not {_type_name(raw)}")
        return []
    receivers = []
    for path, label, table in items:
        if not isinstance(table, dict):
            check.error(path, f"must be a table, not {_type_name(table)}")
            continue
        try:
            receivers.append(_parse_receiver(check, table, path, label, tasks))
        except _Invalid:
            continue
    return receivers


def _parse_receiver(
    check: _Checker, table: dict[str, Any], path: PathKey, label: str, tasks: dict[str, TaskDef]
) -> ReceiverDef:
    trigger_name = check.string(table, "on", path)
    if trigger_name is None:
        raise check.error(path, f'a receiver needs on = "..." ({", ".join(t.value for t in Trigger)})')
    try:
        trigger = Trigger(trigger_name)
    except ValueError:
        raise check.error((*path, "on"), f"unknown trigger {trigger_name!r} (choose from {', '.join(t.value for t in Trigger)})") from None
    check.unknown_keys(table, RECEIVER_KEYS | TRIGGER_KEYS[trigger], path, f'an "{trigger}" receiver')
    if isinstance(path[-1], int):
        label = check.string(table, "name", path) or label
    elif "name" in table:
        raise check.error((*path, "name"), "a [receivers.NAME] table is named by its header")
    check.string(table, "description", path)
    start = check.strings(table, "start", path, one_ok=True)
    if not start:
        raise check.error((*path, "start") if start is not None else path, 'a receiver needs start = "task" (a name from [tasks])')
    for key in start:
        if key not in tasks:
            if key in check.declared:
                raise _Invalid()  # that task's own error is reported
            raise check.error((*path, "start"), f"no task {key!r} in [tasks]")
        if tasks[key].standing:
            raise check.error((*path, "start"), f"{key!r} has a schedule; a receiver starts only unscheduled tasks")
    line = check.lines.line(path)
    if trigger is Trigger.USER_IDLE:
        minutes = check.typed(table, "minutes", path, (int, float), "a number of minutes")
        if minutes is None or minutes <= 0:
            raise check.error((*path, "minutes") if minutes is not None else path, "user-idle needs minutes = N (more than 0)")
        return ReceiverDef(label, trigger, tuple(start), line, minutes=float(minutes))
    if trigger is Trigger.FILE_CHANGED:
        raw_path = check.string(table, "path", path)
        if raw_path is None:
            raise check.error(path, 'file-changed needs path = "..." (a file or a folder)')
        watched = os.path.abspath(check.expanded(raw_path, (*path, "path")))
        if not os.path.exists(watched):
            raise check.error((*path, "path"), f"path does not exist: {watched}")
        debounce = check.duration(table, "debounce", path, positive=False)
        return ReceiverDef(label, trigger, tuple(start), line, path=watched, debounce=_default(debounce, DEFAULT_DEBOUNCE))
    if trigger is Trigger.ALARM:
        return ReceiverDef(label, trigger, tuple(start), line, alarms=_alarm_specs(check, table, path, start, tasks))
    return ReceiverDef(label, trigger, tuple(start), line)


def _alarm_specs(
    check: _Checker, table: dict[str, Any], path: PathKey, start: list[str], tasks: dict[str, TaskDef]
) -> tuple[TaskSpec, ...]:
    if ("cron" in table) == ("at" in table):
        raise check.error(path, 'an alarm needs cron = "..." or at = "HH:MM" (or a date-time), one of them')
    schedule, run_at, _ = _parse_schedule(check, table, path)
    when = table.get("cron") or (run_at.isoformat() if run_at else str(table.get("at")))
    specs = []
    for key in start:
        if tasks[key].after:
            raise check.error((*path, "start"), f"{key!r} has prerequisites (after); an alarm starts a single task")
        template = tasks[key].spec
        specs.append(
            template.replace(
                kind=Kind.EXACT,
                name=f"{template.name}@alarm {when}",
                schedule=schedule,
                run_at=run_at,
                missed=check.choice(table, "missed", path, MissedPolicy) or template.missed,
                grace=_default(check.duration(table, "grace", path, positive=False), template.grace),
                policy=UniquePolicy.REPLACE,
            )
        )
    return tuple(specs)
