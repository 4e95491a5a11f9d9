"""The store's tasks: their rows, their moves from state to state, the scheduler's queries.

:class:`TaskRecords` is mixed into :class:`engine.store.Store`, which gives it its
connection, its quarantine and (from :class:`engine.store.runs.RunRecords`) the task's
runs. A claim (a state change that expects a state) checks that it changed one row, so
two processes can never both start the same task; the loser gets :class:`StaleTaskError`.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from engine import quarantine
from engine.clock import to_us
from engine.errors import EnvironmentFaultError, NoSuchTaskError
from engine.history import counters
from engine.model import Kind, Outcome, Run, RunTotals, State, Task, TaskSpec, transition
from engine.quarantine import Quarantine

_TASK_COLUMNS = "id, spec, state, created_at, attempts, next_run_at, output, updated_at, " + counters.COLUMNS
#: A task's new updated_at: now, but always later than the one it replaces, so that
#: (state, updated_at) tells every write apart (see Store.task_stamp), even two in the
#: same clock tick.
_LATER = "MAX(?, COALESCE(updated_at + 1, 0))"
#: A spec's stored JSON (compact separators). Made once: json.dumps with any option
#: but the defaults builds an encoder per call (1.2 us of a durable enqueue, issue 14).
#: No check for circular references (3.5 against 4.0 us a spec): to_json builds the
#: form afresh, and the one part of it a caller hands in, the input, was encoded whole
#: when the spec was made (check_data_size), which refuses a cycle. (An input changed
#: into a cycle after that would still fail, with RecursionError.)
_spec_json = json.JSONEncoder(separators=(",", ":"), check_circular=False).encode
_STORED_STATES = frozenset(s.value for s in State if s is not State.UNREADABLE)
#: What tasks_kind_due holds (a partial index since schema 10, engine.schema): tasks
#: waiting for their time. A due query names its state as a literal: bound as a
#: parameter, it makes SQLite prepare the statement again at every run to see whether
#: the partial index applies (15.8 against 4.6 us a due query, measured).
_WAITING_SQL = "state = 'enqueued' OR state = 'scheduled'"
_WAITING = {State.ENQUEUED: "'enqueued'", State.SCHEDULED: "'scheduled'"}


def _move_sql(counted: bool, stamped: bool, returning: bool) -> str:
    """TaskRecords.move's UPDATE: with the run's count (``counted``), with the stamp
    check, reading the row back in the same statement (counters.HAS_RETURNING)."""
    sets = ("state = :state, next_run_at = :next, attempts = COALESCE(:attempts, attempts), "
            "output = COALESCE(:output, output), updated_at = MAX(:now, COALESCE(updated_at + 1, 0))")
    read_back = " RETURNING state, updated_at"
    if counted:
        sets += ", " + counters.COUNT_SET
        read_back += ", " + counters.COLUMNS
    where = " WHERE id = :id AND state = :was"
    if stamped:
        where += " AND updated_at IS :stamp"
    return "UPDATE tasks SET " + sets + where + (read_back if returning else "")


#: Made once, not at each move (two a run): building the end's text, and hashing it
#: anew for sqlite3's statement cache, cost 1.1 us (9.4 against 8.3 us measured, issue 14).
_MOVE_SQL = {flags: _move_sql(*flags) for flags in itertools.product((False, True), repeat=3)}


def _waiting(state: State) -> str:
    """``state`` as the SQL literal a due query names (see _WAITING_SQL)."""
    try:
        return _WAITING[state]
    except KeyError:
        raise ValueError(f"due queries ask for enqueued or scheduled tasks, not {state.value}") from None


class StaleTaskError(EnvironmentFaultError):
    """A claim lost a race: the task changed under us. Reload and decide again."""


class TaskRecords:
    """Tasks' rows. Every write here runs inside the caller's :meth:`Store.transaction`."""

    conn: sqlite3.Connection
    quarantine: Quarantine

    if TYPE_CHECKING:  # RunRecords' (defined here at run time, they would hide its own)

        def runs(self, task_id: str, *, newest: int | None = None) -> list[Run]: ...

        def _runs_by_task(self, task_ids: Sequence[str]) -> dict[str, list[Run]]: ...

    def insert_task(self, task: Task) -> None:
        """Insert a new task, its tags and its parents. Call inside :meth:`transaction`."""
        spec = task.spec
        created_at = to_us(task.created_at)
        self.conn.execute(
            "INSERT INTO tasks (id, name, kind, worker, state, created_at, updated_at, next_run_at, attempts, spec) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                task.id,
                spec.name,
                spec.kind.value,
                spec.worker,
                task.state.value,
                created_at,
                created_at,
                to_us(task.next_run_at) if task.next_run_at else None,
                task.attempts,
                _spec_json(spec.to_json(compact=True)),
            ),
        )
        if spec.tags:
            self.conn.executemany("INSERT INTO tags (task_id, tag) VALUES (?, ?)", [(task.id, t) for t in spec.tags])
        if spec.after:
            self.conn.executemany(
                "INSERT INTO deps (task_id, parent_id) VALUES (?, ?)", [(task.id, p) for p in spec.after]
            )

    def update_spec(self, task_id: str, spec: TaskSpec, updated_at: int) -> None:
        """Replace a task's spec (unique work's ``update`` policy, edit). Inside a transaction."""
        self.conn.execute(
            "UPDATE tasks SET spec = ?, name = ?, updated_at = " + _LATER + " WHERE id = ?",
            (_spec_json(spec.to_json(compact=True)), spec.name, updated_at, task_id),
        )
        self.conn.execute("DELETE FROM tags WHERE task_id = ?", (task_id,))
        self.conn.executemany("INSERT INTO tags (task_id, tag) VALUES (?, ?)", [(task_id, t) for t in spec.tags])

    def set_state(
        self,
        task: Task,
        target: State,
        now_us: int,
        *,
        next_run_at: int | None = None,
        attempts: int | None = None,
        output: dict[str, Any] | None = None,
        stamp: tuple[str, int | None] | None = None,
    ) -> tuple[str, int | None]:
        """Move ``task`` to ``target`` if it is still in the state the caller saw (and,
        given a ``stamp`` from :meth:`task_stamp` or an earlier move, still unchanged
        since: no write of any kind came between). Returns the task's new stamp, from
        the same statement.

        Raises :class:`engine.errors.IllegalTransitionError` for a move the table
        forbids, and ``StaleTaskError`` if another writer moved (or touched) it first.
        """
        return self.move(task, target, now_us, next_run_at=next_run_at, attempts=attempts, output=output,
                         stamp=stamp)[0]

    def move(
        self,
        task: Task,
        target: State,
        now_us: int,
        *,
        next_run_at: int | None = None,
        attempts: int | None = None,
        output: dict[str, Any] | None = None,
        stamp: tuple[str, int | None] | None = None,
        counted: tuple[Outcome, int, int] | None = None,
    ) -> tuple[tuple[str, int | None], RunTotals | None]:
        """:meth:`set_state`, and at the end of a run its count on the task in the same
        statement (``counted``: its outcome, end and id; None if it was counted already).
        Returns the new stamp and the task's counters (None if nothing was counted)."""
        transition(task.state, target, task_id=task.id)
        params: dict[str, Any] = {
            "state": target.value, "next": next_run_at, "attempts": attempts,
            "output": json.dumps(output) if output is not None else None, "now": now_us,
            "id": task.id, "was": task.state.value,
        }
        if counted is not None:
            outcome, ended_at, run_id = counted
            params.update(outcome=outcome.value, ended_at=ended_at, run_id=run_id)
        if stamp is not None:
            params["stamp"] = stamp[1]
        cursor = self.conn.execute(_MOVE_SQL[counted is not None, stamp is not None, counters.HAS_RETURNING], params)
        totals: RunTotals | None = None
        if counters.HAS_RETURNING:
            rows = cursor.fetchall()  # all: a statement left open would hold up the COMMIT
            new_stamp = (rows[0][0], rows[0][1]) if len(rows) == 1 else None
            if new_stamp is not None and counted is not None:
                totals = counters.totals_from_row(rows[0][2:])
        else:
            new_stamp = self.task_stamp(task.id) if cursor.rowcount == 1 else None
        if new_stamp is None:
            raise StaleTaskError(f"task {task.id} is no longer {task.state}: another writer changed it")
        return new_stamp, totals

    def retry_task(self, task: Task, target: State, now_us: int, next_run_at: int,
                   *, from_state: State = State.FAILED) -> None:
        """Move a finished task back to ``target`` when the user asks: a FAILED one retried
        by hand (engine.Engine.retry), a shown or missed reminder snoozed
        (engine.reminders): the moves out of a finished state, which the transition
        table does not offer to the engine's own rules. Raises ``StaleTaskError`` if the
        task is no longer in ``from_state``."""
        cursor = self.conn.execute(
            "UPDATE tasks SET state = ?, next_run_at = ?, updated_at = " + _LATER + " WHERE id = ? AND state = ?",
            (target.value, next_run_at, now_us, task.id, from_state.value),
        )
        if cursor.rowcount != 1:
            raise StaleTaskError(f"task {task.id} is no longer {from_state.value}: another writer changed it")

    def set_next_run(self, task_id: str, next_run_at: int | None, now_us: int) -> None:
        self.conn.execute(
            "UPDATE tasks SET next_run_at = ?, updated_at = " + _LATER + " WHERE id = ?", (next_run_at, now_us, task_id)
        )

    def task(self, task_id: str, *, with_runs: bool = True) -> Task:
        row = self.conn.execute(f"SELECT {_TASK_COLUMNS} FROM tasks WHERE id = ?", (task_id,)).fetchone()
        if row is None:
            raise NoSuchTaskError(task_id)
        return self._task_from_row(row, self.runs(task_id) if with_runs else ())

    def task_stamp(self, task_id: str) -> tuple[str, int | None] | None:
        """The task's state and last update (microseconds), or None: enough to tell
        whether another writer touched it since we did, without decoding it."""
        row = self.conn.execute("SELECT state, updated_at FROM tasks WHERE id = ?", (task_id,)).fetchone()
        return (row[0], row[1]) if row is not None else None

    def has_task(self, task_id: str) -> bool:
        return self.conn.execute("SELECT 1 FROM tasks WHERE id = ?", (task_id,)).fetchone() is not None

    def totals(self, task_id: str) -> RunTotals:
        """The task's run counters alone, as its last write left them."""
        return counters.read_totals(self.conn, task_id)

    def tasks(
        self,
        *,
        state: State | None = None,
        kind: Kind | None = None,
        tag: str | None = None,
        name: str | None = None,
        ids: Sequence[str] | None = None,
        with_runs: bool = False,
        limit: int | None = None,
    ) -> list[Task]:
        sql, params = self._tasks_sql(state=state, kind=kind, tag=tag, name=name, ids=ids, limit=limit)
        rows = self.conn.execute(sql, params).fetchall()
        runs = self._runs_by_task([r[0] for r in rows]) if with_runs else {}
        tasks = [self._task_from_row(r, runs.get(r[0], ())) for r in rows]
        return [t for t in tasks if t.unreadable] if state is State.UNREADABLE else tasks

    def iter_tasks(self, **filters: Any) -> Iterator[Task]:
        """:meth:`tasks` without runs, streamed: one row decoded at a time and none held
        (``list --json`` over any number of tasks)."""
        sql, params = self._tasks_sql(**filters)
        tasks = (self._task_from_row(r, ()) for r in self.conn.execute(sql, params))
        return (t for t in tasks if t.unreadable) if filters.get("state") is State.UNREADABLE else tasks

    def _tasks_sql(
        self,
        *,
        state: State | None = None,
        kind: Kind | None = None,
        tag: str | None = None,
        name: str | None = None,
        ids: Sequence[str] | None = None,
        limit: int | None = None,
    ) -> tuple[str, list[Any]]:
        where: list[str] = []
        params: list[Any] = []
        if state is not None and state is not State.UNREADABLE:  # unreadable: decided after reading
            where.append("state = ?")
            params.append(state.value)
        if kind is not None:
            where.append("kind = ?")
            params.append(kind.value)
        if name is not None:
            where.append("name = ?")
            params.append(name)
        if tag is not None:
            where.append("id IN (SELECT task_id FROM tags WHERE tag = ?)")
            params.append(tag)
        if ids is not None:
            where.append(f"id IN ({','.join('?' * len(ids))})")
            params.extend(ids)
        sql = f"SELECT {_TASK_COLUMNS} FROM tasks"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created_at, id"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return sql, params

    def active_with_name(self, name: str) -> list[Task]:
        """Unfinished tasks with this unique name, oldest first."""
        rows = self.conn.execute(
            f"SELECT {_TASK_COLUMNS} FROM tasks WHERE name = ? AND state NOT IN ('succeeded','failed','cancelled') "
            "ORDER BY created_at, id",
            (name,),
        )
        return [task for _, task in self._readable(rows)]

    def waiting_out_a_delay(self) -> list[Task]:
        """Waiting tasks that have not run yet and were given an elapsed delay (the spec's
        ``initial_delay``, stored only when set): what a clock change re-bases
        (engine.clockwatch). A text search, no spec decoded for the others."""
        rows = self.conn.execute(
            f"SELECT {_TASK_COLUMNS} FROM tasks WHERE ({_WAITING_SQL}) AND attempts = 0 "
            "AND next_run_at IS NOT NULL AND instr(spec, '\"initial_delay\"') > 0"
        ).fetchall()
        return [self._task_from_row(r, ()) for r in rows]

    def next_due(self, state: State, *, kinds: Iterable[Kind] | None = None) -> Task | None:
        """The task in ``state`` with the earliest ``next_run_at``: one index seek per kind
        (tasks_kind_due), the earliest of them."""
        best: Task | None = None
        for kind in kinds if kinds is not None else Kind:
            # No LIMIT: the cursor reads lazily, so the first readable row costs one seek.
            rows = self.conn.execute(
                f"SELECT {_TASK_COLUMNS} FROM tasks WHERE state = {_waiting(state)} AND kind = ? "
                "AND next_run_at IS NOT NULL ORDER BY next_run_at",
                (kind.value,),
            )
            for row, task in self._readable(rows):
                if best is None or row[5] < to_us(best.next_run_at):  # type: ignore[arg-type]
                    best = task
                break
        return best

    def due(self, state: State, now_us: int, *, kind: Kind, limit: int = 100) -> list[Task]:
        """Tasks of ``kind`` in ``state`` whose ``next_run_at`` has come, earliest first."""
        rows = self.conn.execute(
            f"SELECT {_TASK_COLUMNS} FROM tasks WHERE state = {_waiting(state)} AND kind = ? AND next_run_at <= ? "
            "ORDER BY next_run_at",
            (kind.value, now_us),
        )
        # Unreadable rows are skipped, not counted: a batch of them must not hide the
        # readable due tasks behind them (the caller would fetch the same batch again).
        return [task for _, task in itertools.islice(self._readable(rows), limit)]

    def due_page(
        self, state: State, now_us: int, kind: Kind, *, after: tuple[int, int] | None = None, limit: int = 200
    ) -> list[tuple[tuple[int, int], Task]]:
        """One page of due tasks, earliest first and first come first at equal times,
        each with its key (next_run_at, rowid); the next page starts after ``after``.
        The dispatcher pages past due tasks whose constraints do not hold."""
        sql = f"SELECT rowid, {_TASK_COLUMNS} FROM tasks WHERE state = {_waiting(state)} AND kind = ? AND next_run_at <= ?"
        params: list[Any] = [kind.value, now_us]
        if after is not None:
            sql += " AND (next_run_at, rowid) > (?, ?)"
            params.extend(after)
        rows = self.conn.execute(sql + " ORDER BY next_run_at, rowid", params)
        return [((r[6], r[0]), task) for r, task in itertools.islice(self._readable(rows, offset=1), limit)]

    def next_due_after(self, state: State, now_us: int, kinds: Iterable[Kind]) -> int | None:
        """The earliest ``next_run_at`` later than ``now_us`` among ``kinds`` (one index seek each)."""
        best: int | None = None
        for kind in kinds:
            row = self.conn.execute(
                f"SELECT next_run_at FROM tasks WHERE state = {_waiting(state)} AND kind = ? AND next_run_at > ? "
                "ORDER BY next_run_at LIMIT 1",
                (kind.value, now_us),
            ).fetchone()
            if row is not None and (best is None or row[0] < best):
                best = int(row[0])
        return best

    def latest_with_name(self, name: str) -> Task | None:
        """The newest task with this unique name, finished or not."""
        rows = self.conn.execute(
            f"SELECT {_TASK_COLUMNS} FROM tasks WHERE name = ? ORDER BY created_at DESC, rowid DESC", (name,)
        )
        return next((task for _, task in self._readable(rows)), None)

    def set_parents(self, task_id: str, parents: Sequence[str]) -> None:
        """Replace a task's chain parents (unique work's ``update``). Inside a transaction."""
        self.conn.execute("DELETE FROM deps WHERE task_id = ?", (task_id,))
        self.conn.executemany("INSERT INTO deps (task_id, parent_id) VALUES (?, ?)", [(task_id, p) for p in parents])

    def parents(self, task_id: str) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT parent_id FROM deps WHERE task_id = ?", (task_id,))]

    def delete_task(self, task_id: str) -> int:
        """Remove a task and all that is recorded about it: its runs and their output,
        tags, links to parents and children, reminders. Inside a transaction. Returns
        how many of its reminders were still open."""
        conn = self.conn
        open_reminders = conn.execute(
            "SELECT COUNT(*) FROM reminders WHERE task_id = ? AND acknowledged_at IS NULL", (task_id,)
        ).fetchone()[0]
        delete_task_rows(conn, task_id)
        return int(open_reminders)

    def children(self, task_id: str) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT task_id FROM deps WHERE parent_id = ?", (task_id,))]

    def count_by_state(self) -> dict[State, int]:
        """Tasks per stored state (no row is decoded); a state Workdeck does not know
        counts as unreadable."""
        counts: dict[State, int] = {}
        for value, n in self.conn.execute("SELECT state, COUNT(*) FROM tasks GROUP BY state"):
            state = State(value) if value in _STORED_STATES else State.UNREADABLE
            counts[state] = counts.get(state, 0) + n
        return counts

    def _task_from_row(self, row: Sequence[Any], runs: Sequence[Run]) -> Task:
        """The row as a Task; an unreadable one as its quarantined stand-in (engine.quarantine)."""
        try:
            return quarantine.decode_task(row, runs)
        except quarantine.UnreadableRowError as exc:
            self.quarantine.note(f"task {row[0]}", str(exc), skipped=False)
            raw = self.conn.execute("SELECT * FROM tasks WHERE id = ?", (row[0],)).fetchone()
            columns = [c[0] for c in self.conn.execute("SELECT * FROM tasks LIMIT 0").description]
            return quarantine.unreadable_task(dict(zip(columns, raw or row, strict=False)), str(exc), runs)

    def _readable(self, rows: Iterable[Sequence[Any]], *, offset: int = 0) -> Iterator[tuple[Sequence[Any], Task]]:
        """(row, task) for the rows the scheduler may act on: unreadable ones are skipped
        (and noted once), so one damaged row never stops the others from running."""
        for row in rows:
            try:
                yield row, quarantine.decode_task(row[offset:], ())
            except quarantine.UnreadableRowError as exc:
                self.quarantine.note(f"task {row[offset]}", str(exc))

    def cancel_unreadable(self, task_id: str, now_us: int) -> bool:
        """Cancel an unreadable row as far as it can be: its stored state becomes
        ``cancelled`` (unless finished) and its open runs end. Inside a transaction."""
        cursor = self.conn.execute(
            "UPDATE tasks SET state = 'cancelled', next_run_at = NULL, updated_at = " + _LATER
            + " WHERE id = ? AND state NOT IN ('succeeded', 'failed', 'cancelled')",
            (now_us, task_id),
        )
        self.conn.execute(
            "UPDATE runs SET ended_at = ?, outcome = 'cancelled', stop_reason = 'cancelled_by_user' "
            "WHERE task_id = ? AND ended_at IS NULL",
            (now_us, task_id),
        )
        return cursor.rowcount == 1


def delete_task_rows(conn: sqlite3.Connection, task_id: str) -> None:
    """Every row of a task: its output, runs, tags, links, reminders and itself (inside a
    transaction; Store.delete_task and the pruner's removal of finished tasks)."""
    conn.execute("DELETE FROM output WHERE run_id IN (SELECT id FROM runs WHERE task_id = ?)", (task_id,))
    for sql in (
        "DELETE FROM runs WHERE task_id = ?",
        "DELETE FROM tags WHERE task_id = ?",
        "DELETE FROM deps WHERE task_id = ?1 OR parent_id = ?1",
        "DELETE FROM reminders WHERE task_id = ?",
        "DELETE FROM tasks WHERE id = ?",
    ):
        conn.execute(sql, (task_id,))
