"""The facade: the one object the window, the tray, ``serve`` and the CLI talk to.

It wires the store, the clock, the job runner and the schedulers, applies every state
change in one short transaction, and tells listeners through Qt signals. Whoever
holds an Engine that was never started (the command line with no owner running)
can still enqueue, cancel and query: the same rules, on the database alone.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

from engine import exact, recovery, rules, store_faults, workers
from engine.clock import Clock, SystemClock, Timer, to_us
from engine.clockwatch import ClockChange, ClockWatch, rebase_delays
from engine.conditions import Conditions
from engine.deferred import Dispatcher
from engine.errors import EnvironmentFaultError
from engine.exact import AlarmScheduler
from engine.history.output_cap import OutputCap
from engine.history.policy import RetentionPolicy, load_policy, save_policy
from engine.immediate import PRIORITY_ALARM, PRIORITY_DEFERRED, PRIORITY_IMMEDIATE, JobRunner
from engine.model import Kind, Outcome, Reminder, Run, State, StopReason, Task
from engine.output_buffer import OutputBuffer
from engine.pending import PendingWrites
from engine.store import StaleTaskError, Store
from engine.task_reads import TASK_RUNS as TASK_RUNS
from engine.task_reads import TaskReads
from engine.task_writes import TaskWrites, _us
from engine.workers import WorkContext, WorkResult
from engine.workers.base import Priority

log = logging.getLogger(__name__)

#: Output is written in batches: at most this long after it arrives.
OUTPUT_FLUSH_SECONDS = 0.1
#: Pool threads. Keep-running work is not capped (it was asked for now) and a shell
#: run's thread mostly sleeps in select(), so the pool is wide; deferred work is capped
#: separately by the dispatcher (max_deferred, default the CPU count).
RUNNER_THREADS = 64
#: Runs read back beyond the retry budget when deciding after a run (interrupted and
#: skipped runs sit between failures without counting).
RUN_HISTORY_SLACK = 50


@dataclass
class _Running:
    task: Task
    run_id: int
    ctx: WorkContext
    run: Run  # as recorded at its start
    timeout: Timer | None = None
    #: The task's (state, updated_at) as the start left it: see Engine._task_as_running.
    stamp: tuple[str, int | None] | None = None
    pgid: int | None = None  # the run's process group, once the worker started one


class GroupWatcher(Protocol):
    """Who ends the runs' process groups if this process dies (engine.reaper.Reaper)."""

    def watch(self, pgid: int, leader_start: str | None, marker: str) -> None: ...

    def forget(self, pgid: int) -> None: ...


class Engine(QObject, TaskWrites, TaskReads):
    """Workdeck's engine. Lives on one thread (the Qt main thread).

    Its writes (engine.task_writes) and reads (engine.task_reads) are mixed in; starting
    runs and recording their ends, the life of the engine and its reminders are here."""

    task_added = Signal(object)  # Task
    task_changed = Signal(object)  # Task, after any state or schedule change
    task_removed = Signal(str)  # task id: deleted with its history
    run_started = Signal(object)  # Run
    run_progress = Signal(str, object, str)  # task id, fraction in 0..1 or None, message
    run_output = Signal(str, str)  # task id, text
    run_finished = Signal(object)  # Run, with its outcome
    reminder = Signal(object)  # Reminder (engine.model): shown, or missed
    reminders_changed = Signal()  # the missed-reminders list changed (shown, dismissed, snoozed)
    error = Signal(str)  # an environment fault to show plainly

    def __init__(
        self,
        store: Store,
        clock: Clock | None = None,
        *,
        runner: JobRunner | None = None,
        max_deferred: int | None = None,
        conditions: Conditions | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.clock = clock or SystemClock(self)
        self.runner = runner or JobRunner(max_threads=RUNNER_THREADS, parent=self)
        self.started = False
        self._group_watcher: GroupWatcher | None = None
        self._running: dict[str, _Running] = {}
        self._output = OutputBuffer()
        self._output_cap = OutputCap()
        self._retention: RetentionPolicy | None = None
        self._output_timer = self.clock.timer(self._flush_output)
        # Writes a full disk refuses are held and retried (engine.pending).
        self.pending = PendingWrites(
            self.clock, on_fault=self.error.emit, on_recovered=self._on_writes_recovered,
            is_stale=lambda exc: isinstance(exc, StaleTaskError),
        )
        store.on_commit = self.pending.committed
        self.dispatcher = Dispatcher(self, store, self.clock, max_deferred=max_deferred, conditions=conditions)
        self.alarms = AlarmScheduler(self, store, self.clock)
        # One place notices clock changes and resumes; every scheduler wakes from it.
        self.clockwatch = ClockWatch(self.clock, self)
        self.clockwatch.changed.connect(self._on_clock_changed)
        self.dispatcher.check_clock = self.alarms.check_clock = self.clockwatch.check
        self.runner.finished.connect(self._on_job_finished)
        self.runner.progress.connect(self.run_progress)
        self.runner.output.connect(self._on_job_output)
        self.runner.notify.connect(self._on_job_notify)
        group = getattr(self.runner, "group", None)  # runners that start no processes need not have it
        if group is not None:
            group.connect(self._on_job_group)

    @property
    def group_watcher(self) -> GroupWatcher | None:
        """Told about every run's process group; set by the owner before start (EngineHost)."""
        return self._group_watcher

    @group_watcher.setter
    def group_watcher(self, watcher: GroupWatcher | None) -> None:
        self._group_watcher = watcher
        # A runner that can tells it on the worker's thread, right after the spawn (see
        # JobRunner.watch_group); for any other, the group signal's slot does.
        if hasattr(self.runner, "watch_group"):
            self.runner.watch_group = watcher.watch if watcher is not None else None

    # ------------------------------------------------------------ life

    @property
    def retention(self) -> RetentionPolicy:
        """The global retention policy (the database's settings), read once; the
        owner's prune pass calls :meth:`reload_retention` to pick up changes."""
        if self._retention is None:
            self._retention = load_policy(self.store.conn)
        return self._retention

    def reload_retention(self) -> RetentionPolicy:
        self._retention = None
        return self.retention

    def set_retention(self, **changes: Any) -> RetentionPolicy:
        """Change the global policy (keep_runs, keep_for, output_limit; BadSpecError for a
        value out of bounds, nothing written). The owner's next prune sweep applies it."""
        with self.store.transaction():
            self._retention = save_policy(self.store.conn, self.retention, **changes)
        return self._retention

    def start(self) -> None:
        """Recover what a crash left running, then start dispatching. On a full disk it
        starts all the same and says (``error``, the log) what it cannot do."""
        try:
            store_faults.probe_write(self.store)
        except EnvironmentFaultError as exc:
            self.pending.failed(exc)
        self._recover_interrupted_runs()
        self.started = True
        self.clockwatch.start()
        self.dispatcher.start()
        self.alarms.start()

    def stop(self, *, timeout_ms: int = 10_000) -> None:
        """Stop gracefully: running tasks are stopped and recorded as interrupted,
        so the next start runs them again. A stopped engine is not started again."""
        self.started = False
        self.clockwatch.stop()
        self.dispatcher.stop()
        self.alarms.stop()
        # shutdown cancels every job and delivers each finished signal before it
        # returns, so every run is recorded (as interrupted) by then; it also ends the
        # pool's idle threads, so nothing outlives the engine.
        self.runner.shutdown(StopReason.SHUTDOWN, timeout_ms)
        self._flush_output()
        self.pending.stop()

    def _recover_interrupted_runs(self) -> None:
        """Runs a dead owner left open: end what they still run, then decide (engine.recovery).
        On a full disk each decision is held and written when writes work again."""
        now = self.clock.now()
        for run in self.store.open_runs():
            if run.task_id in self._running:
                continue
            self.pending.write(f"run {run.id} of task {run.task_id} interrupted",
                               functools.partial(self._recover_run, run, now))

    def _recover_run(self, run: Run, now: datetime) -> None:
        for task_id in recovery.recover(self.store, [run], now, cascade=self._cascade):
            self._emit_changed(task_id)

    def _on_writes_recovered(self) -> None:
        """The database takes writes again (or it is time to try): write the held output,
        then look for due work whose claim the full disk refused."""
        self._flush_output()
        if self.started:
            self.dispatcher.wake()
            self.alarms.wake()

    def _on_clock_changed(self, change: ClockChange) -> None:
        """The wall clock was set or the machine resumed: elapsed delays keep what they
        had left, then every scheduler looks again (alarms and reminders, deferred work)."""
        if change.step:
            for task_id in rebase_delays(self.store, change.step, self.clock.now_us()):
                self._emit_changed(task_id)
        self.alarms.wake()
        self.dispatcher.wake()

    # ------------------------------------------------------------ running

    def running_count(self, kind: Kind | None = None) -> int:
        return sum(1 for r in self._running.values() if kind is None or r.task.kind is kind)

    def is_running(self, task_id: str) -> bool:
        return task_id in self._running

    def running_tasks(self) -> list[Task]:
        """The tasks this engine is running now, as they were when they started."""
        return [r.task for r in self._running.values()]

    # ------------------------------------------------------------ deferred work

    @property
    def conditions(self) -> Conditions:
        return self.dispatcher.conditions

    def set_background(self, background: bool) -> None:
        """The app went to (or left) the background: engine.lifecycle.Lifecycle calls it."""
        self.dispatcher.conditions.set_background(background)

    def pause_deferred(self) -> None:
        self.dispatcher.pause()

    def resume_deferred(self) -> None:
        self.dispatcher.resume()

    def why(self, task: Task | str) -> str:
        """Why a task is not running, in words (``show`` and the window's details)."""
        task_id = task if isinstance(task, str) else task.id
        # the newest run says why a finished task finished: no need for the rest
        return self.dispatcher.explain(dataclasses.replace(
            self.store.task(task_id, with_runs=False), runs=tuple(self.store.runs(task_id, newest=1))))

    def start_run(self, task: Task, *, due_at: datetime | None = None, fired_at: datetime | None = None) -> bool:
        """Claim ``task`` and start its next attempt. False if another writer claimed it first."""
        if task.id in self._running:
            return False
        if task.state not in (State.ENQUEUED, State.SCHEDULED):
            return False
        now = self.clock.now()
        attempt = task.attempts + 1
        worker = workers.get(task.spec.worker)
        due_at = due_at or task.next_run_at
        # The claim is the UPDATE's "WHERE state = <what the caller saw>": no reload
        # needed (each decode costs tens of microseconds, at 200 runs a second).
        try:
            with self.store.transaction():
                # The stamp is the UPDATE's own: no other write can come between.
                stamp = self.store.set_state(task, State.RUNNING, to_us(now), next_run_at=None, attempts=attempt)
                run_id = self.store.start_run(task.id, attempt, to_us(now), due_at=_us(due_at), fired_at=_us(fired_at))
        except StaleTaskError:
            return False
        except EnvironmentFaultError as exc:
            # A full disk: nothing was written, the task stays due; it is claimed again
            # when writes work (PendingWrites calls _on_writes_recovered).
            self.pending.failed(exc)
            return False
        self._output_cap.begin(run_id, self.retention.for_spec(task.spec).output_limit)
        fresh = dataclasses.replace(task, state=State.RUNNING, attempts=attempt, next_run_at=None, updated_at=now)
        # Alarms run at the engine's own priority: on a busy machine an idle-priority
        # command would start seconds after its alarm fired.
        ctx = WorkContext(
            task_id=task.id, attempt=attempt, args=task.spec.args, input=self._input_of(fresh), now=self.clock.now,
            priority=Priority.NORMAL if task.kind is Kind.EXACT else Priority.IDLE,
        )
        run = Run(run_id, task.id, attempt, now, due_at=due_at, fired_at=fired_at)
        running = _Running(task=fresh, run_id=run_id, ctx=ctx, run=run, stamp=stamp)
        if task.spec.timeout is not None:
            running.timeout = self.clock.timer(lambda: self._time_out(task.id))
            running.timeout.start(task.spec.timeout)
        self._running[task.id] = running
        # An alarm's run goes ahead of all queued work, its command started in submit.
        self.runner.submit(worker, ctx, priority=PRIORITY_ALARM if task.kind is Kind.EXACT
                           else PRIORITY_DEFERRED if task.kind is Kind.DEFERRED else PRIORITY_IMMEDIATE)
        self.task_changed.emit(fresh)
        self.run_started.emit(run)
        return True

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

    def _on_job_output(self, task_id: str, text: str) -> None:
        running = self._running.get(task_id)
        if running is None:
            return
        self._output.chunks.append((running.run_id, text))
        if not self._output_timer.active:
            self._output_timer.start(OUTPUT_FLUSH_SECONDS)
        self.run_output.emit(task_id, text)

    def _on_job_group(self, task_id: str, pgid: int, leader_start: str | None) -> None:
        """A run's process group began: the watcher knows already (told on the worker's
        thread; here only for a runner that cannot), the database learns it with the
        next output batch (a run that ends before then needs no record)."""
        running = self._running.get(task_id)
        if running is None:
            return
        running.pgid = pgid
        if self._group_watcher is not None and not hasattr(self.runner, "watch_group"):
            self._group_watcher.watch(pgid, leader_start, running.ctx.marker)
        self._output.groups[running.run_id] = (pgid, leader_start)
        if not self._output_timer.active:
            self._output_timer.start(OUTPUT_FLUSH_SECONDS)

    def _flush_output(self) -> None:
        self._output_timer.stop()
        chunks = self._output.take()
        groups, self._output.groups = self._output.groups, {}
        if chunks:
            try:
                with self.store.transaction():
                    self._output_cap.write(self.store.conn, chunks)  # the first and last bytes of each run
            except EnvironmentFaultError as exc:  # a full disk: held for the next flush (engine.output_buffer)
                self._output.give_back(chunks)
                self.pending.failed(exc)
        if groups:
            try:
                self.store.record_groups((run_id, pgid, start) for run_id, (pgid, start) in groups.items())
            except EnvironmentFaultError as exc:
                self._output.groups = {**groups, **self._output.groups}
                self.pending.failed(exc)

    def _on_job_notify(self, task_id: str, message: str) -> None:
        running = self._running.get(task_id)
        run = self.store.run(running.run_id) if running else None
        try:
            shown = self.alarms.book.shown(task_id, message, run)
        except EnvironmentFaultError as exc:
            # A full disk: show it all the same; only its place in the missed list is lost.
            self.pending.failed(exc)
            shown = Reminder(task_id, message, run.due_at if run else None, run.fired_at if run else None)
        self.reminder.emit(shown)

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
        self._flush_output()
        self._output_cap.end(running.run_id)
        now = self.clock.now()
        outcome = rules.outcome_for(result.outcome, running.ctx.stop_reason)
        # On a full disk the end is held in memory and written when writes work again:
        # the run never stays "running" in the database, nor do the tasks after it.
        self.pending.write(f"the end of run {running.run_id} of task {job.task_id} ({outcome.value})",
                           functools.partial(self._record_end, running, result, outcome, now))

    def _record_end(self, running: _Running, result: WorkResult, outcome: Outcome, now: datetime) -> None:
        """Record how a run ended and what follows (retry, next period, children), then tell."""
        task = self._task_as_running(running)
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
            runs = [r if r.id != running.run_id else dataclasses.replace(r, outcome=outcome) for r in tail]
            failures = rules.failures_in_period(task, runs)
        if task.kind is Kind.EXACT:
            decision = exact.after_alarm(task, run, outcome, running.ctx.stop_reason, now, failures)
        else:
            decision = rules.after_run(task, outcome, running.ctx.stop_reason, now, failures, run)
        with self.store.transaction():
            totals = self.store.end_run(
                running.run_id, to_us(now), outcome, exit_code=result.exit_code,
                stop_reason=running.ctx.stop_reason, detail=decision.detail, spawned_at=_us(running.ctx.spawned_at),
            )
            for windows, reason in ((decision.coalesced, StopReason.COALESCED), (decision.skipped, StopReason.OVERLAP)):
                if windows is not None:
                    totals = None  # counted again below: read once the transaction is done
                    self.store.record_run(
                        task.id, task.attempts, to_us(now), Outcome.CANCELLED, due_at=to_us(windows.first),
                        stop_reason=reason, detail=windows.describe(task.attempts),
                    )
            self.store.set_state(
                task, decision.state, to_us(now), next_run_at=_us(decision.next_run_at), output=result.output
            )
            children = self.store.children(task.id)
            released = self._release_children(task.id, now, children) if outcome is Outcome.SUCCEEDED else 0
            if decision.cascade is not None:
                self._cascade(task.id, decision.cascade, now)
        self.run_finished.emit(dataclasses.replace(
            run, ended_at=now, outcome=outcome, exit_code=result.exit_code, stop_reason=running.ctx.stop_reason,
            detail=decision.detail, spawned_at=running.ctx.spawned_at,
        ))
        ended = dataclasses.replace(
            task, state=decision.state, next_run_at=decision.next_run_at, updated_at=now,
            output=result.output if result.output is not None else task.output,
            # this run and any coalesced or skipped ones counted
            totals=totals if totals is not None else self.store.totals(task.id),
        )
        self.task_changed.emit(ended)
        for child_id in children:
            self._emit_changed(child_id)
        self.dispatcher.run_ended(ended, released=released > 0)

    def _task_as_running(self, running: _Running) -> Task:
        """The task of a run that just ended, as it is in the database. The copy taken at
        the start is still it unless another writer touched the task since (a cancel or
        an in-place update from the command line): every write moves updated_at on, so
        one indexed read of (state, updated_at) tells, where a reload costs a spec decode
        (a tenth of a millisecond, at 200 runs a second)."""
        task = running.task
        if running.stamp is not None and self.store.task_stamp(task.id) == running.stamp:
            return dataclasses.replace(task, runs=()) if task.runs else task
        return self.store.task(task.id, with_runs=False)

    # ------------------------------------------------------------ reminders

    def snooze(self, task_id: str, seconds: float | None = None, *, until: datetime | None = None) -> Task:
        """Show a task's reminder again later; returns the same task, its next alarm at the snoozed instant."""
        return self.alarms.book.snooze(task_id, seconds, until=until)

    def dismiss(self, task_id: str) -> int:
        """Acknowledge a task's shown or missed reminders; how many there were."""
        return self.alarms.book.dismiss(task_id)

    def missed_reminders(self) -> list[Reminder]:
        """Reminders nobody acknowledged (shown or missed), oldest first."""
        return self.alarms.book.open()



__all__ = ["Engine", "Reminder", "Run"]
