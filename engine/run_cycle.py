"""Starting and ending runs: the claim, the launch, and the record of an end with what
follows from it (a retry, the next period, released children, the next due run).

:class:`RunCycle` is mixed into :class:`engine.engine.Engine`, which gives it its store,
clock, runner, dispatcher, pending writes and signals. A claim is the task's move to
RUNNING and its run's row, in one transaction, committed before the work starts; the
end of a run and the claims it makes room for share one transaction (group commit).
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from engine import exact, rules, workers
from engine.clock import Timer, to_us
from engine.errors import EnvironmentFaultError
from engine.immediate import PRIORITY_ALARM, PRIORITY_DEFERRED, PRIORITY_IMMEDIATE
from engine.model import Kind, Outcome, Run, State, StopReason, Task
from engine.store import StaleTaskError
from engine.task_writes import _us
from engine.workers import Worker, WorkContext, WorkResult
from engine.workers.base import Priority

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from engine.clock import Clock
    from engine.deferred import Dispatcher
    from engine.history.output_cap import OutputCap
    from engine.history.policy import RetentionPolicy
    from engine.immediate import JobRunner
    from engine.output_buffer import OutputBuffer
    from engine.pending import PendingWrites
    from engine.store import Store

log = logging.getLogger(__name__)

#: Runs read back beyond the retry budget when deciding after a run (interrupted and
#: skipped runs sit between failures without counting).
RUN_HISTORY_SLACK = 50


@dataclass
class _Running:
    task: Task
    run_id: int
    ctx: WorkContext
    run: Run  # as recorded at its start
    worker: Worker  # what runs it (engine.workers)
    timeout: Timer | None = None
    #: The task's (state, updated_at) as the start left it: see Engine._record_end.
    stamp: tuple[str, int | None] | None = None
    pgid: int | None = None  # the run's process group, once the worker started one


class RunCycle:
    """Claiming, launching and ending runs (see the module's docstring)."""

    if TYPE_CHECKING:  # the Engine's (defined here at run time, they would hide its own)
        store: Store
        clock: Clock
        dispatcher: Dispatcher
        runner: JobRunner
        pending: PendingWrites

        @property
        def retention(self) -> RetentionPolicy: ...

        _running: dict[str, _Running]
        _claimed: list[_Running] | None
        _output: OutputBuffer
        _output_cap: OutputCap
        _group_watcher: Any
        task_changed: SignalInstance
        run_started: SignalInstance
        run_finished: SignalInstance

        def _flush_output(self, *, groups_too: bool = True) -> None: ...

        def _release_children(self, parent_id: str, now: datetime, children: list[str]) -> int: ...

        def _cascade(self, parent_id: str, reason: StopReason, now: datetime) -> None: ...

    def start_run(self, task: Task, *, due_at: datetime | None = None, fired_at: datetime | None = None) -> bool:
        """Claim ``task`` and start its next attempt. False if another writer claimed it first.

        While a run's end is being recorded (:meth:`_record_end`) the claim joins that
        transaction and the run is launched once it commits: one commit for both."""
        if task.id in self._running:
            return False
        if task.state not in (State.ENQUEUED, State.SCHEDULED):
            return False
        now = self.clock.now()
        attempt = task.attempts + 1
        worker = workers.get(task.spec.worker)
        due_at = due_at or task.next_run_at
        joined = self._claimed is not None
        # The claim is the UPDATE's "WHERE state = <what the caller saw>": no reload
        # needed (each decode costs tens of microseconds, at 200 runs a second).
        try:
            if joined:
                stamp, run_id = self._claim(task, now, attempt, due_at, fired_at)
            else:
                with self.store.transaction():
                    stamp, run_id = self._claim(task, now, attempt, due_at, fired_at)
        except StaleTaskError:
            return False
        except EnvironmentFaultError as exc:
            if joined:
                raise  # the whole end is undone with it and held (engine.pending)
            # A full disk: nothing was written, the task stays due; it is claimed again
            # when writes work (PendingWrites calls _on_writes_recovered).
            self.pending.failed(exc)
            return False
        fresh = task.replace(state=State.RUNNING, attempts=attempt, next_run_at=None, updated_at=now)
        # Alarms run at the engine's own priority: on a busy machine an idle-priority
        # command would start seconds after its alarm fired.
        ctx = WorkContext(
            task_id=task.id, attempt=attempt, args=task.spec.args, input=self._input_of(fresh), now=self.clock.now,
            priority=Priority.NORMAL if task.kind is Kind.EXACT else Priority.IDLE,
        )
        run = Run(run_id, task.id, attempt, now, due_at=due_at, fired_at=fired_at)
        running = _Running(task=fresh, run_id=run_id, ctx=ctx, run=run, worker=worker, stamp=stamp)
        self._running[task.id] = running  # counted as running (a slot taken) from here on
        if self._claimed is not None:
            self._claimed.append(running)
        else:
            self._launch(running)
        return True

    def _claim(self, task: Task, now: datetime, attempt: int, due_at: datetime | None,
               fired_at: datetime | None) -> tuple[tuple[str, int | None], int]:
        """The claim's writes, inside a transaction: the task's stamp and the new run's id."""
        # The stamp is the UPDATE's own: no other write can come between.
        now_us = to_us(now)
        stamp = self.store.set_state(task, State.RUNNING, now_us, next_run_at=None, attempts=attempt)
        run_id = self.store.start_run(task.id, attempt, now_us, due_at=_us(due_at), fired_at=_us(fired_at))
        return stamp, run_id

    def _launch(self, running: _Running) -> None:
        """Start a claimed run's work (its claim is committed) and tell."""
        task = running.task
        self._output_cap.begin(running.run_id, self.retention.for_spec(task.spec).output_limit)
        if task.spec.timeout is not None:
            running.timeout = self.clock.timer(lambda: self._time_out(task.id))
            running.timeout.start(task.spec.timeout)
        # An alarm's run goes ahead of all queued work, its command started in submit.
        self.runner.submit(running.worker, running.ctx,
                           priority=PRIORITY_ALARM if task.kind is Kind.EXACT
                           else PRIORITY_DEFERRED if task.kind is Kind.DEFERRED else PRIORITY_IMMEDIATE)
        self.task_changed.emit(task)
        self.run_started.emit(running.run)

    def _time_out(self, task_id: str) -> None:
        self.runner.cancel(task_id, StopReason.TIMED_OUT)

    def _input_of(self, task: Task) -> dict[str, Any]:
        """The task's input with its parents' outputs merged in, parents in --after order
        (a later parent's key wins), the task's own input last (it wins over all)."""
        merged: dict[str, Any] = {}
        for parent_id in task.spec.after:
            parent = self.store.task(parent_id, with_runs=False)
            merged.update(parent.output or {})
        merged.update(task.spec.input)
        return merged

    def _on_job_finished(self, job: Any, result: WorkResult) -> None:
        running = self._running.pop(job.task_id, None)
        if running is None:
            log.error("a job finished for task %s, which is not running here", job.task_id)
            return
        if running.timeout is not None:
            running.timeout.stop()
        self._output.groups.pop(running.run_id, None)  # ended with the run: nothing to record
        if running.pgid is not None and self._group_watcher is not None:
            self._group_watcher.forget(running.pgid)
        if result.error:
            self._output.chunks.append((running.run_id, f"\n[workdeck] {result.error}\n"))
        self._flush_output(groups_too=False)  # the end's transaction names them
        self._output_cap.end(running.run_id)
        now = self.clock.now()
        outcome = rules.outcome_for(result.outcome, running.ctx.stop_reason)
        # On a full disk the end is held in memory and written when writes work again:
        # the run never stays "running" in the database, nor do the tasks after it.
        self.pending.write(f"the end of run {running.run_id} of task {job.task_id} ({outcome.value})",
                           functools.partial(self._record_end, running, result, outcome, now))

    def _record_end(self, running: _Running, result: WorkResult, outcome: Outcome, now: datetime) -> None:
        """Record how a run ended and what follows (retry, next period, children), then tell.

        The task is decided on as the run's start left it, and the end's UPDATE of the
        task holds only if nothing wrote the task since (its stamp): one statement
        instead of a read first. If another writer did (a cancel, an in-place update
        from the command line), the transaction is undone and the end decided again on
        the task as it is now."""
        if running.stamp is not None:
            task = running.task.replace(runs=()) if running.task.runs else running.task
            try:
                self._record_end_of(task, running, result, outcome, now, stamp=running.stamp)
                return
            except StaleTaskError:
                pass
        self._record_end_of(self.store.task(running.task.id, with_runs=False), running, result, outcome, now)

    def _record_end_of(self, task: Task, running: _Running, result: WorkResult, outcome: Outcome, now: datetime,
                       *, stamp: tuple[str, int | None] | None = None) -> None:
        if task.state is not State.RUNNING:
            # Another writer (the command line, with policy replace or cancel) already
            # ended the task in the database: record the run, change nothing else.
            with self.store.transaction():
                self.store.end_run(running.run_id, to_us(now), outcome, exit_code=result.exit_code,
                                   stop_reason=running.ctx.stop_reason, spawned_at=_us(running.ctx.spawned_at))
            self.run_finished.emit(self.store.run(running.run_id))
            self.dispatcher.wake()
            return
        run = running.run
        if outcome is Outcome.SUCCEEDED:
            failures = 0  # they count back to the last success: this one
        else:
            # The tail of the history is enough: failures count back to the last success,
            # and there are at most max_retries + 1 of them in a row.
            tail = self.store.runs(task.id, newest=2 * task.spec.retry.max_retries + RUN_HISTORY_SLACK)
            runs = [r if r.id != running.run_id else r.replace(outcome=outcome) for r in tail]
            failures = rules.failures_in_period(task, runs)
        if task.kind is Kind.EXACT:
            decision = exact.after_alarm(task, run, outcome, running.ctx.stop_reason, now, failures)
        else:
            decision = rules.after_run(task, outcome, running.ctx.stop_reason, now, failures, run)
        claimed: list[_Running] = []
        try:
            with self.store.transaction():
                ended, changed_children, named, not_started = self._write_end(
                    task, running, result, outcome, now, decision, stamp, claimed)
        except BaseException:
            for undone in claimed:  # claimed in the end's transaction, undone with it
                self._running.pop(undone.task.id, None)
            raise
        for run_id in named:
            self._output.groups.pop(run_id, None)
        self.run_finished.emit(run.replace(
            ended_at=now, outcome=outcome, exit_code=result.exit_code, stop_reason=running.ctx.stop_reason,
            detail=decision.detail, spawned_at=running.ctx.spawned_at,
        ))
        self.task_changed.emit(ended)
        for child in changed_children:
            self.task_changed.emit(child)
        for next_run in claimed:
            self._launch(next_run)
        if isinstance(not_started, EnvironmentFaultError):
            self.pending.failed(not_started)  # the claims only: they are tried again when writes work
        elif not_started is not None:
            raise not_started

    def _write_end(self, task: Task, running: _Running, result: WorkResult, outcome: Outcome, now: datetime,
                   decision: rules.AfterRun, stamp: tuple[str, int | None] | None,
                   claimed: list[_Running]) -> tuple[Task, list[Task], list[int], Exception | None]:
        """The end's writes, inside its transaction, and the claims it lets start (into
        ``claimed``): the task as it ended, its children as they are, the runs whose
        process groups it named, and what the dispatcher raised (see :meth:`_claim_next`)."""
        now_us = to_us(now)
        # Counted by the task's own UPDATE below (one statement fewer a run), unless it
        # had already ended (counted then).
        counted: tuple[Outcome, int, int] | None = None
        if self.store.close_run(running.run_id, now_us, outcome, exit_code=result.exit_code,
                                stop_reason=running.ctx.stop_reason, detail=decision.detail,
                                spawned_at=_us(running.ctx.spawned_at)):
            counted = (outcome, now_us, running.run_id)
        if decision.coalesced is not None or decision.skipped is not None:
            # Counted first, so the windows recorded after it are the task's last outcome
            # (as counters.backfill counts them).
            if counted is not None:
                self.store.count_run(running.run_id, outcome, now_us, task.id)
                counted = None
            for windows, reason in ((decision.coalesced, StopReason.COALESCED), (decision.skipped, StopReason.OVERLAP)):
                if windows is not None:
                    self.store.record_run(
                        task.id, task.attempts, now_us, Outcome.CANCELLED, due_at=to_us(windows.first),
                        stop_reason=reason, detail=windows.describe(task.attempts),
                    )
        _, totals = self.store.move(
            task, decision.state, now_us, next_run_at=_us(decision.next_run_at), output=result.output,
            stamp=stamp, counted=counted,
        )
        # The process groups of the other runs that began since the last flush ride along
        # (a transaction of their own was a third of a commit per run, draining a backlog);
        # they leave the buffer once this commits (_record_end_of).
        groups = dict(self._output.groups)
        if groups:
            self.store.name_groups((run_id, pgid, start) for run_id, (pgid, start) in groups.items())
        children = self.store.children(task.id)
        released = self._release_children(task.id, now, children) if outcome is Outcome.SUCCEEDED else 0
        if decision.cascade is not None:
            self._cascade(task.id, decision.cascade, now)
        changed_children = [self.store.task(child_id, with_runs=False) for child_id in children]
        ended = task.replace(
            state=decision.state, next_run_at=decision.next_run_at, updated_at=now,
            output=result.output if result.output is not None else task.output,
            # this run and any coalesced or skipped ones counted
            totals=totals if totals is not None else self.store.totals(task.id),
        )
        return ended, changed_children, list(groups), self._claim_next(ended, released > 0, claimed)

    def _claim_next(self, ended: Task, released: bool, claimed: list[_Running]) -> Exception | None:
        """Claim what the end of ``ended``'s run lets start, inside the end's transaction
        (group commit: the next run's claim costs no commit of its own), into ``claimed``.

        If the dispatcher fails, only the claims are undone and the error is returned,
        for after the end has committed; if SQLite undid the whole transaction (a full
        disk), the error is raised and the end is held (engine.pending)."""
        self._claimed = claimed
        try:
            with self.store.savepoint():
                self.dispatcher.run_ended(ended, released=released)
        except Exception as exc:
            for undone in claimed:
                self._running.pop(undone.task.id, None)
            claimed.clear()
            if not self.store.conn.in_transaction:
                raise
            return exc
        finally:
            self._claimed = None
        return None
