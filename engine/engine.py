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
from datetime import datetime
from typing import Any, Protocol

from PySide6.QtCore import QObject, Signal

from engine import recovery, store_faults
from engine.clock import Clock, SystemClock
from engine.clockwatch import ClockChange, ClockWatch, rebase_delays
from engine.conditions import Conditions
from engine.deferred import Dispatcher
from engine.errors import EnvironmentFaultError
from engine.exact import AlarmScheduler
from engine.history.output_cap import OutputCap
from engine.history.policy import RetentionPolicy, load_policy, save_policy
from engine.immediate import JobRunner
from engine.model import Kind, Reminder, Run, StopReason, Task
from engine.output_buffer import OutputBuffer
from engine.pending import PendingWrites
from engine.run_cycle import RUN_HISTORY_SLACK as RUN_HISTORY_SLACK
from engine.run_cycle import RunCycle, _Running
from engine.store import StaleTaskError, Store
from engine.task_reads import TASK_RUNS as TASK_RUNS
from engine.task_reads import TaskReads
from engine.task_writes import TaskWrites

log = logging.getLogger(__name__)

#: Output is written in batches: at most this long after it arrives.
OUTPUT_FLUSH_SECONDS = 0.1
#: Pool threads. Keep-running work is not capped (it was asked for now) and a shell
#: run's thread mostly sleeps in select(), so the pool is wide; deferred work is capped
#: separately by the dispatcher (max_deferred, default the CPU count).
RUNNER_THREADS = 64


class GroupWatcher(Protocol):
    """Who ends the runs' process groups if this process dies (engine.reaper.Reaper)."""

    def watch(self, pgid: int, leader_start: str | None, marker: str) -> None: ...

    def forget(self, pgid: int) -> None: ...


class Engine(QObject, RunCycle, TaskWrites, TaskReads):
    """Workdeck's engine. Lives on one thread (the Qt main thread).

    Its writes (engine.task_writes), its reads (engine.task_reads) and the start and
    end of runs (engine.run_cycle) are mixed in; the life of the engine, its runs'
    output and process groups, and its reminders are here."""

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
        #: Runs claimed inside the transaction of a run's end, launched once it commits.
        self._claimed: list[_Running] | None = None
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
        # Due work first: the clock watch's platform listeners (a timerfd, the system
        # bus) need not delay the first run (issue 14); no timer fires before the loop runs.
        self.dispatcher.start()
        self.clockwatch.start()
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
        next output batch or the next end of a run, whichever comes first (a run that
        ends before then needs no record)."""
        running = self._running.get(task_id)
        if running is None:
            return
        running.pgid = pgid
        if self._group_watcher is not None and not hasattr(self.runner, "watch_group"):
            self._group_watcher.watch(pgid, leader_start, running.ctx.marker)
        self._output.groups[running.run_id] = (pgid, leader_start)
        if not self._output_timer.active:
            self._output_timer.start(OUTPUT_FLUSH_SECONDS)

    def _flush_output(self, *, groups_too: bool = True) -> None:
        """Write the output that came since the last flush, and the process groups that
        began (unless ``groups_too`` is false: a run's end records them in its own
        transaction, engine.run_cycle)."""
        self._output_timer.stop()
        chunks = self._output.take()
        groups: dict[int, tuple[int, str | None]] = {}
        if groups_too:
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
