"""The JSON form of tasks and runs (CONTRACT.md, "JSON of a task"): one place for it.

``workdeck show --json``, ``list --json``, ``add --json``, the owner's socket replies
and the window all render tasks here, so the form cannot drift between them.
The contract's keys are kept exactly; the extra keys (``worker``, ``spec``, ``why``,
``updated_at``, ``totals``; ``id``, ``stop_reason`` and ``detail`` per run) are additions, which
the contract allows.
"""

from __future__ import annotations

import json
from typing import Any

from engine.clock import iso
from engine.history.counters import totals_json
from engine.model import Kind, Run, State, Task


def run_json(run: Run) -> dict[str, Any]:
    return {
        "attempt": run.attempt,
        "due_at": iso(run.due_at),
        "fired_at": iso(run.fired_at),
        "started_at": iso(run.started_at),
        "ended_at": iso(run.ended_at),
        "outcome": run.outcome.value if run.outcome is not None else None,  # None while it runs
        "exit_code": run.exit_code,
        # additions
        "id": run.id,
        "stop_reason": run.stop_reason.value if run.stop_reason is not None else None,
        "detail": run.detail,
        "spawned_at": iso(run.spawned_at),  # when the command's process started (after fired_at)
    }


def start_gap(run: Run) -> str | None:
    """When an alarm's command started after its alarm fired (and how late the alarm
    fired), for the details: "alarm +0.4 ms, command +3.1 ms"; None for other runs."""
    if run.fired_at is None or run.due_at is None:
        return None
    fired = (run.fired_at - run.due_at).total_seconds() * 1000
    text = f"alarm {fired:+.1f} ms"
    if run.spawned_at is not None:
        text += f", command {(run.spawned_at - run.fired_at).total_seconds() * 1000:+.1f} ms after it"
    return text


def task_json(task: Task) -> dict[str, Any]:
    """A task as CONTRACT.md's object. ``runs`` is what ``task`` carries (load it with runs)."""
    if task.unreadable:
        return unreadable_json(task)
    spec = task.spec
    data: dict[str, Any] = {
        "id": task.id,
        "name": spec.name,
        "kind": spec.kind.value,
        "state": task.state.value,
        # a reminder's args are its message, not a command line
        "command": [] if spec.worker == "reminder" else list(spec.args),
        "tags": list(spec.tags),
        "attempts": task.attempts,
        "created_at": iso(task.created_at),
        "next_run_at": iso(task.next_run_at),
        "runs": [run_json(r) for r in task.runs],
        # additions
        "worker": spec.worker,
        "updated_at": iso(task.updated_at),
        "why": why(task),
        "spec": spec_json(task),
        # every run the task ever ended, counted as each ended: true after pruning,
        # whatever ``runs`` holds (the newest few, or none in ``list --json``)
        "totals": totals_json(task.totals),
    }
    if spec.worker == "reminder" and spec.args:
        data["message"] = spec.args[0]
    return data


def unreadable_json(task: Task) -> dict[str, Any]:
    """A quarantined row (engine.quarantine): the contract's keys, ``state`` "unreadable"
    and, as additions, ``unreadable`` (the reason) and ``stored`` (the row as stored,
    each column as it is). Keys whose value cannot be read are null; ``kind`` is the
    stored kind when it is a known one."""
    raw = task.raw or {}
    return {
        "id": task.id,
        "name": task.name,
        "kind": raw.get("kind") if raw.get("kind") in {k.value for k in Kind} else None,
        "state": task.state.value,
        "command": [],
        "tags": [],
        "attempts": task.attempts,
        "created_at": iso(task.created_at) if task.created_at.timestamp() else None,
        "next_run_at": iso(task.next_run_at),
        "runs": [run_json(r) for r in task.runs],
        # additions
        "worker": raw.get("worker"),
        "updated_at": iso(task.updated_at),
        "why": f"unreadable: {task.unreadable}",
        "unreadable": task.unreadable,
        "stored": raw,
    }


def spec_json(task: Task) -> dict[str, Any]:
    """The parts of the spec a person asks about in ``show``: how it is scheduled and retried."""
    spec = task.spec
    schedule = spec.schedule
    return {
        "run_at": iso(spec.run_at),
        "every": schedule.every if schedule else None,
        "cron": schedule.cron if schedule else None,
        "rrule": schedule.rrule if schedule else None,
        "tz": schedule.tz if schedule else None,
        "policy": spec.policy.value,
        "after": list(spec.after),
        "retries": spec.retry.max_retries,
        "backoff": spec.retry.backoff.value,
        "backoff_delay": spec.retry.delay,
        "timeout": spec.timeout,
        "requires": [c.value for c in spec.constraints],
        "missed": spec.missed.value,
        "keep_runs": spec.keep_runs,
        "keep_for": spec.keep_for,
        "output_limit": spec.output_limit,
    }


def why(task: Task) -> str | None:
    """One line on what an unfinished, not running task waits for; None otherwise."""
    spec = task.spec
    if task.state is State.BLOCKED:
        return f"waiting for {', '.join(spec.after)} to succeed"
    if task.state not in (State.ENQUEUED, State.SCHEDULED):
        return None
    parts = []
    if task.next_run_at is not None:
        parts.append(f"{'alarm at' if task.state is State.SCHEDULED else 'due'} {iso(task.next_run_at)}")
    if spec.constraints:
        parts.append("requires " + ", ".join(c.value for c in spec.constraints))
    return "; ".join(parts) or None


def dumps(data: Any) -> str:
    """Indented for a person reading the terminal; ``jq`` reads it just the same."""
    return json.dumps(data, indent=2, ensure_ascii=False)
