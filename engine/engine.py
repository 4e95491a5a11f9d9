"""The facade: the one object the window, the tray, ``serve`` and the CLI talk to.

It wires the store, the clock, the job runner and the schedulers, applies every state
change in one short transaction, and tells listeners through Qt signals. Whoever
holds an Engine that was never started (the command line with no owner running)
can still enqueue, cancel and query: the same rules, on the database alone.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from PySide6.QtCore import QObject, Signal

from engine import recurrence, rules, workers
from engine.clock import Clock, SystemClock, Timer, to_us
from engine.deferred import Dispatcher
from engine.errors import BadSpecError, NoSuchTaskError
from engine.immediate import PRIORITY_DEFERRED, PRIORITY_IMMEDIATE, JobRunner
from engine.model import Kind, Outcome, Run, State, StopReason, Task, TaskSpec, UniquePolicy
from engine.store import Store
from engine.workers import WorkContext, WorkResult

log = logging.getLogger(__name__)

#: Output is written in batches: at most this long after it arrives.
OUTPUT_FLUSH_SECONDS = 0.1
#: Pool threads. Keep-running work is not capped (it was asked for now) and a shell
#: run's thread mostly sleeps in select(), so the pool is wide; deferred work is capped
#: separately by the dispatcher (max_deferred, default the CPU count).
RUNNER_THREADS = 64


@dataclass
class _Running:
    task: Task
    run_id: int
    ctx: WorkContext
    timeout: Timer | None = None


@dataclass(frozen=True)
class Reminder:
    task_id: str
    message: str
    due_at: datetime | None
    fired_at: datetime | None


@dataclass
class _OutputBuffer:
    chunks: list[tuple[int, str]] = field(default_factory=list)


class Engine(QObject):
    """Workdeck's engine. Lives on one thread (the Qt main thread)."""

    task_added = Signal(object)  # Task
    task_changed = Signal(object)  # Task, after any state or schedule change
    run_started = Signal(object)  # Run
    run_progress = Signal(str, object, str)  # task id, fraction in 0..1 or None, message
    run_output = Signal(str, str)  # task id, text
    run_finished = Signal(object)  # Run, with its outcome
    reminder = Signal(object)  # Reminder
    error = Signal(str)  # an environment fault to show plainly

    def __init__(
        self,
        store: Store,
        clock: Clock | None = None,
        *,
        runner: JobRunner | None = None,
        max_deferred: int | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.store = store
        self.clock = clock or SystemClock(self)
        self.runner = runner or JobRunner(max_threads=RUNNER_THREADS, parent=self)
        self.started = False
        self._running: dict[str, _Running] = {}
        self._output = _OutputBuffer()
        self._output_timer = self.clock.timer(self._flush_output)
        self.dispatcher = Dispatcher(self, store, self.clock, max_deferred=max_deferred)
        self.runner.finished.connect(self._on_job_finished)
        self.runner.progress.connect(self.run_progress)
        self.runner.output.connect(self._on_job_output)
        self.runner.notify.connect(self._on_job_notify)

    # ------------------------------------------------------------ life

    def start(self) -> None:
        """Recover what a crash left running, then start dispatching."""
        self._recover_interrupted_runs()
        self.started = True
        self.dispatcher.wake()

    def stop(self, *, timeout_ms: int = 10_000) -> None:
        """Stop gracefully: running tasks are stopped and recorded as interrupted,
        so the next start runs them again. A stopped engine is not started again."""
        self.started = False
        self.dispatcher.stop()
        # shutdown cancels every job and delivers each finished signal before it
        # returns, so every run is recorded (as interrupted) by then; it also ends the
        # pool's idle threads, so nothing outlives the engine.
        self.runner.shutdown(StopReason.SHUTDOWN, timeout_ms)
        self._flush_output()

    def _recover_interrupted_runs(self) -> None:
        now = self.clock.now()
        for run in self.store.open_runs():
            if run.task_id in self._running:
                continue
            task = self.store.task(run.task_id, with_runs=False)
            with self.store.transaction():
                self.store.end_run(
                    run.id, to_us(now), Outcome.INTERRUPTED, stop_reason=StopReason.PROCESS_DIED,
                    detail="the process that ran it stopped; found at start",
                )
                if task.state is State.RUNNING:
                    decision = rules.after_run(task, Outcome.INTERRUPTED, StopReason.PROCESS_DIED, now, 0)
                    self.store.set_state(task, decision.state, to_us(now), next_run_at=_us(decision.next_run_at))
            self._emit_changed(task.id)

    # ------------------------------------------------------------ writing

    def enqueue(self, spec: TaskSpec) -> Task:
        """Validate and store a task; it is committed before this returns."""
        self.validate(spec)
        now = self.clock.now()
        superseded: list[Task] = []
        with self.store.transaction():
            for parent in spec.after:
                if not self.store.has_task(parent):
                    raise BadSpecError(f"--after {parent}: no such task")
            if spec.name is not None:
                existing = self.store.active_with_name(spec.name)
                if existing:
                    kept, spec, superseded = self._apply_unique_policy(spec, existing, now)
                    if kept is not None:
                        return kept
            task = self._new_task(spec, now)
            self.store.insert_task(task)
            for old in superseded:
                self._cancel_in_transaction(old, StopReason.REPLACED, now)
        self.task_added.emit(task)
        for old in superseded:
            self._emit_changed(old.id)
        self.dispatcher.wake()
        return task

    def validate(self, spec: TaskSpec) -> None:
        """Raise BadInputError for a spec that :meth:`enqueue` would refuse; writes nothing.
        The New Task form calls it as the user types."""
        workers.get(spec.worker).validate(spec.args)
        if spec.schedule is not None:
            recurrence.validate(spec.schedule)
        if spec.kind is Kind.EXACT and spec.run_at is None and not (spec.schedule and spec.schedule.repeats):
            raise BadSpecError("an exact task needs a time (--at) or a repeat rule")

    def _apply_unique_policy(
        self, spec: TaskSpec, existing: list[Task], now: datetime
    ) -> tuple[Task | None, TaskSpec, list[Task]]:
        """WorkManager's unique work: returns (task to return instead, spec to insert, tasks to cancel)."""
        policy = spec.policy
        last = existing[-1]
        if policy is UniquePolicy.KEEP:
            return last, spec, []
        if policy is UniquePolicy.REPLACE:
            return None, spec, existing
        if policy is UniquePolicy.UPDATE:
            self.store.update_spec(last.id, spec, to_us(now))
            return self.store.task(last.id), spec, []
        # APPEND and APPEND_OR_REPLACE: chain after the newest; APPEND_OR_REPLACE starts
        # a fresh chain when the newest has already failed or been cancelled.
        return None, spec.replace(after=tuple(dict.fromkeys((*spec.after, last.id)))), []

    def _new_task(self, spec: TaskSpec, now: datetime) -> Task:
        task_id = uuid.uuid4().hex[:12]
        parents = [self.store.task(p, with_runs=False) for p in spec.after]
        if any(p.state in (State.FAILED, State.CANCELLED) for p in parents):
            state, next_run = State.CANCELLED, None
        elif any(p.state is not State.SUCCEEDED for p in parents):
            state, next_run = State.BLOCKED, None
        elif spec.kind is Kind.EXACT:
            first = spec.run_at or rules.next_periodic(Task(task_id, spec, State.SCHEDULED, now), now)
            state, next_run = State.SCHEDULED, first
        else:
            state, next_run = State.ENQUEUED, spec.run_at or now
        return Task(id=task_id, spec=spec, state=state, created_at=now, next_run_at=next_run)

    def cancel(self, task_id: str, reason: StopReason = StopReason.CANCELLED_BY_USER) -> Task:
        """Cancel a task. A running one is stopped; its run ends as cancelled."""
        task = self.store.task(task_id, with_runs=False)
        if task.state.finished:
            return task
        if task.state is State.RUNNING and task_id in self._running:
            self.runner.cancel(task_id, reason)
            return task
        with self.store.transaction():
            self._cancel_in_transaction(task, reason, self.clock.now())
        self._emit_changed(task_id)
        self.dispatcher.wake()
        return self.store.task(task_id)

    def cancel_matching(self, *, tag: str | None = None, name: str | None = None) -> list[Task]:
        matches = [t for t in self.store.tasks(tag=tag, name=name) if not t.state.finished]
        if not matches:
            raise NoSuchTaskError(f"tag {tag}" if tag else f"name {name}")
        return [self.cancel(t.id) for t in matches]

    def _cancel_in_transaction(self, task: Task, reason: StopReason, now: datetime) -> None:
        now_us = to_us(now)
        if task.state is State.RUNNING:
            # Running in no process of ours: a run left open by a crash.
            for run in self.store.open_runs():
                if run.task_id == task.id:
                    self.store.end_run(run.id, now_us, Outcome.CANCELLED, stop_reason=reason)
        self.store.set_state(task, State.CANCELLED, now_us)
        self._cascade(task.id, StopReason.PARENT_CANCELLED, now)

    def _cascade(self, parent_id: str, reason: StopReason, now: datetime) -> None:
        """Cancel the unfinished descendants of a failed or cancelled task, saying why."""
        now_us = to_us(now)
        for child_id in self.store.children(parent_id):
            child = self.store.task(child_id, with_runs=False)
            if child.state.finished or child.state is State.RUNNING:
                continue
            self.store.record_run(
                child.id, child.attempts, now_us, Outcome.CANCELLED, stop_reason=reason,
                detail=f"parent {parent_id} {'failed' if reason is StopReason.PARENT_FAILED else 'was cancelled'}",
            )
            self.store.set_state(child, State.CANCELLED, now_us)
            self._cascade(child.id, reason, now)

    def _release_children(self, parent_id: str, now: datetime) -> None:
        """A parent succeeded: children whose parents all succeeded become enqueued."""
        for child_id in self.store.children(parent_id):
            child = self.store.task(child_id, with_runs=False)
            if child.state is not State.BLOCKED:
                continue
            parents = [self.store.task(p, with_runs=False) for p in self.store.parents(child_id)]
            if all(p.state is State.SUCCEEDED for p in parents):
                due = max(now, child.spec.run_at) if child.spec.run_at else now
                self.store.set_state(child, State.ENQUEUED, to_us(now), next_run_at=to_us(due))

    # ------------------------------------------------------------ running

    def running_count(self, kind: Kind | None = None) -> int:
        return sum(1 for r in self._running.values() if kind is None or r.task.kind is kind)

    def is_running(self, task_id: str) -> bool:
        return task_id in self._running

    def start_run(self, task: Task, *, due_at: datetime | None = None, fired_at: datetime | None = None) -> bool:
        """Claim ``task`` and start its next attempt. False if another writer claimed it first."""
        if task.id in self._running:
            return False
        now = self.clock.now()
        attempt = task.attempts + 1
        worker = workers.get(task.spec.worker)
        with self.store.transaction():
            fresh = self.store.task(task.id, with_runs=False)
            if fresh.state not in (State.ENQUEUED, State.SCHEDULED):
                return False
            self.store.set_state(fresh, State.RUNNING, to_us(now), next_run_at=None, attempts=attempt)
            run_id = self.store.start_run(
                task.id, attempt, to_us(now), due_at=_us(due_at or fresh.next_run_at), fired_at=_us(fired_at)
            )
        ctx = WorkContext(task_id=task.id, attempt=attempt, args=task.spec.args, input=self._input_of(fresh))
        running = _Running(task=fresh, run_id=run_id, ctx=ctx)
        if task.spec.timeout is not None:
            running.timeout = self.clock.timer(lambda: self._time_out(task.id))
            running.timeout.start(task.spec.timeout)
        self._running[task.id] = running
        self.runner.submit(worker, ctx, priority=PRIORITY_IMMEDIATE if task.kind is Kind.IMMEDIATE else PRIORITY_DEFERRED)
        self._emit_changed(task.id)
        self.run_started.emit(self.store.run(run_id))
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

    def _flush_output(self) -> None:
        self._output_timer.stop()
        chunks, self._output.chunks = self._output.chunks, []
        if chunks:
            self.store.append_output(chunks)

    def _on_job_notify(self, task_id: str, message: str) -> None:
        running = self._running.get(task_id)
        run = self.store.run(running.run_id) if running else None
        self.reminder.emit(
            Reminder(task_id, message, run.due_at if run else None, run.fired_at if run else None)
        )

    def _on_job_finished(self, job: Any, result: WorkResult) -> None:
        running = self._running.pop(job.task_id, None)
        if running is None:
            log.error("a job finished for task %s, which is not running here", job.task_id)
            return
        if running.timeout is not None:
            running.timeout.stop()
        self._flush_output()
        if result.error:
            self.store.append_output([(running.run_id, f"\n[workdeck] {result.error}\n")])
        now = self.clock.now()
        outcome = rules.outcome_for(result.outcome, running.ctx.stop_reason)
        task = self.store.task(running.task.id, with_runs=False)
        failures = self._failures_since_success(task.id) + (outcome in (Outcome.FAILED, Outcome.TIMED_OUT))
        decision = rules.after_run(task, outcome, running.ctx.stop_reason, now, failures)
        with self.store.transaction():
            self.store.end_run(
                running.run_id, to_us(now), outcome, exit_code=result.exit_code,
                stop_reason=running.ctx.stop_reason, detail=decision.detail,
            )
            self.store.set_state(
                task, decision.state, to_us(now), next_run_at=_us(decision.next_run_at), output=result.output
            )
            if outcome is Outcome.SUCCEEDED:
                self._release_children(task.id, now)
            if decision.cascade is not None:
                self._cascade(task.id, decision.cascade, now)
        self.run_finished.emit(self.store.run(running.run_id))
        self._emit_changed(task.id)
        for child_id in self.store.children(task.id):
            self._emit_changed(child_id)
        self.dispatcher.wake()

    def _failures_since_success(self, task_id: str) -> int:
        count = 0
        for run in reversed(self.store.runs(task_id)):
            if run.outcome is Outcome.SUCCEEDED:
                break
            if run.outcome in (Outcome.FAILED, Outcome.TIMED_OUT):
                count += 1
        return count

    # ------------------------------------------------------------ reading

    def task(self, task_id: str) -> Task:
        return self.store.task(task_id)

    def tasks(self, **filters: Any) -> list[Task]:
        return self.store.tasks(**filters)

    def runs_between(self, start: datetime, end: datetime) -> list[Run]:
        """Runs overlapping [start, end], open runs included: the timeline's range read."""
        return self.store.runs_between(to_us(start), to_us(end))

    def log(self, task_id: str) -> str:
        self._flush_output()
        return self.store.latest_output(task_id)

    def _emit_changed(self, task_id: str) -> None:
        self.task_changed.emit(self.store.task(task_id, with_runs=False))


def _us(instant: datetime | None) -> int | None:
    return to_us(instant) if instant is not None else None


__all__ = ["Engine", "Reminder", "Run"]
