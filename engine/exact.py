"""Exact work: alarms that fire at a wall-clock instant, on time, and honestly when not.

The alarms are the tasks table's SCHEDULED rows (``next_run_at`` is the alarm instant);
:class:`AlarmScheduler` keeps ONE clock timer armed for the earliest of them (one index
seek) and re-arms it at start and after every change it hears of.

Arming. A long wait is armed in steps of at most :data:`MAX_STEP` seconds; each step
re-reads the wall clock. The steps stop :data:`FINAL_APPROACH`, then :data:`NEAR`
short of the alarm (see :func:`arm_delay`), so an alarm set an hour ahead fires as
precisely as one set a second ahead. Timers run on monotonic time, which stands still in suspend
and ignores clock changes, so a step is where a changed wall clock is noticed (wall
progress is compared with monotonic progress and the difference logged). The engine's
ClockWatch (engine.clockwatch: a timerfd, logind's PrepareForSleep, a measurement
every second) wakes the scheduler at once on a clock change or a resume, and each
timer step reports to it (``check_clock``), so a change an alarm step notices wakes
the other schedulers too.

Firing. ``fired_at`` is read from the clock when the timer fires and written with the
run's claim (:meth:`engine.engine.Engine.start_run`) before any work starts. An alarm
never fires early: tasks are taken only when ``next_run_at <= now``; a timer that
comes back early just re-arms for the rest.

Missed alarms (the app was not running, the machine slept, the clock jumped forward):
an alarm handled more than :data:`MISSED_AFTER` after its instant follows its
:class:`~engine.model.MissedPolicy`:

- ``fire-once`` (default): one late run for the latest missed occurrence, if that is
  within ``grace``; earlier occurrences are coalesced and recorded as one missed row.
  Past the grace it is handled like ``skip`` (and a reminder lands in the missed list).
- ``skip``: one row with outcome ``cancelled`` and stop reason ``missed`` (and for a
  reminder, a missed entry in the reminders list); a one-shot task ends cancelled,
  a repeating one waits for its next occurrence.
- ``fire-all``: one run per missed occurrence, in order, each with its own ``due_at``
  (at most :data:`MAX_FIRE_ALL`; older ones are recorded as missed).

The next occurrence after a run is computed from the rule, after
``max(now, due_at)``: a clock set back during or after a run never fires the same
occurrence twice, and a clock set forward makes occurrences late, never lost.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from engine import recurrence, rules
from engine.clock import Clock, SystemClock, to_us
from engine.errors import BadSpecError, BadTimeError, EnvironmentFaultError
from engine.model import Kind, MissedPolicy, Outcome, Run, State, StopReason, Task, TaskSpec
from engine.platforms.time_slice import ShortSlice
from engine.reminders import REMINDER_WORKER, ReminderBook, local_text
from engine.store import StaleTaskError, Store
from engine.timeparse import format_duration, local_zone_name

if TYPE_CHECKING:
    from engine.engine import Engine

log = logging.getLogger(__name__)

#: The longest single timer step: a changed wall clock is noticed within this long.
MAX_STEP = 60.0
#: An alarm counts as missed when it fell due while nothing could fire it: before the
#: scheduler started, or before a clock change or suspend it noticed. Otherwise it is
#: missed only when handled later than this (a loop blocked that long); a few seconds
#: late under load is a late fire, not a missed one.
MISSED_AFTER = 60.0
#: A run this late gets "fired N late" in its detail.
LATE_NOTE_AFTER = 1.0
#: Wall and monotonic progress differing by more than this is a clock change or a suspend.
JUMP_TOLERANCE = 2.0
#: fire-all catches up at most this many occurrences; older ones are recorded as missed.
MAX_FIRE_ALL = 100
#: Counting missed occurrences stops here (a minutely rule over years).
MAX_COUNT = 200_000
#: On the real clock the timer is armed this much early and the last stretch is waited
#: out on the clock itself: Qt's millisecond timers alone land 0.5-1.5 ms late on average.
SPIN = 0.002
#: A long wait stops this far short of the alarm and the rest is armed afresh from
#: there. A timer lands later the longer it waits (a bare PreciseTimer: 5 s -> 5.5 ms
#: late, 20 s -> 17.5 ms, about 0.1%, whatever the cause: timer slack, the clocks'
#: rates), so each stage waits at most ~20 times the margin it leaves: a step of up to
#: MAX_STEP lands well within FINAL_APPROACH, that one within NEAR, and the last wait
#: (NEAR less SPIN) is too short to drift; SPIN absorbs the wake-up's own latency.
FINAL_APPROACH = 1.0
#: The last armed wait before an alarm is at most this long (see FINAL_APPROACH): a
#: 1 s last wait came back 1-3 ms late, more than SPIN covers (issue 14, 30 s ahead).
NEAR = 0.05
#: Alarms handled per timer callback; more due ones are taken on the next turn of the loop.
BATCH = 200

_MICRO = timedelta(microseconds=1)


# ---------------------------------------------------------------- rules (plain functions)


def arm_delay(wait: float, spin: float) -> float:
    """How long to arm the timer for an alarm ``wait`` seconds away: at most
    :data:`MAX_STEP`, stopping :data:`FINAL_APPROACH` and then :data:`NEAR` short of the
    alarm while it is farther than that, and ``spin`` early for the last stretch (waited
    out on the clock)."""
    if wait <= NEAR:
        return max(0.0, wait - spin)
    if wait <= FINAL_APPROACH:
        return wait - NEAR
    return min(wait - FINAL_APPROACH, MAX_STEP)


def prepare(spec: TaskSpec, now: datetime) -> TaskSpec:
    """Check an exact spec and make it self-contained: the rule's zone and anchor stored.

    Raises :class:`BadTimeError` / :class:`BadSpecError` (one line) for a past one-shot
    time (unless ``fire_if_past``), a rule that never fires, or remind-before on a
    task that is not a reminder. Invalid cron/RRULE/zone are caught by ``recurrence``.
    """
    schedule = spec.schedule
    repeats = schedule is not None and schedule.repeats
    if schedule is not None:
        if schedule.tz is None:
            schedule = dataclasses.replace(schedule, tz=local_zone_name())
            spec = spec.replace(schedule=schedule)
        recurrence.validate(schedule)
    if spec.remind_before and spec.worker != REMINDER_WORKER:
        raise BadSpecError("remind-before is for reminders: add a reminder beside the command instead")
    if not repeats:
        if spec.run_at is None:
            if not spec.fire_if_past:
                raise BadSpecError("an exact task needs a time (--at) or a repeat rule")
            spec = spec.replace(run_at=now)
        elif spec.run_at < now and not spec.fire_if_past:
            raise BadTimeError(
                f"{local_text(spec.run_at, None)} has passed (it is {local_text(now, None)}): "
                "give a later time, or ask to fire now"
            )
        return spec
    if spec.run_at is None:
        # The rule's anchor (an RRULE's DTSTART, an interval's start), stored with the rule.
        # An RRULE takes missing BYSECOND from it: start on a whole minute.
        anchor = now.replace(second=0, microsecond=0) if schedule and schedule.rrule else now
        spec = spec.replace(run_at=anchor)
    if next_alarm(spec, now) is None:
        raise BadTimeError("the repeat rule has no occurrence after now: check its COUNT/UNTIL")
    return spec


def first_alarm(spec: TaskSpec, now: datetime) -> datetime | None:
    """The first alarm instant of a prepared exact spec."""
    if spec.schedule is None or not spec.schedule.repeats:
        assert spec.run_at is not None
        return max(now, spec.run_at - timedelta(seconds=spec.remind_before))
    return next_alarm(spec, now)


def next_alarm(spec: TaskSpec, after: datetime) -> datetime | None:
    """The first alarm instant strictly after ``after`` of a repeating spec (None: the rule ended).

    An alarm is an occurrence of the rule minus ``remind_before``; ``run_at`` is the
    rule's anchor and no occurrence comes before it.
    """
    schedule = spec.schedule
    if schedule is None or not schedule.repeats:
        return None
    before = timedelta(seconds=spec.remind_before)
    anchor = spec.run_at
    assert anchor is not None, "prepare() stores the anchor"
    lower = max(after + before, anchor - _MICRO)
    occurrence = recurrence.next_occurrence(schedule, anchor, lower)
    return occurrence - before if occurrence is not None else None


@dataclass(frozen=True)
class Missed:
    """The alarm instants of one task that fell due by ``now``, its next_run_at first."""

    count: int
    first: datetime
    last: datetime
    recent: tuple[datetime, ...]  # the latest MAX_FIRE_ALL, oldest first
    capped: bool = False  # count stopped at MAX_COUNT


def missed_alarms(task: Task, now: datetime) -> Missed:
    assert task.next_run_at is not None
    first = task.next_run_at
    spec = task.spec
    every = spec.schedule.every if spec.schedule else None
    if every is not None and every % 86400 != 0 and first <= now:
        # Fixed spans: count them instead of walking through a week of seconds.
        n = int((now - first).total_seconds() // every)
        instants = [first + timedelta(seconds=every * k) for k in range(max(0, n - MAX_FIRE_ALL + 1), n + 1)]
        return Missed(n + 1, first, instants[-1], tuple(instants))
    recent = [first]
    count, last, capped = 1, first, False
    cursor = first
    while (nxt := next_alarm(spec, cursor)) is not None and nxt <= now:
        count, last, cursor = count + 1, nxt, nxt
        recent.append(nxt)
        if len(recent) > MAX_FIRE_ALL:
            del recent[0]
        if count >= MAX_COUNT:
            capped = True
            break
    return Missed(count, first, last, tuple(recent), capped)


def lateness_note(run: Run) -> str | None:
    if run.due_at is None or run.fired_at is None:
        return None
    late = (run.fired_at - run.due_at).total_seconds()
    return f"fired {format_duration(late)} late" if late > LATE_NOTE_AFTER else None


def after_alarm(
    task: Task, run: Run | None, outcome: Outcome, stop_reason: StopReason | None, now: datetime, failures: int
) -> rules.AfterRun:
    """:func:`engine.rules.after_run` for exact tasks: retries and interruptions as there,
    but the next occurrence comes from the rule after the run's own due instant
    (never again the one that just ran), and the run's detail says how late it fired."""
    decision = rules.after_run(task, outcome, stop_reason, now, failures)
    spec = task.spec
    repeats = spec.schedule is not None and spec.schedule.repeats
    out_of_retries = outcome in (Outcome.FAILED, Outcome.TIMED_OUT) and failures > spec.retry.max_retries
    if repeats and (outcome is Outcome.SUCCEEDED or out_of_retries):
        due = run.due_at if run is not None and run.due_at is not None else now
        # fire-all walks through missed occurrences one by one; the others never look back.
        after = due if spec.missed is MissedPolicy.FIRE_ALL else max(now, due)
        nxt = next_alarm(spec, after)
        if nxt is not None:
            decision = rules.AfterRun(State.SCHEDULED, nxt, detail=decision.detail)
        elif outcome is Outcome.SUCCEEDED:
            decision = rules.AfterRun(State.SUCCEEDED, detail="the repeat rule ended")
        else:
            decision = rules.AfterRun(State.FAILED, cascade=StopReason.PARENT_FAILED, detail="the repeat rule ended")
    note = lateness_note(run) if run is not None else None
    if note:
        decision = dataclasses.replace(decision, detail="; ".join(d for d in (note, decision.detail) if d))
    return decision


# ---------------------------------------------------------------- the scheduler


class AlarmScheduler(QObject):
    """Fires the engine's exact tasks. Lives on the engine's thread."""

    def __init__(self, engine: Engine, store: Store, clock: Clock) -> None:
        super().__init__(engine)
        self._engine = engine
        self._store = store
        self._clock = clock
        self._timer = clock.timer(self._on_timer)
        self.book = ReminderBook(engine, store, clock)
        self.running = False
        self._armed_id: str | None = None
        self._armed_for: datetime | None = None
        self._mark: tuple[datetime, float] | None = None  # wall and monotonic time at arming
        #: Alarms due before this instant fell due while nothing could fire them.
        self._blind_until: datetime | None = None
        self._firing = False
        self._spin = SPIN if isinstance(clock, SystemClock) else 0.0  # a fake clock never moves by itself
        #: Held over the last wait before an alarm and its firing: on a busy machine the
        #: thread's wake-up and the command's start then go ahead of the running programs
        #: (engine.platforms.time_slice). Not on a fake clock: nothing waits for real.
        self.short_slice: ShortSlice | None = ShortSlice() if self._spin else None
        #: Wall-minus-monotonic progress seen between two steps (s): clock changes and suspends.
        self.jumps: list[float] = []
        # New tasks come through enqueued, called by the engine, not through task_added.
        engine.task_changed.connect(self._on_task_event)
        engine.task_removed.connect(self._on_task_removed)
        #: Reports each timer wake to the engine's ClockWatch, which wakes every scheduler on a change.
        self.check_clock: Callable[[], object] = lambda: None

    @property
    def armed_for(self) -> datetime | None:
        """The alarm instant the timer is armed for (None: no alarm pending)."""
        return self._armed_for

    def start(self) -> None:
        """Handle what fell due while nothing could fire it, then arm."""
        self.running = True
        self._mark = None
        self._blind_until = self._clock.now()
        self._on_timer()

    def stop(self) -> None:
        self.running = False
        self._timer.stop()
        self._armed_id = self._armed_for = None
        if self.short_slice is not None:
            self.short_slice.release()

    def wake(self) -> None:
        """Look again now (a resume, a change another process wrote, a test)."""
        if self.running:
            self._timer.stop()
            self._timer.start(0)

    def enqueued(self, task: Task) -> None:
        """A new task was stored (Engine.enqueue, before it emits task_added). Only a
        new alarm can move the timer: the one armed is an older task. Called, not
        connected to task_added: a Python slot there made every emit 1.9 against 1.0 us,
        and every enqueue paid for it, alarm or not (issue 14)."""
        if task.state is State.SCHEDULED:
            self._on_task_event(task)

    def _on_task_event(self, task: Task) -> None:
        if not self.running or self._firing:
            return  # a firing batch re-arms when it is done
        earlier = (
            task.state is State.SCHEDULED
            and task.next_run_at is not None
            and (self._armed_for is None or task.next_run_at < self._armed_for)
        )
        if earlier or task.id == self._armed_id:
            self._arm()

    def _on_task_removed(self, task_id: str) -> None:
        if self.running and not self._firing and task_id == self._armed_id:
            self._arm()

    def _arm(self) -> None:
        self._timer.stop()
        near = False
        try:
            if not self.running:
                return
            task = self._store.next_due(State.SCHEDULED, kinds=(Kind.EXACT,))
            if task is None or task.next_run_at is None:
                self._armed_id = self._armed_for = None
                self._mark = None
                return
            now = self._clock.now()
            self._armed_id, self._armed_for = task.id, task.next_run_at
            self._mark = (now, self._clock.monotonic())
            wait = (task.next_run_at - now).total_seconds()
            if wait <= 0 and self._engine.pending.fault is not None:
                return  # due, but the disk refused its claim: the engine wakes us when writes work
            near = wait <= NEAR
            self._timer.start(arm_delay(wait, self._spin))
        finally:
            if self.short_slice is not None and near:
                self.short_slice.hold()
            elif self.short_slice is not None:
                self.short_slice.release()

    def _on_timer(self) -> None:
        if not self.running:
            return
        now = self._clock.now()
        if self._armed_for is not None and 0 < (self._armed_for - now).total_seconds() <= self._spin:
            while (now := self._clock.now()) < self._armed_for:
                pass  # at most SPIN seconds, only right before an alarm
        self._notice_jump(now)
        self.check_clock()
        self._firing = True
        try:
            for i, task in enumerate(self._store.due(State.SCHEDULED, to_us(now), kind=Kind.EXACT, limit=BATCH)):
                # The first alarm fired when the timer did; each one after it when it is handled.
                self._fire(task, now if i == 0 else self._clock.now())
        finally:
            self._firing = False
        self._arm()

    def _notice_jump(self, now: datetime) -> None:
        if self._mark is None:
            return
        wall0, mono0 = self._mark
        drift = (now - wall0).total_seconds() - (self._clock.monotonic() - mono0)
        if abs(drift) > JUMP_TOLERANCE:
            self.jumps.append(drift)
            self._blind_until = max(self._blind_until or now, now) if drift > 0 else self._blind_until
            log.info("the wall clock moved %+.1f s against monotonic time (clock change or suspend)", drift)

    def _fire(self, task: Task, now: datetime) -> None:
        assert task.next_run_at is not None
        try:
            due = task.next_run_at
            missed = (now - due).total_seconds() > MISSED_AFTER or (
                self._blind_until is not None and due < self._blind_until
            )
            if not missed or self._resumes_interrupted(task):
                self._engine.start_run(task, due_at=due, fired_at=now)
                return
            self._catch_up(task, now)
        except EnvironmentFaultError as exc:
            if isinstance(exc, StaleTaskError):
                return  # another writer moved it first
            self._engine.pending.failed(exc)  # a full disk: nothing written; it fires when writes work
        except Exception as exc:  # noqa: BLE001 - one broken alarm must not stop the others
            log.exception("alarm %s could not fire", task.id)
            self._give_up(task, now, f"could not fire: {exc}")

    def _resumes_interrupted(self, task: Task) -> bool:
        """A run stopped by a shutdown or a crash is due again at the instant it was
        stopped: that is a resumption (it runs again, at least once), not a missed alarm."""
        last = self._store.last_run(task.id)
        return last is not None and last.outcome is Outcome.INTERRUPTED and last.ended_at == task.next_run_at

    def _catch_up(self, task: Task, now: datetime) -> None:
        spec = task.spec
        missed = missed_alarms(task, now)
        noun = "occurrence" if missed.count - 1 == 1 else "occurrences"
        if spec.missed is MissedPolicy.FIRE_ALL:
            excess = missed.count - len(missed.recent)
            if excess > 0:
                self._record_missed(
                    task, missed.first, now,
                    f"{excess}{'+' if missed.capped else ''} missed occurrences skipped: "
                    f"fire-all catches up the latest {MAX_FIRE_ALL}",
                )
            self._engine.start_run(task, due_at=missed.recent[0], fired_at=now)
            return
        late_by = (now - missed.last).total_seconds()
        if spec.missed is MissedPolicy.FIRE_ONCE and late_by <= spec.grace:
            if missed.count > 1:
                self._record_missed(
                    task, missed.first, now,
                    f"{missed.count - 1}{'+' if missed.capped else ''} missed {noun} from "
                    f"{local_text(missed.first, spec)} coalesced into one catch-up",
                )
            self._engine.start_run(task, due_at=missed.last, fired_at=now)
            return
        if spec.missed is MissedPolicy.SKIP:
            why = "skipped (missed policy skip)"
        else:
            why = f"{format_duration(late_by)} late, past the {format_duration(spec.grace)} grace period"
        count = f"{missed.count}{'+' if missed.capped else ''} occurrences" if missed.count > 1 else "alarm"
        detail = f"missed {count} due {local_text(missed.last, spec)}: {why}"
        self._skip(task, missed, now, detail)

    def _skip(self, task: Task, missed: Missed, now: datetime, detail: str) -> None:
        nxt = next_alarm(task.spec, now)
        now_us = to_us(now)
        with self._store.transaction():
            self._store.record_run(
                task.id, task.attempts, now_us, Outcome.CANCELLED,
                due_at=to_us(missed.last), stop_reason=StopReason.MISSED, detail=detail,
            )
            if nxt is not None:
                self._store.set_next_run(task.id, to_us(nxt), now_us)
            else:
                self._store.set_state(task, State.CANCELLED, now_us)
            reminder = self.book.add_missed(task, missed.last, detail, now)
        self._engine._emit_changed(task.id)
        if reminder is not None:
            self._engine.reminder.emit(reminder)
            self.book.changed()

    def _record_missed(self, task: Task, due: datetime, now: datetime, detail: str) -> None:
        with self._store.transaction():
            self._store.record_run(
                task.id, task.attempts, to_us(now), Outcome.CANCELLED,
                due_at=to_us(due), stop_reason=StopReason.MISSED, detail=detail,
            )

    def _give_up(self, task: Task, now: datetime, detail: str) -> None:
        """A task that cannot even start (its worker is gone): record why and cancel it,
        so it does not fall due again on every turn of the loop."""
        fresh = self._store.task(task.id, with_runs=False)
        if fresh.state is not State.SCHEDULED:
            return
        now_us = to_us(now)
        with self._store.transaction():
            self._store.record_run(task.id, task.attempts, now_us, Outcome.FAILED, due_at=to_us(task.next_run_at or now), detail=detail)
            self._store.set_state(fresh, State.CANCELLED, now_us)
        self._engine._emit_changed(task.id)
        self._engine.error.emit(f"task {task.id}: {detail}")
