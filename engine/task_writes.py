"""The engine's writes: enqueue, validate, cancel, update, retry, delete, and the chain
rules they share with the end of a run (cascading a cancel or failure, releasing the
children of a success).

:class:`TaskWrites` is mixed into :class:`engine.engine.Engine`, which gives it its
store, clock, dispatcher, runner and signals. Each write is one short transaction; an
engine that was never started (the command line with no owner running) applies the
same rules on the database alone.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import TYPE_CHECKING

from engine import chains, exact, rules, workers
from engine.checks import check_spec
from engine.clock import to_us
from engine.errors import BadInputError, BadSpecError, NoSuchTaskError
from engine.model import Kind, Outcome, State, StopReason, Task, TaskSpec

if TYPE_CHECKING:
    from PySide6.QtCore import SignalInstance

    from engine.clock import Clock
    from engine.deferred import Dispatcher
    from engine.exact import AlarmScheduler
    from engine.run_cycle import _Running
    from engine.immediate import JobRunner
    from engine.store import Store


def _us(instant: datetime | None) -> int | None:
    return to_us(instant) if instant is not None else None


class TaskWrites:
    """Changing tasks (see the module's docstring)."""

    if TYPE_CHECKING:  # the Engine's (defined here at run time, they would hide its own)
        store: Store
        clock: Clock
        dispatcher: Dispatcher
        alarms: AlarmScheduler
        runner: JobRunner
        _running: dict[str, _Running]
        task_added: SignalInstance
        task_removed: SignalInstance
        reminders_changed: SignalInstance

        def _emit_changed(self, task_id: str) -> None: ...

    def enqueue(self, spec: TaskSpec) -> Task:
        """Validate and store a task; it is committed before this returns."""
        now = self.clock.now()
        spec = self._prepare(spec, now)
        if spec.name is not None:
            return self._enqueue_unique(spec, now)
        with self.store.transaction():
            chains.validate(self.store, spec)  # reads the parents: inside the transaction
            task = self._insert_new(spec, now)
        self.alarms.enqueued(task)  # first, as when it listened to task_added (connected first)
        self.task_added.emit(task)
        self.dispatcher.enqueued(task)
        return task

    def _enqueue_unique(self, spec: TaskSpec, now: datetime) -> Task:
        """:meth:`enqueue` of a spec with a unique name: WorkManager's unique work."""
        with self.store.transaction():
            chains.validate(self.store, spec)
            unique = chains.resolve_unique(self.store, spec, now)
            if unique.existing is None:
                task = self._insert_new(unique.spec, now)
                for old in unique.replace:
                    if old.id not in self._running:
                        self._cancel_in_transaction(old, StopReason.REPLACED, now)
        if unique.existing is not None:  # kept or updated in place
            self._emit_changed(unique.existing.id)
            self.dispatcher.wake()
            return unique.existing
        self.alarms.enqueued(task)
        self.task_added.emit(task)
        for old in unique.replace:
            if old.id in self._running:
                self.runner.cancel(old.id, StopReason.REPLACED)  # its run ends, then its chain
            else:
                self._emit_changed(old.id)
        self.dispatcher.enqueued(task)
        return task

    def _insert_new(self, spec: TaskSpec, now: datetime) -> Task:
        task = self._new_task(spec, now)
        self.store.insert_task(task)
        chains.record_birth(self.store, task, now)
        return task

    def validate(self, spec: TaskSpec) -> None:
        """Raise BadInputError for a spec that :meth:`enqueue` would refuse; writes nothing.
        The New Task form calls it as the user types."""
        self._prepare(spec, self.clock.now())
        chains.validate(self.store, spec)  # reads only

    @staticmethod
    def _prepare(spec: TaskSpec, now: datetime) -> TaskSpec:
        """The spec as it will be stored, checked without the database: its worker's args
        and repeat rule, the constraints its worker implies, an alarm's first instant
        (a past time, a rule that never fires, ... are refused here)."""
        check_spec(spec)
        spec = workers.with_implied_constraints(spec)
        return exact.prepare(spec, now) if spec.kind is Kind.EXACT else spec

    def _new_task(self, spec: TaskSpec, now: datetime) -> Task:
        task_id = os.urandom(6).hex()  # 48 random bits, as uuid4().hex[:12] without the UUID object
        parents = [self.store.task(p, with_runs=False) for p in spec.after] if spec.after else ()
        if parents and any(p.state in (State.FAILED, State.CANCELLED) for p in parents):
            state, next_run = State.CANCELLED, None
        elif parents and any(p.state is not State.SUCCEEDED for p in parents):
            state, next_run = State.BLOCKED, None
        elif spec.kind is Kind.EXACT:
            state, next_run = State.SCHEDULED, exact.first_alarm(spec, now)
        else:
            state, next_run = State.ENQUEUED, rules.first_due(spec, task_id, now)
        return Task.new(task_id, spec, state, now, next_run)

    def cancel(self, task_id: str, reason: StopReason = StopReason.CANCELLED_BY_USER) -> Task:
        """Cancel a task. A running one is stopped; its run ends as cancelled."""
        task = self.store.task(task_id, with_runs=False)
        if task.unreadable:  # quarantined: end it as far as its row allows (engine.quarantine)
            with self.store.transaction():
                self.store.cancel_unreadable(task_id, self.clock.now_us())
                self._cascade(task_id, StopReason.PARENT_CANCELLED, self.clock.now())
            self._emit_changed(task_id)
            return self.store.task(task_id)
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

    def update(self, task_id: str, spec: TaskSpec) -> Task:
        """Edit a task in place (WorkManager's ``update``): it keeps its id and history and
        takes ``spec``. A waiting task is re-planned at once (an alarm re-armed for its new
        time); a running one keeps its run and follows the new spec from its next run.
        Refused (BadInputError, nothing written) for a finished task or a change of kind."""
        now = self.clock.now()
        spec = self._prepare(spec, now)
        with self.store.transaction():
            task = self.store.task(task_id, with_runs=False)
            if task.state.finished:
                raise BadSpecError(f"task {task_id} has {task.state.value}: only waiting or running tasks can be "
                                   "changed; duplicate it instead")
            chains.validate(self.store, spec)
            updated = chains.update_in_place(self.store, task, spec, now)
            if updated.state is State.SCHEDULED and updated.kind is Kind.EXACT:
                self.store.set_next_run(task_id, _us(exact.first_alarm(spec, now)), to_us(now))
        self._emit_changed(task_id)
        self.dispatcher.wake()
        return self.store.task(task_id)

    def retry(self, task_id: str) -> Task:
        """Run a failed task again by hand (e.g. one stopped as ``crashed_owner``): it is
        enqueued, due now, with its history and attempt count kept. Tasks that failed
        because of it (``--after`` children, cancelled) stay cancelled. Exact alarms are
        refused: add them again."""
        task = self.store.task(task_id, with_runs=False)
        if task.state is not State.FAILED:
            raise BadInputError(f"task {task_id} is {task.state.value}: only a failed task can be retried")
        if task.kind is Kind.EXACT:
            raise BadInputError(f"task {task_id} is an exact alarm: add it again to set a new time")
        now = self.clock.now()
        with self.store.transaction():
            self.store.retry_task(task, State.ENQUEUED, to_us(now), to_us(now))
        self._emit_changed(task_id)
        self.dispatcher.wake()
        return self.store.task(task_id)

    def delete(self, task_id: str) -> None:
        """Remove a task and its history for good (WorkManager's prune, for one task).

        Refused (BadInputError, nothing written) for a running task, which must be
        cancelled first, and for a task that unfinished tasks wait for (``--after``):
        they would wait for ever. A waiting task is simply gone: it never runs."""
        with self.store.transaction():  # the checks and the delete see one state of the database
            task = self.store.task(task_id, with_runs=False)
            if task.state is State.RUNNING:
                raise BadInputError(f"task {task_id} is running: cancel it first, then delete it")
            waiting = [c for c in self.store.children(task_id)
                       if not self.store.task(c, with_runs=False).state.finished]
            if waiting:
                raise BadInputError(
                    f"task {task_id} cannot be deleted: {', '.join(waiting)} wait for it; cancel or delete them first"
                )
            open_reminders = self.store.delete_task(task_id)
        self.task_removed.emit(task_id)
        if open_reminders:
            self.reminders_changed.emit()
        self.dispatcher.wake()  # its timer may have been armed for this task

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
            if child.state.finished or child.state in (State.RUNNING, State.UNREADABLE):
                continue
            self.store.record_run(
                child.id, child.attempts, now_us, Outcome.CANCELLED, stop_reason=reason,
                detail=f"parent {parent_id} {'failed' if reason is StopReason.PARENT_FAILED else 'was cancelled'}",
            )
            self.store.set_state(child, State.CANCELLED, now_us)
            self._cascade(child.id, reason, now)

    def _release_children(self, parent_id: str, now: datetime, children: list[str]) -> int:
        """A parent succeeded: children whose parents all succeeded become enqueued.
        Returns how many did."""
        released = 0
        for child_id in children:
            child = self.store.task(child_id, with_runs=False)
            if child.state is not State.BLOCKED:
                continue
            parents = [self.store.task(p, with_runs=False) for p in self.store.parents(child_id)]
            if all(p.state is State.SUCCEEDED for p in parents):
                due = max(now, child.spec.run_at) if child.spec.run_at else now
                self.store.set_state(child, State.ENQUEUED, to_us(now), next_run_at=to_us(due))
                released += 1
        return released
