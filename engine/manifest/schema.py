"""A parsed manifest document checked against the schema and compiled to task specs.

This is the document's level: the top-level keys and ``version``, the ``[tasks]``
table (each task compiled by :mod:`engine.manifest.task_table`), the chains their
``after`` keys make, and the receivers with their triggers and alarms. The schema is
documented in :mod:`engine.manifest.model`. Every finding is collected (not just the
first; :mod:`engine.manifest.checker` words them) so one ``workdeck manifest check``
shows all that is wrong; each names the file, the line and the key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from engine.manifest.checker import Checker, Invalid, or_default, type_name
from engine.manifest.model import DEFAULT_DEBOUNCE, MANIFEST_VERSION, Problem, ReceiverDef, TaskDef, Trigger
from engine.manifest.task_table import parse_schedule, parse_task
from engine.manifest.text import KeyLines, PathKey
from engine.model import Kind, MissedPolicy, TaskSpec, UniquePolicy

TOP_KEYS = {"version", "tasks", "receivers"}
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


def parse_document(
    doc: dict[str, Any], file: str, lines: KeyLines, problems: list[Problem], *, now: datetime, env: Mapping[str, str]
) -> tuple[dict[str, TaskDef], list[ReceiverDef]]:
    check = Checker(file, lines, problems, now, env)
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


def _parse_tasks(check: Checker, raw: Any) -> dict[str, TaskDef]:
    if not isinstance(raw, dict):
        check.error(("tasks",), f"must be a table of tasks ([tasks.NAME]), not {type_name(raw)}")
        return {}
    tasks: dict[str, TaskDef] = {}
    for key, table in raw.items():
        path: PathKey = ("tasks", key)
        if not isinstance(table, dict):
            check.error(path, f"must be a table ([tasks.{key}]), not {type_name(table)}")
            continue
        try:
            tasks[key] = parse_task(check, key, table, path)
        except Invalid:
            continue
    return tasks



# ---------------------------------------------------------------- chains


def _check_chains(check: Checker, tasks: dict[str, TaskDef]) -> None:
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


def _parse_receivers(check: Checker, raw: Any, tasks: dict[str, TaskDef]) -> list[ReceiverDef]:
    if isinstance(raw, dict):
        items: list[tuple[PathKey, str, Any]] = [(("receivers", k), k, v) for k, v in raw.items()]
    elif isinstance(raw, list):
        items = [(("receivers", i), f"receivers[{i}]", v) for i, v in enumerate(raw)]
    else:
        check.error(("receivers",), f"must be [[receivers]] tables, not {type_name(raw)}")
        return []
    receivers = []
    for path, label, table in items:
        if not isinstance(table, dict):
            check.error(path, f"must be a table, not {type_name(table)}")
            continue
        try:
            receivers.append(_parse_receiver(check, table, path, label, tasks))
        except Invalid:
            continue
    return receivers


def _parse_receiver(
    check: Checker, table: dict[str, Any], path: PathKey, label: str, tasks: dict[str, TaskDef]
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
                raise Invalid()  # that task's own error is reported
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
        return ReceiverDef(label, trigger, tuple(start), line, path=watched, debounce=or_default(debounce, DEFAULT_DEBOUNCE))
    if trigger is Trigger.ALARM:
        return ReceiverDef(label, trigger, tuple(start), line, alarms=_alarm_specs(check, table, path, start, tasks))
    return ReceiverDef(label, trigger, tuple(start), line)


def _alarm_specs(
    check: Checker, table: dict[str, Any], path: PathKey, start: list[str], tasks: dict[str, TaskDef]
) -> tuple[TaskSpec, ...]:
    if ("cron" in table) == ("at" in table):
        raise check.error(path, 'an alarm needs cron = "..." or at = "HH:MM" (or a date-time), one of them')
    schedule, run_at, _ = parse_schedule(check, table, path)
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
                grace=or_default(check.duration(table, "grace", path, positive=False), template.grace),
                policy=UniquePolicy.REPLACE,
            )
        )
    return tuple(specs)
