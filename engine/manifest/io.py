"""``workdeck export`` and ``workdeck import``: the user's tasks as a manifest and back.

Export writes the unfinished tasks the user made (not those of the manifest, which are
in the manifest already) as ``[tasks.NAME]`` tables, NAME being the task's unique name
or ``task-ID`` for a task without one. Import reads such a file with the same checks
as a manifest and adds each task once, under NAME as its unique name, with the policy
the file gives (``keep`` by default): a task whose name is already waiting or running
is kept, so importing the same file twice adds nothing the second time.

A file is one thing to two readers: as the manifest, an unscheduled task runs only when
a receiver starts it; imported, every task is added (and so runs) once. Receivers are
not imported: they belong in the manifest.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from engine.manifest.model import Manifest, ManifestError, load
from engine.manifest.text import toml_key, toml_value
from engine.platforms.shell_line import shell_line
from engine.model import FINISHED_STATES, Kind, MissedPolicy, Task, TaskSpec, UniquePolicy
from engine.timeparse import format_duration

_DEFAULT_GRACE = 3600.0


def export_key(task: Task) -> str:
    return task.name if task.name else f"task-{task.id}"


def export_manifest(tasks: Iterable[Task], now: datetime) -> str:
    """The user's unfinished tasks as manifest text (TOML)."""
    tasks = list(tasks)
    unreadable = [t for t in tasks if t.unreadable]
    chosen = [t for t in tasks if t.state not in FINISHED_STATES and t.spec.origin != "manifest" and not t.unreadable]
    keys = {t.id: export_key(t) for t in chosen}
    out = [
        f"# Workdeck tasks exported {now.astimezone(UTC).isoformat(timespec='seconds')}: {len(chosen)} tasks.",
        "# `workdeck import FILE` adds them (a task whose name is waiting or running is kept).",
        "version = 1",
    ]
    for task in chosen:
        out.append("")
        out.append(f"[tasks.{toml_key(keys[task.id])}]")
        for key, value, note in _task_lines(task, keys, now):
            if note:
                out.append(f"# {note}")
            if value is not None:
                out.append(f"{key} = {toml_value(value)}")
    for task in unreadable:
        out.extend(["", *unreadable_lines(task)])
    return "\n".join(out) + "\n"


def unreadable_lines(task: Task) -> list[str]:
    """A quarantined row (engine.quarantine) as comments: kept whole, as stored (one JSON
    value per column), for a person to repair; never imported as a task."""
    lines = [f"# unreadable task {task.id}: {task.unreadable}. Not exported as a task; its row as stored:"]
    for column, value in (task.raw or {}).items():
        lines.append(f"#   {column} = {json.dumps(value, ensure_ascii=False)}")
    return lines


def _task_lines(task: Task, keys: Mapping[str, str], now: datetime) -> list[tuple[str, Any, str | None]]:
    spec = task.spec
    lines: list[tuple[str, Any, str | None]] = []
    line = shell_line(spec.args) if spec.worker == "shell" else None
    if line is not None:  # /bin/sh -c LINE, or cmd /d /s /c LINE (Windows)
        lines += [("run", line, None), ("shell", True, None)]
    elif spec.worker == "shell":
        lines.append(("run", list(spec.args), None))
    else:
        lines += [("worker", spec.worker, None), ("args", list(spec.args), None)]
    if line is None and any("$" in a or a.startswith("~") for a in spec.args):
        # import expands $VAR and ~ in run and path arguments: `awk '{print $NF}'` came back
        # changed, or was refused ("$NF is not set")
        lines.append(("expand", False, None))
    lines.append(("kind", spec.kind.value, None))
    schedule = spec.schedule
    if schedule is not None:
        lines += [
            ("every", format_duration(schedule.every) if schedule.every else None, None),
            ("cron", schedule.cron, None),
            ("rrule", schedule.rrule, None),
            ("tz", schedule.tz, None),
            ("flex", format_duration(schedule.flex) if schedule.flex else None, None),
        ]
    anchors = schedule is not None and (schedule.every is not None or schedule.rrule is not None)
    if schedule is not None and schedule.anchor_wall is not None and anchors:
        # A start typed in a DST gap: the typed wall time (in tz), which import resolves
        # to the same instant and keeps for the later occurrences.
        lines.append(("at", schedule.anchor_wall, None))
    elif spec.run_at is not None and (spec.run_at > now or anchors):
        lines.append(("at", spec.run_at.astimezone(UTC).isoformat(), None))
    if spec.constraints:
        lines.append(("requires", [c.value for c in spec.constraints], None))
    if spec.retry.max_retries:
        lines += [
            ("retries", spec.retry.max_retries, None),
            ("backoff", spec.retry.backoff.value, None),
            ("backoff_delay", format_duration(spec.retry.delay), None),
        ]
    if spec.timeout is not None:
        lines.append(("timeout", format_duration(spec.timeout), None))
    if spec.tags:
        lines.append(("tags", list(spec.tags), None))
    parents = [keys[p] for p in spec.after if p in keys]
    if parents and schedule is None:
        lines.append(("after", parents, None))
    elif spec.after:
        lines.append(("after", None, "its chain (--after) is not exported: its parents finished or it repeats"))
    if spec.policy is not UniquePolicy.KEEP:
        lines.append(("policy", spec.policy.value, None))
    if spec.input:
        lines.append(("input", spec.input, None))
    if spec.kind is Kind.EXACT:
        if spec.missed is not MissedPolicy.FIRE_ONCE:
            lines.append(("missed", spec.missed.value, None))
        if spec.grace != _DEFAULT_GRACE:
            lines.append(("grace", format_duration(spec.grace), None))
        if spec.remind_before:
            lines.append(("remind_before", format_duration(spec.remind_before), None))
    if spec.keep_runs is not None:
        lines.append(("keep_runs", spec.keep_runs, None))
    if spec.keep_for is not None:
        lines.append(("keep_for", format_duration(spec.keep_for) if spec.keep_for else "0s", None))
    if spec.output_limit is not None:
        lines.append(("output_limit", spec.output_limit, None))
    return lines


@dataclass(frozen=True)
class Imported:
    key: str
    task: Task
    added: bool  # False: a task with that name was waiting or running and is kept


def import_manifest(engine: Any, path: str | Path, *, env: Mapping[str, str] | None = None) -> tuple[list[Imported], int]:
    """Add the tasks of the file at ``path``. Returns what happened to each, and how many
    receivers were ignored. Raises :class:`engine.manifest.model.ManifestError` before adding
    anything if the file has any problem."""
    manifest = load(path, now=engine.clock.now(), env=env)
    results: list[Imported] = []
    ids: dict[str, str] = {}
    for key in _in_dependency_order(manifest):
        definition = manifest.tasks[key]
        spec = _as_user_task(definition.spec, key).replace(after=tuple(ids[p] for p in definition.after))
        before = {t.id for t in engine.tasks(name=key) if t.state not in FINISHED_STATES}
        task: Task = engine.enqueue(spec)
        ids[key] = task.id
        results.append(Imported(key, task, added=task.id not in before))
    return results, len(manifest.receivers)


def import_reply(engine: Any, path: str | Path) -> dict[str, Any]:
    """:func:`import_manifest` as a reply of the owner's protocol (engine.ipc), which the
    command line's own path gives too: ``{"ok": true, "imported": [{"name", "id",
    "added"}], "receivers": N}``, or for a file with problems ``{"ok": false, "exit": 2,
    "problems": [one line each], "error": the first}``."""
    try:
        results, receivers = import_manifest(engine, path)
    except ManifestError as exc:
        problems = [str(p) for p in exc.problems]
        return {"ok": False, "exit": 2, "error": str(exc), "problems": problems}
    imported = [{"name": r.key, "id": r.task.id, "added": r.added} for r in results]
    return {"ok": True, "imported": imported, "receivers": receivers}


def _as_user_task(spec: TaskSpec, key: str) -> TaskSpec:
    return spec.replace(name=key, origin="user")


def _in_dependency_order(manifest: Manifest) -> list[str]:
    order: list[str] = []
    for key in manifest.tasks:
        for step in manifest.chain(key):
            if step.key not in order:
                order.append(step.key)
    return order
