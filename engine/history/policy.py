"""The global retention policy, kept in the database's ``settings`` table so that
``serve``, the window and the command line all read the same one.

A task's own ``keep_runs``/``keep_for``/``output_limit`` (TaskSpec) override it key by
key. The rule: a run is kept if it is one of its task's newest ``keep_runs``, OR it
ended within ``keep_for``, OR it is the task's last failure, OR it has not ended.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, replace
from typing import Any

from engine.history.limits import (
    DEFAULT_KEEP_FOR,
    DEFAULT_KEEP_RUNS,
    DEFAULT_OUTPUT_LIMIT,
    check_keep_for,
    check_keep_runs,
    check_output_limit,
    format_size,
)
from engine.model import TaskSpec
from engine.timeparse import format_duration

_KEYS = {"keep_runs": "retention.keep_runs", "keep_for": "retention.keep_for", "output_limit": "retention.output_limit"}


@dataclass(frozen=True)
class RetentionPolicy:
    keep_runs: int = DEFAULT_KEEP_RUNS
    keep_for: float = DEFAULT_KEEP_FOR  # seconds
    output_limit: int = DEFAULT_OUTPUT_LIMIT  # bytes per run

    def __post_init__(self) -> None:
        check_keep_runs(self.keep_runs)
        check_keep_for(self.keep_for)
        check_output_limit(self.output_limit)

    def for_spec(self, spec: TaskSpec) -> RetentionPolicy:
        """This policy with the task's own settings in place of the global ones."""
        if spec.keep_runs is None and spec.keep_for is None and spec.output_limit is None:
            return self
        return RetentionPolicy(
            keep_runs=self.keep_runs if spec.keep_runs is None else spec.keep_runs,
            keep_for=self.keep_for if spec.keep_for is None else spec.keep_for,
            output_limit=self.output_limit if spec.output_limit is None else spec.output_limit,
        )

    def describe(self) -> str:
        return (f"keep every run of the last {format_duration(self.keep_for) if self.keep_for else '0s'} "
                f"and at least the newest {self.keep_runs} of each task, always the last failure; "
                f"output per run: {format_size(self.output_limit)}")

    def to_json(self) -> dict[str, Any]:
        return {"keep_runs": self.keep_runs, "keep_for": self.keep_for, "output_limit": self.output_limit}


def load_policy(conn: sqlite3.Connection) -> RetentionPolicy:
    """The global policy: the defaults with whatever the settings table overrides."""
    rows = dict(conn.execute(
        f"SELECT key, value FROM settings WHERE key IN ({','.join('?' * len(_KEYS))})", list(_KEYS.values())
    ).fetchall())
    values: dict[str, Any] = {}
    for field, key in _KEYS.items():
        if key in rows:
            values[field] = json.loads(rows[key])
    return RetentionPolicy(**values)


def save_policy(conn: sqlite3.Connection, policy: RetentionPolicy, **changes: Any) -> RetentionPolicy:
    """Store ``policy`` with ``changes`` applied (checked first: bad values write nothing).
    Call inside a transaction. Returns the new policy."""
    new = replace(policy, **changes)
    conn.executemany(
        "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        [(_KEYS[field], json.dumps(getattr(new, field))) for field in changes],
    )
    return new
