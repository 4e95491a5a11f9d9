"""Rows Workdeck cannot read, and tables that are missing.

One task row with a spec that is not valid JSON, an unknown state or kind, a time that
is not a number must not take down ``list``, ``show``, ``export`` or the owner. Such a
row is *quarantined*: the store returns it as a :class:`~engine.model.Task` in state
``unreadable`` with the reason and the row as stored (``Task.unreadable``, ``Task.raw``),
so people see it, export it and can cancel or delete it; the dispatcher and the alarm
scheduler skip it (:meth:`engine.store.Store.due_page` and friends); everything else
keeps working. A run row that cannot be read is left out of the task's history.

A missing table is not a row: the store refuses the database at open with one line
naming the table (:func:`check_tables`).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from engine.clock import from_us
from engine.errors import DatabaseDamagedError, EnvironmentFaultError, WorkdeckError
from engine.history import counters
from engine.model import Kind, Run, State, Task, TaskSpec

log = logging.getLogger(__name__)

#: The tables every command needs (others' migrations may add more).
REQUIRED_TABLES = ("tasks", "tags", "deps", "runs", "output", "reminders")
#: What decoding a damaged row raises (BadSpecError is a WorkdeckError).
DECODE_ERRORS = (ValueError, TypeError, KeyError, AttributeError, OverflowError, WorkdeckError)


class UnreadableRowError(Exception):
    """A row the store cannot turn into a task or run; the message is the reason."""


class NeedsUpgradeError(EnvironmentFaultError):
    """A read-only open found an older schema (or none): reading never migrates."""

    def __init__(self, path: str, version: int, *, empty: bool) -> None:
        super().__init__(
            f"database {path} is from an older Workdeck (schema {version}) and cannot be upgraded here, "
            "because it is read-only: open it once where it can be written"
        )
        self.empty = empty


class Quarantine:
    """The unreadable rows a store has met, each logged once."""

    def __init__(self) -> None:
        self.rows: dict[str, str] = {}

    def note(self, what: str, reason: str, *, skipped: bool = True) -> None:
        """Remember an unreadable row; log it the first time the scheduler skips it."""
        if skipped and self.rows.get(what) != reason:
            log.warning("%s is unreadable and skipped: %s", what, reason)
        self.rows[what] = reason


def check_tables(path: str, tables: set[str]) -> None:
    missing = [t for t in REQUIRED_TABLES if t not in tables]
    if missing:
        names = ", ".join(missing)
        raise DatabaseDamagedError(
            f"database {path} is damaged: its table{'s' if len(missing) > 1 else ''} {names} "
            f"{'are' if len(missing) > 1 else 'is'} missing (changed outside Workdeck); restore it from a backup, "
            "or move it aside and Workdeck starts a new one"
        )


#: Decoded specs kept by their stored text (see :func:`_spec_of`).
SPEC_CACHE_SIZE = 1024


@functools.lru_cache(maxsize=SPEC_CACHE_SIZE)
def _spec_of(text: str) -> TaskSpec:
    """A stored spec's text as a TaskSpec, decoded once per distinct text while it stays
    in use: a periodic task's spec, or a backlog of the same command, is read again for
    every run, and decoding it was ~70 us of the engine's ~900 per run (issue 14). A
    TaskSpec is frozen and nothing changes its input in place, so runs share it.
    Unhashable or undecodable values raise, and are not kept."""
    return TaskSpec.from_json(json.loads(text))


def decode_task(row: Sequence[Any], runs: Sequence[Run]) -> Task:
    """A task row (store._TASK_COLUMNS) as a Task; UnreadableRowError saying why not."""
    task_id, spec, state, created_at, attempts, next_run_at, output, updated_at = row[:8]
    try:
        return Task(
            id=task_id,
            spec=_spec_of(spec),
            state=_stored_state(state),
            created_at=from_us(created_at),
            attempts=attempts,
            next_run_at=from_us(next_run_at) if next_run_at is not None else None,
            output=json.loads(output) if output else None,
            updated_at=from_us(updated_at) if updated_at is not None else None,
            runs=tuple(runs),
            totals=counters.totals_from_row(row[8:]),
        )
    except DECODE_ERRORS:
        raise UnreadableRowError(_diagnose(row)) from None


def _stored_state(value: Any) -> State:
    state = State(value)
    if state is State.UNREADABLE:  # never stored: a row claiming it is damaged
        raise ValueError(f"{value!r} is not a stored state")
    return state


def _diagnose(row: Sequence[Any]) -> str:
    """Why ``row`` cannot be read, field by field (only on the slow path)."""
    _, spec, state, created_at, attempts, next_run_at, output, updated_at = row[:8]
    try:
        data = json.loads(spec)
    except (TypeError, ValueError) as exc:
        return f"its spec is not valid JSON ({_short(exc)})"
    if not isinstance(data, dict):
        return f"its spec is JSON but not an object ({type(data).__name__})"
    try:
        TaskSpec.from_json(data)
    except DECODE_ERRORS as exc:
        return f"its spec cannot be read ({_short(exc)})"
    try:
        _stored_state(state)
    except ValueError:
        return f"unknown state {state!r}"
    for name, value in (("created_at", created_at), ("next_run_at", next_run_at), ("updated_at", updated_at)):
        if value is None and name != "created_at":
            continue
        try:
            from_us(value)
        except DECODE_ERRORS:
            return f"{name} is not a time ({value!r})"
    if not isinstance(attempts, int):
        return f"attempts is not a number ({attempts!r})"
    try:
        json.loads(output) if output else None
    except (TypeError, ValueError) as exc:
        return f"its output is not valid JSON ({_short(exc)})"
    return "it cannot be read"


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= 160 else text[:159] + "…"


def unreadable_task(raw: dict[str, Any], reason: str, runs: Sequence[Run]) -> Task:
    """The stand-in for an unreadable row: what can be read of it, state UNREADABLE."""
    raw = {k: repr(v) if isinstance(v, bytes) else v for k, v in raw.items()}  # JSON-able, as stored
    kind = _or_none(Kind, raw.get("kind"))
    name = raw.get("name") if isinstance(raw.get("name"), str) else None
    spec = TaskSpec(worker=str(raw.get("worker") or "?"), kind=kind or Kind.IMMEDIATE, name=name)
    return Task(
        id=str(raw.get("id")),
        spec=spec,
        state=State.UNREADABLE,
        created_at=_instant(raw.get("created_at")) or from_us(0),
        attempts=raw["attempts"] if isinstance(raw.get("attempts"), int) else 0,
        next_run_at=_instant(raw.get("next_run_at")),
        updated_at=_instant(raw.get("updated_at")),
        runs=tuple(runs),
        unreadable=reason,
        raw=raw,
    )


def _or_none(enum_type: Any, value: Any) -> Any:
    try:
        return enum_type(value)
    except ValueError:
        return None


def _instant(value: Any) -> datetime | None:
    try:
        return from_us(value) if value is not None else None
    except DECODE_ERRORS:
        return None


def decode_run(row: Sequence[Any]) -> Run:
    """A run row (store.RUN_COLUMNS) as a Run; UnreadableRowError saying why not."""
    from engine import store  # the one decoder of a run row; store imports this module

    try:
        return store.run_from_row(row)
    except DECODE_ERRORS as exc:
        raise UnreadableRowError(f"run {row[0]} of task {row[1]} cannot be read ({_short(exc)})") from None
