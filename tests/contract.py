"""CONTRACT.md's JSON of a task, as checks the CLI and e2e tests share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

TASK_KEYS = {"id", "name", "kind", "state", "command", "tags", "attempts", "created_at", "next_run_at", "runs"}
RUN_KEYS = {"attempt", "due_at", "fired_at", "started_at", "ended_at", "outcome", "exit_code"}
KINDS = {"immediate", "deferred", "exact"}
STATES = {"enqueued", "blocked", "scheduled", "running", "succeeded", "failed", "cancelled"}
OUTCOMES = {"succeeded", "failed", "interrupted", "cancelled", "timed_out", None}


def assert_instant(value: Any, *, nullable: bool = False) -> None:
    if value is None and nullable:
        return
    assert isinstance(value, str), value
    parsed = datetime.fromisoformat(value)
    assert parsed.utcoffset() is not None and parsed.utcoffset().total_seconds() == 0, value  # UTC
    assert len(value.split(".")[1].split("+")[0]) == 6, f"{value}: instants carry microseconds"


def assert_task_json(task: dict[str, Any]) -> None:
    """Every key of the contract is there with the contract's type (additions are allowed)."""
    assert TASK_KEYS <= task.keys(), TASK_KEYS - task.keys()
    assert isinstance(task["id"], str) and task["id"]
    assert task["name"] is None or isinstance(task["name"], str)
    assert task["kind"] in KINDS and task["state"] in STATES
    assert isinstance(task["command"], list) and all(isinstance(a, str) for a in task["command"])
    assert isinstance(task["tags"], list) and isinstance(task["attempts"], int)
    assert_instant(task["created_at"])
    assert_instant(task["next_run_at"], nullable=True)
    for run in task["runs"]:
        assert RUN_KEYS <= run.keys(), RUN_KEYS - run.keys()
        assert isinstance(run["attempt"], int) and run["attempt"] >= 1
        assert_instant(run["started_at"])
        for key in ("due_at", "fired_at", "ended_at"):
            assert_instant(run[key], nullable=True)
        assert run["outcome"] in OUTCOMES
        assert run["exit_code"] is None or isinstance(run["exit_code"], int)
