"""The store's runs, their output and the reminders kept until acknowledged.

:class:`RunRecords` is mixed into :class:`engine.store.Store`, which gives it its
connection, its quarantine, its transactions and (from
:class:`engine.store.tasks.TaskRecords`) whether a task exists. :func:`run_from_row` is
the one decoder of a run row; callers look it up as ``engine.store.run_from_row`` when
they run (engine.quarantine.decode_run, engine.store.reads), so counting it there counts
every run the store decodes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from engine import quarantine
from engine.clock import from_us, to_us
from engine.errors import NoSuchTaskError
from engine.history import counters
from engine.model import Outcome, Reminder, ReminderStatus, Run, RunTotals, StopReason
from engine.quarantine import Quarantine

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

#: The columns run_from_row reads, in its order.
RUN_COLUMNS = _RUN_COLUMNS = (
    "id, task_id, attempt, started_at, due_at, fired_at, ended_at, outcome, exit_code, stop_reason, detail, spawned_at"
)
_REMINDER_COLUMNS = "id, task_id, message, due_at, fired_at, status, detail"


class RunRecords:
    """Runs, output and reminders."""

    conn: sqlite3.Connection
    quarantine: Quarantine

    if TYPE_CHECKING:  # the core's and TaskRecords' (defined here at run time, they would hide theirs)

        def transaction(self) -> AbstractContextManager[None]: ...

        def has_task(self, task_id: str) -> bool: ...

    def start_run(
        self, task_id: str, attempt: int, started_at: int, *, due_at: int | None = None, fired_at: int | None = None
    ) -> int:
        """Record a run as started. Inside the same transaction as the task's move to RUNNING."""
        cursor = self.conn.execute(
            "INSERT INTO runs (task_id, attempt, started_at, due_at, fired_at) VALUES (?, ?, ?, ?, ?)",
            (task_id, attempt, started_at, due_at, fired_at),
        )
        return int(cursor.lastrowid or 0)

    def end_run(
        self,
        run_id: int,
        ended_at: int,
        outcome: Outcome,
        *,
        exit_code: int | None = None,
        stop_reason: StopReason | None = None,
        detail: str | None = None,
        spawned_at: int | None = None,
    ) -> RunTotals | None:
        """Record how a run ended and count it on its task. Returns the task's counters
        with this run in them, or None if the run had already ended (counted then)."""
        if self.close_run(run_id, ended_at, outcome, exit_code=exit_code, stop_reason=stop_reason, detail=detail,
                          spawned_at=spawned_at):
            return counters.count_run_end(self.conn, run_id, outcome, ended_at)  # once, in the same transaction
        return None

    def count_run(self, run_id: int, outcome: Outcome, ended_at: int, task_id: str) -> RunTotals:
        """Count a run :meth:`close_run` ended on its task, in the same transaction."""
        return counters.count_run_end(self.conn, run_id, outcome, ended_at, task_id)

    def close_run(
        self,
        run_id: int,
        ended_at: int,
        outcome: Outcome,
        *,
        exit_code: int | None = None,
        stop_reason: StopReason | None = None,
        detail: str | None = None,
        spawned_at: int | None = None,
    ) -> bool:
        """:meth:`end_run` without the count, which the caller makes on the task's own
        write (engine.store.tasks.TaskRecords.move). False if the run had already ended."""
        cursor = self.conn.execute(
            "UPDATE runs SET ended_at = ?, outcome = ?, exit_code = ?, stop_reason = ?, detail = ?, "
            "spawned_at = COALESCE(?, spawned_at) WHERE id = ? AND ended_at IS NULL",
            (ended_at, outcome.value, exit_code, stop_reason.value if stop_reason else None, detail, spawned_at,
             run_id),
        )
        return cursor.rowcount == 1

    def record_run(
        self,
        task_id: str,
        attempt: int,
        at: int,
        outcome: Outcome,
        *,
        due_at: int | None = None,
        stop_reason: StopReason | None = None,
        detail: str | None = None,
    ) -> int:
        """A run that started and ended at once: a skipped overlap, a missed alarm."""
        cursor = self.conn.execute(
            "INSERT INTO runs (task_id, attempt, started_at, due_at, ended_at, outcome, stop_reason, detail) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (task_id, attempt, at, due_at, at, outcome.value, stop_reason.value if stop_reason else None, detail),
        )
        run_id = int(cursor.lastrowid or 0)
        counters.count_run_end(self.conn, run_id, outcome, at, task_id)
        return run_id

    def record_groups(self, groups: Iterable[tuple[int, int, str | None]]) -> None:
        """Name running runs' process groups: (run_id, pgid, leader start). Its own transaction."""
        with self.transaction():
            self.name_groups(groups)

    def name_groups(self, groups: Iterable[tuple[int, int, str | None]]) -> None:
        """:meth:`record_groups` inside the caller's transaction."""
        self.conn.executemany(
            "UPDATE runs SET pgid = ?, leader_start = ? WHERE id = ? AND ended_at IS NULL",
            [(pgid, start, run_id) for run_id, pgid, start in groups],
        )

    def run_groups(self, run_ids: Sequence[int]) -> dict[int, tuple[int, str | None]]:
        """The recorded process group (pgid, leader start) of each of these runs that has one."""
        found: dict[int, tuple[int, str | None]] = {}
        for start in range(0, len(run_ids), 500):
            chunk = list(run_ids[start : start + 500])
            rows = self.conn.execute(
                f"SELECT id, pgid, leader_start FROM runs WHERE pgid IS NOT NULL AND id IN ({','.join('?' * len(chunk))})",
                chunk,
            )
            found.update({row[0]: (int(row[1]), row[2]) for row in rows})
        return found

    def open_runs(self) -> list[Run]:
        """Runs with no end: after a crash, the runs that were going when it happened."""
        # By the runs_long index, which holds every open run (and the few that lasted
        # over an hour): left to itself, SQLite walks every run ever recorded in id order
        # to skip the sort (0.26 s at a million runs, at every start).
        rows = self.conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM runs INDEXED BY runs_long WHERE ended_at IS NULL ORDER BY id"
        ).fetchall()
        return self._runs_from_rows(rows)

    def runs(self, task_id: str, *, newest: int | None = None) -> list[Run]:
        """The task's runs, oldest first; only the ``newest`` N of them if given (a
        periodic task's history grows without end; deciding after a run needs its tail)."""
        if newest is None:
            rows = self.conn.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE task_id = ? ORDER BY id", (task_id,))
            return self._runs_from_rows(rows)
        rows = self.conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE task_id = ? ORDER BY id DESC LIMIT ?", (task_id, newest)
        )
        return self._runs_from_rows(reversed(rows.fetchall()))

    def last_run(self, task_id: str) -> Run | None:
        row = self.conn.execute(
            f"SELECT {_RUN_COLUMNS} FROM runs WHERE task_id = ? ORDER BY id DESC LIMIT 1", (task_id,)
        ).fetchone()
        runs = self._runs_from_rows([row] if row else [])
        return runs[0] if runs else None

    def run(self, run_id: int) -> Run:
        row = self.conn.execute(f"SELECT {_RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
        runs = self._runs_from_rows([row] if row else [])
        if not runs:
            raise NoSuchTaskError(f"run {run_id}")
        return runs[0]

    def _runs_by_task(self, task_ids: Sequence[str]) -> dict[str, list[Run]]:
        result: dict[str, list[Run]] = {}
        for start in range(0, len(task_ids), 500):
            chunk = task_ids[start : start + 500]
            rows = self.conn.execute(
                f"SELECT {_RUN_COLUMNS} FROM runs WHERE task_id IN ({','.join('?' * len(chunk))}) ORDER BY id",
                list(chunk),
            )
            for run in self._runs_from_rows(rows):
                result.setdefault(run.task_id, []).append(run)
        return result

    def _runs_from_rows(self, rows: Iterable[Sequence[Any]]) -> list[Run]:
        """Runs, leaving out (and noting once) any row that cannot be read."""
        runs = []
        for row in rows:
            try:
                runs.append(quarantine.decode_run(row))
            except quarantine.UnreadableRowError as exc:
                self.quarantine.note(f"run {row[0]}", str(exc))
        return runs

    # ---------------------------------------------------------------- output

    def append_output(self, chunks: Iterable[tuple[int, str]]) -> None:
        """Append (run_id, text) chunks; its own short transaction."""
        with self.transaction():
            self.conn.executemany("INSERT INTO output (run_id, text) VALUES (?, ?)", chunks)

    def output_of_run(self, run_id: int) -> str:
        return "".join(r[0] for r in self.conn.execute("SELECT text FROM output WHERE run_id = ? ORDER BY seq", (run_id,)))

    def latest_output(self, task_id: str) -> str:
        row = self.conn.execute("SELECT id FROM runs WHERE task_id = ? ORDER BY id DESC LIMIT 1", (task_id,)).fetchone()
        if row is None:
            if not self.has_task(task_id):
                raise NoSuchTaskError(task_id)
            return ""
        return self.output_of_run(int(row[0]))

    # ---------------------------------------------------------------- reminders

    def add_reminder(self, reminder: Reminder, now_us: int) -> int:
        """Keep a shown or missed reminder until it is acknowledged. Inside a transaction."""
        cursor = self.conn.execute(
            "INSERT INTO reminders (task_id, message, due_at, fired_at, status, detail, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                reminder.task_id,
                reminder.message,
                to_us(reminder.due_at) if reminder.due_at else None,
                to_us(reminder.fired_at) if reminder.fired_at else None,
                reminder.status.value,
                reminder.detail,
                now_us,
            ),
        )
        return int(cursor.lastrowid or 0)

    def open_reminders(self, task_id: str | None = None) -> list[Reminder]:
        """Reminders nobody acknowledged yet, oldest first."""
        sql = f"SELECT {_REMINDER_COLUMNS} FROM reminders WHERE acknowledged_at IS NULL"
        params: tuple[str, ...] = ()
        if task_id is not None:
            sql, params = sql + " AND task_id = ?", (task_id,)
        rows = self.conn.execute(sql + " ORDER BY id", params).fetchall()
        return [
            Reminder(
                task_id=t, message=m, due_at=from_us(d) if d is not None else None,
                fired_at=from_us(f) if f is not None else None, id=i, status=ReminderStatus(s), detail=note,
            )
            for i, t, m, d, f, s, note in rows
        ]

    def acknowledge_reminders(self, task_id: str, status: ReminderStatus, now_us: int, detail: str | None = None) -> int:
        """Close a task's open reminders as dismissed or snoozed; how many. Inside a transaction."""
        cursor = self.conn.execute(
            "UPDATE reminders SET status = ?, acknowledged_at = ?, detail = COALESCE(?, detail) "
            "WHERE task_id = ? AND acknowledged_at IS NULL",
            (status.value, now_us, detail, task_id),
        )
        return int(cursor.rowcount)


def run_from_row(row: Sequence[Any]) -> Run:
    rid, task_id, attempt, started, due, fired, ended, outcome, exit_code, stop_reason, detail, spawned = row
    return Run(
        id=rid,
        task_id=task_id,
        attempt=attempt,
        started_at=from_us(started),
        due_at=from_us(due) if due is not None else None,
        fired_at=from_us(fired) if fired is not None else None,
        ended_at=from_us(ended) if ended is not None else None,
        outcome=Outcome(outcome) if outcome else None,
        exit_code=exit_code,
        stop_reason=StopReason(stop_reason) if stop_reason else None,
        detail=detail,
        spawned_at=from_us(spawned) if spawned is not None else None,
    )
