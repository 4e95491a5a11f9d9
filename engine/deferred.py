"""The persistent queue's dispatcher: starts ENQUEUED tasks when they are due and
their constraints hold, and says in words why one is not running.

- Immediate (keep-running) work starts at once and goes before deferred work.
- Deferred work runs at most ``max_deferred`` at a time (default: the CPU count),
  earliest due first; ``pause`` holds back new deferred runs (running ones finish).
- No polling. One timer is armed for the earliest *future* due task and re-armed on
  every change (``wake``: enqueue, completion, cancellation, a condition change).
  Due tasks that wait for a constraint are woken by their source's change signal,
  due tasks that wait for a slot by a run finishing. The timer runs on monotonic
  time, which ignores clock changes and stops in a suspend: the engine's ClockWatch
  (engine.clockwatch) wakes the dispatcher when the wall clock moved, and each timer
  wake measures too (``check_clock``). :data:`MAX_SLEEP` caps a sleep in case
  both missed it.
- A running task whose constraint stops holding is stopped (stop reason
  ``constraint_lost``) and, being interrupted rather than failed, runs again when the
  constraint holds, without spending a retry.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from engine import rules
from engine.clock import Clock, to_us
from engine.conditions import Conditions
from engine.model import Constraint, Kind, Outcome, State, StopReason, Task
from engine.store import Store
from engine.timeparse import local_zone

if TYPE_CHECKING:
    from engine.engine import Engine

#: Longest single sleep, seconds (see the module's docstring: clock changes). The
#: same bound as the alarms' steps (engine.exact.MAX_STEP).
MAX_SLEEP = 60.0
#: Due tasks are read in pages of this many while looking for ones whose constraints hold.
PAGE = 200


class Dispatcher:
    def __init__(
        self,
        engine: Engine,
        store: Store,
        clock: Clock,
        *,
        max_deferred: int | None = None,
        conditions: Conditions | None = None,
    ) -> None:
        self._engine = engine
        self._store = store
        self._clock = clock
        self.max_deferred = max_deferred or os.cpu_count() or 2
        self.conditions = conditions or Conditions.system(clock, store.path, parent=engine)
        self.conditions.changed.connect(self._on_condition_changed)
        self._timer = clock.timer(self._on_timer)
        #: Measures the clock on each timer wake (the engine sets it to its ClockWatch's check).
        self.check_clock: Callable[[], object] = lambda: None
        self.paused = False
        #: The last pass stopped at the deferred slot limit: due work may wait for a slot.
        self._slots_full = False
        self._busy = False
        self._again = False
        self.armed_for: int | None = None  # microseconds UTC the timer is armed for, for tests and `why`

    # ------------------------------------------------------------ control

    def start(self) -> None:
        """Start due work, then the condition sources, then look again with them.

        The sources connect to the system when they start (the network's Qt backend, the
        session bus for idle time: ~15 ms), which due work that needs no condition need
        not wait for (issue 14: a start's first run). So a first pass starts due work in
        order up to the first task that needs a condition (no task overtakes one due
        before it), and the full pass after the sources start does the rest."""
        self._start_unconditioned()
        self.conditions.start()
        self.dispatch()

    def stop(self) -> None:
        self._timer.stop()
        self.armed_for = None
        self.conditions.stop()

    def _on_timer(self) -> None:
        self.check_clock()
        self.dispatch()

    def wake(self) -> None:
        """Something changed (enqueue, completion, cancel, a clock jump): look again."""
        self.dispatch()

    def enqueued(self, task: Task) -> None:
        """A new task was stored. One that is not due yet needs only the timer, and only
        if it is now the earliest: no queries, so an owner's enqueue rate does not pay
        for a dispatch pass per task."""
        if task.state is not State.ENQUEUED or task.next_run_at is None or not self._engine.started:
            # blocked (its parents wake it), scheduled (the alarm scheduler's), cancelled;
            # or no engine runs work (the command line's own enqueue): the start looks
            return
        due_us = to_us(task.next_run_at)
        now_us = self._clock.now_us()
        if (task.kind is Kind.IMMEDIATE and due_us <= now_us and not task.spec.constraints
                and self._engine.started and not self._busy):
            # Immediate work has no slot limit, so nothing can be queued ahead of it:
            # start the task in hand instead of querying for it.
            self._engine.start_run(task)
            return
        if due_us > now_us and self._engine.started and not self._busy:
            if self.armed_for is None or due_us < self.armed_for:
                self.armed_for = due_us
                self._timer.start(min(MAX_SLEEP, (due_us - now_us) / 1e6))
            return
        self.dispatch()

    def run_ended(self, task: Task, *, released: bool) -> None:
        """A run of ``task`` ended (``task`` as it is now); ``released``: it let children go.

        A pass over the queue is needed only if the run freed a deferred slot that due
        work waited for, or released children. Otherwise the task is like a new one: if
        it runs again later (a retry, a period) only the timer may need to move. (A pass
        per completion was 4 queries, a tenth of the main thread's time per task at 200
        runs a second.)"""
        if released:
            self.dispatch()
        elif task.kind is Kind.DEFERRED and self._slots_full:
            self.dispatch(slot_freed_by=task)
        else:
            self.enqueued(task)

    def pause(self) -> None:
        """Start no new deferred runs until :meth:`resume`. Running ones finish."""
        self.paused = True

    def resume(self) -> None:
        self.paused = False
        self.dispatch()

    # ------------------------------------------------------------ dispatching

    def dispatch(self, *, slot_freed_by: Task | None = None) -> None:
        """Start what is due and can run, and arm the timer for what comes next.

        ``slot_freed_by``: the only change is that this deferred task's run ended while
        due deferred work waited for its slot (a backlog draining). Then the pass looks
        at deferred work only, and the timer moves only for that task (a retry or its
        next period): any other change of what is due comes with a full pass or through
        :meth:`enqueued`. A full pass per completion cost 4 queries of ~1 ms of main
        thread per run (issue 14: 2,000 shell runs drained)."""
        if not self._engine.started:
            return
        if self._busy:
            # Re-entered from a signal emitted while starting a run: finish this pass, then look again.
            self._again = True
            return
        self._busy = True
        try:
            self._again = True
            narrow = slot_freed_by is not None
            while self._again:
                self._again = False
                self._dispatch_once(deferred_only=narrow)
                narrow = False  # a request that came during the pass gets a full one
        finally:
            self._busy = False
        if slot_freed_by is not None:
            self.enqueued(slot_freed_by)  # its next run, if later, may now be the earliest

    def _dispatch_once(self, *, deferred_only: bool = False) -> None:
        now_us = self._clock.now_us()
        watch: set[Constraint] = set()
        for task in self._engine.running_tasks():
            watch.update(task.spec.constraints)  # to notice a constraint lost mid-run
        if not deferred_only:
            self._start_due(Kind.IMMEDIATE, now_us, None, watch)
        if not self.paused:
            free = self.max_deferred - self._engine.running_count(Kind.DEFERRED)
            self._slots_full = free <= 0 or self._start_due(Kind.DEFERRED, now_us, free, watch)
        self.conditions.watch(watch)
        if not deferred_only:
            self._arm(now_us)

    def _start_unconditioned(self) -> None:
        """The pass before the sources start (:meth:`start`): due tasks in order, each
        kind up to its first task that needs a condition. Neither watches nor arms:
        the full pass right after does."""
        if not self._engine.started:
            return
        now_us = self._clock.now_us()
        self._busy = True  # a dispatch asked for meanwhile waits for the full pass
        try:
            self._start_due(Kind.IMMEDIATE, now_us, None, set(), until_conditioned=True)
            free = self.max_deferred - self._engine.running_count(Kind.DEFERRED)
            if not self.paused and free > 0:
                self._start_due(Kind.DEFERRED, now_us, free, set(), until_conditioned=True)
        finally:
            self._busy = False

    def _start_due(self, kind: Kind, now_us: int, free: int | None, watch: set[Constraint], *,
                   until_conditioned: bool = False) -> bool:
        """Start due tasks of ``kind`` whose constraints hold, up to ``free`` (None: all).
        True if it stopped at ``free``: more due tasks may be waiting for a slot.
        ``until_conditioned``: stop (True) at the first task that has constraints."""
        key: tuple[int, int] | None = None
        # Decoding a task costs tens of microseconds: ask for as many as there are free
        # slots, and page wider only past tasks whose constraints do not hold. A full
        # page per completion made a backlog of due tasks cost O(backlog) per run.
        limit = PAGE if free is None else min(PAGE, free)
        while free is None or free > 0:
            page = self._store.due_page(State.ENQUEUED, now_us, kind, after=key, limit=limit)
            for key, task in page:
                if until_conditioned and task.spec.constraints:
                    return True
                unmet = [c for c in task.spec.constraints if not self.conditions.reading(c).met]
                if unmet:
                    watch.update(unmet)
                    continue
                if self._engine.start_run(task):
                    watch.update(task.spec.constraints)
                    if free is not None:
                        free -= 1
                        if free == 0:
                            return True
            if len(page) < limit:
                return False
            limit = PAGE
        return True

    def _arm(self, now_us: int) -> None:
        upcoming = self._store.next_due_after(State.ENQUEUED, now_us, (Kind.IMMEDIATE, Kind.DEFERRED))
        self.armed_for = upcoming
        if upcoming is None:
            self._timer.stop()
            return
        self._timer.start(min(MAX_SLEEP, (upcoming - now_us) / 1e6))

    def _on_condition_changed(self, constraint: str) -> None:
        lost = Constraint(constraint)
        if not self.conditions.reading(lost).met:
            for task in self._engine.running_tasks():
                if lost in task.spec.constraints:
                    self._engine.runner.cancel(task.id, StopReason.CONSTRAINT_LOST)
        self.dispatch()

    # ------------------------------------------------------------ diagnostics

    def explain(self, task: Task) -> str:
        """Why ``task`` is not running, in words (``show`` and the details pane)."""
        now = self._clock.now()
        if task.unreadable:
            return f"unreadable ({task.unreadable}): Workdeck skips it"
        if task.state.finished:
            return _finished_words(task)
        if task.state is State.RUNNING:
            if self._engine.started and not self._engine.is_running(task.id):
                return "marked running, but not by this engine (another process runs it, or it died)"
            return f"running (attempt {task.attempts})"
        if task.state is State.BLOCKED:
            return self._blocked_words(task)
        if task.state is State.SCHEDULED:
            return f"an exact alarm, scheduled for {_when(task.next_run_at, now)}"
        return self._enqueued_words(task, now)

    def _blocked_words(self, task: Task) -> str:
        waiting = []
        for parent_id in self._store.parents(task.id):
            parent = self._store.task(parent_id, with_runs=False)
            if parent.state is not State.SUCCEEDED:
                waiting.append(f"task {parent.id} ({parent.state})")
        return "blocked by " + (", ".join(waiting) if waiting else "nothing any more (it is about to be released)")

    def _enqueued_words(self, task: Task, now: datetime) -> str:
        unmet = self.conditions.unmet(task.spec.constraints) if self._engine.started else []
        needs = "; then " + "; ".join(why for _, why in unmet) if unmet else ""
        if task.next_run_at is not None and task.next_run_at > now:
            # the tail is enough (as Engine reads it after a run): a history has no end
            runs = self._store.runs(task.id, newest=2 * task.spec.retry.max_retries + 50)
            last = runs[-1] if runs else None
            until = _when(task.next_run_at, now)
            failed = last is not None and last.outcome in (Outcome.FAILED, Outcome.TIMED_OUT)
            # A periodic task whose retries ran out in a window waits for the next one.
            if failed and last is not None and rules.failures_in_period(task, runs) <= task.spec.retry.max_retries:
                return f"backing off until {until} after attempt {last.attempt} {last.outcome}{needs}"
            if task.spec.schedule is not None and task.spec.schedule.repeats and task.attempts:
                return f"waiting for its next period, from {until}{needs}"
            return f"waiting until {until}{needs}"
        if not self._engine.started:
            return "due, but no engine runs it: start `workdeck serve` or the window"
        if unmet:
            return "; ".join(why for _, why in unmet)
        if task.kind is Kind.DEFERRED:
            if self.paused:
                return "deferred work is paused"
            busy = self._engine.running_count(Kind.DEFERRED)
            if busy >= self.max_deferred:
                return f"waiting for a free slot ({busy} of {self.max_deferred} deferred runs busy)"
        return "due now; starting"


def _finished_words(task: Task) -> str:
    last = task.runs[-1] if task.runs else None
    if last is not None and last.stop_reason is not None:
        note = f": {last.detail}" if last.detail else ""
        return f"{task.state} ({last.stop_reason}{note})"
    return f"{task.state}; it will not run again"


def _when(instant: datetime | None, now: datetime) -> str:
    """Local wall time, with the date only when it is not today."""
    if instant is None:
        return "an unknown time"
    tz = local_zone()
    local = instant.astimezone(tz)
    if local.date() == now.astimezone(tz).date():
        return local.strftime("%H:%M:%S")
    return local.strftime("%Y-%m-%d %H:%M:%S")
