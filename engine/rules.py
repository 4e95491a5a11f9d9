"""What happens to a task after a run: plain functions, no Qt, no store, no clock.

The engine asks :func:`after_run` and applies the answer in one transaction.

Periodic work (WorkManager's PeriodicWorkRequest, systemd's timers) is a series of
*windows*. A window ends at each occurrence of the repeat rule and opens ``flex``
before it; the task becomes eligible when its window opens and runs once per window.

- ``--every I``: window ends at anchor + k·I (k >= 1, anchor = the first due instant
  the user gave, else the creation time); ``flex`` defaults to I, so without flex
  the first run is at once and the next ones every I. With ``flex F`` a run happens
  in the last F of each period, as WorkManager's flex interval does.
- ``--cron``: window ends at the cron times (local zone); ``flex`` defaults to 0, so a
  run is eligible at each cron time.

Every window is accounted for, once. A run is credited to the window it was *due*
in, however late it started. After a run, the next window is the first one ending
after both *now* and the run's own window; the windows in between are not run one
by one but recorded, one row per range:

- those that opened before the run started passed while it waited (no engine ran,
  its constraint did not hold, deferred work was paused, every slot was busy): they
  are *coalesced* into that one late run (systemd's Persistent=true, launchd's
  coalescing): a task found overdue runs once;
- those that opened while the run was still going are *skipped overlaps*.

:func:`recorded_windows` reads a recorded range back (``show``, tests, the soak bench).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta


from engine import recurrence
from engine.model import Backoff, Kind, Outcome, RetryPolicy, Run, Schedule, State, StopReason, Task, TaskSpec
from engine.timeparse import local_zone_name, resolve_local, zone

#: WorkManager caps backoff at 5 hours.
MAX_BACKOFF = 5 * 3600.0
#: WorkManager's minimum period is 15 minutes; ours is one second.
MIN_INTERVAL = 1.0
#: Counting skipped overlaps walks the windows one by one; past this many we stop
#: counting exactly (a 1 s task whose run took a day) and say "at least".
_MAX_COUNT = 100_000
_FAILURES = (Outcome.FAILED, Outcome.TIMED_OUT)


@dataclass(frozen=True)
class Skipped:
    """A range of periodic windows (their opening instants) that did not get a run of
    their own: they opened while the previous run was still running (an overlap), or
    passed while it waited to start (``coalesced`` into it)."""

    count: int
    first: datetime
    last: datetime
    at_least: bool = False
    coalesced: bool = False

    def describe(self, run_attempt: int) -> str:
        n = f"at least {self.count}" if self.at_least else str(self.count)
        plural = "" if self.count == 1 and not self.at_least else "s"
        span = f"({self.first.isoformat()} .. {self.last.isoformat()})"
        if self.coalesced:
            return f"coalesced {n} period{plural} {span} into run {run_attempt}: they passed while it waited to start"
        return f"skipped {n} period{plural} {span}: run {run_attempt} was still running"


_RANGE = re.compile(r"^(?:skipped|coalesced) (?:at least )?\d+ periods? \((\S+) \.\. (\S+)\)")


def recorded_windows(detail: str | None) -> tuple[datetime, datetime] | None:
    """The first and last window openings of a range recorded by :meth:`Skipped.describe`."""
    match = _RANGE.match(detail or "")
    if match is None:
        return None
    return datetime.fromisoformat(match.group(1)), datetime.fromisoformat(match.group(2))


@dataclass(frozen=True)
class AfterRun:
    state: State
    next_run_at: datetime | None = None
    cascade: StopReason | None = None  # cancel the task's chain descendants for this reason
    detail: str | None = None
    skipped: Skipped | None = None  # periodic: overlapping windows to record as skipped
    coalesced: Skipped | None = None  # periodic: windows that passed while the run waited to start


def outcome_for(result_outcome: Outcome, stop_reason: StopReason | None) -> Outcome:
    """A worker says CANCELLED; the stop reason says what it really was."""
    if result_outcome is not Outcome.CANCELLED or stop_reason is None:
        return result_outcome
    if stop_reason is StopReason.TIMED_OUT:
        return Outcome.TIMED_OUT
    if stop_reason in (StopReason.SHUTDOWN, StopReason.PROCESS_DIED, StopReason.CONSTRAINT_LOST):
        return Outcome.INTERRUPTED
    return Outcome.CANCELLED


def backoff_delay(retry: RetryPolicy, failures: int, rng: random.Random | None = None) -> float:
    """Seconds to wait before the retry that follows the ``failures``-th failure (1-based).

    linear: d, 2d, 3d ...; exponential: d, 2d, 4d ... (WorkManager's arithmetic), both
    capped at 5 h. With ``retry.jitter`` j > 0 the delay is drawn from [(1-j)·delay,
    delay]: jitter only ever shortens it, so the cap holds.
    """
    n = max(1, failures)
    if retry.backoff is Backoff.LINEAR:
        delay = retry.delay * n
    else:
        delay = retry.delay * (2 ** min(n - 1, 62))
    delay = min(delay, MAX_BACKOFF)
    if retry.jitter > 0:
        delay *= 1.0 - retry.jitter * (rng or random).random()
    return delay


def waiting_state(task: Task) -> State:
    """Where a task waits between runs: exact alarms are SCHEDULED, the rest ENQUEUED."""
    return State.SCHEDULED if task.kind is Kind.EXACT else State.ENQUEUED


# ------------------------------------------------------------------ periodic windows


def flex_of(schedule: Schedule) -> float:
    if schedule.flex is not None:
        return schedule.flex
    return schedule.every if schedule.every is not None else 0.0


def anchor_of(task: Task) -> datetime:
    return task.spec.run_at or task.created_at


def window_end_after(task: Task, after: datetime) -> datetime | None:
    """The end of the first window that ends strictly after ``after``."""
    schedule = task.spec.schedule
    assert schedule is not None
    anchor = anchor_of(task)
    if schedule.every is not None:
        after = max(after, anchor)  # windows end at anchor + k·I with k >= 1
    return recurrence.next_occurrence(schedule, anchor, after)


def window_of(task: Task, due: datetime) -> datetime | None:
    """The end of the window a run that became due at ``due`` belongs to: the last
    window end at or before due + flex (a retry late in the period still counts for
    it), or the first window when there is none."""
    schedule = task.spec.schedule
    assert schedule is not None
    flex = timedelta(seconds=flex_of(schedule))
    if schedule.every is not None:
        # Window ends are evenly spaced (calendar days for whole days): the last end
        # <= x is the first end > x - I.
        return window_end_after(task, due + flex - timedelta(seconds=schedule.every))
    if schedule.cron is not None:
        return _last_cron_at_or_before(schedule, due + flex) or window_end_after(task, due)
    return window_end_after(task, due - timedelta(microseconds=1))


def run_window(task: Task, run: Run) -> datetime | None:
    """The window a run is credited to: the one it was due in, however late it started
    (the windows it started after are coalesced into it, see :func:`next_window`)."""
    return window_of(task, run.due_at or run.started_at)


def _last_cron_at_or_before(schedule: Schedule, instant: datetime) -> datetime | None:
    tz = zone(schedule.tz or local_zone_name())
    wall = instant.astimezone(tz).replace(tzinfo=None) + timedelta(microseconds=1)
    from croniter import croniter  # only for cron rules (see engine.recurrence)

    it = croniter(schedule.cron, wall)
    for _ in range(3):  # a DST fold can map the previous wall time after ``instant``
        candidate = resolve_local(it.get_prev(datetime).replace(tzinfo=tz))
        if candidate <= instant:
            return candidate
    return None


def first_due(spec: TaskSpec, task_id: str, now: datetime) -> datetime:
    """When a new deferred or immediate task first becomes eligible."""
    if spec.schedule is None or not spec.schedule.repeats:
        return spec.run_at or now
    task = Task(task_id, spec, State.ENQUEUED, now)
    start = spec.run_at or now
    end = window_end_after(task, start if spec.schedule.every is not None else start - timedelta(microseconds=1))
    if end is None:
        return start
    return max(start, end - timedelta(seconds=flex_of(spec.schedule)))


@dataclass(frozen=True)
class Accounting:
    """After a periodic run: the next eligible instant and the windows in between."""

    next_due: datetime | None
    skipped: Skipped | None = None  # opened while the run was running
    coalesced: Skipped | None = None  # passed while it waited to start


def next_window(task: Task, now: datetime, run: Run | None) -> tuple[datetime | None, Skipped | None]:
    """The next eligible instant of a periodic task after ``run`` ended at ``now``,
    and the windows skipped because they opened while ``run`` was still running."""
    accounting = account_windows(task, now, run)
    return accounting.next_due, accounting.skipped


def account_windows(task: Task, now: datetime, run: Run | None) -> Accounting:
    """The next eligible instant of a periodic task after ``run`` ended at ``now``, and
    every window between the run's own and that one: skipped (it opened while the run
    was running) or coalesced (it opened before the run started)."""
    schedule = task.spec.schedule
    if schedule is None or not schedule.repeats:
        return Accounting(None)
    flex = timedelta(seconds=flex_of(schedule))
    current = (run_window(task, run) if run is not None else window_of(task, now)) or now
    # A run that started late served the window it started in too: the next one is
    # the first window ending after that one (and after now).
    served = max(current, window_of(task, run.started_at) or current) if run is not None else current
    end = window_end_after(task, max(now, served))
    if end is None:
        return Accounting(None)
    if run is None:
        return Accounting(end - flex)
    return Accounting(
        end - flex,
        skipped=_windows_between(task, current, end, flex, run.started_at, coalesced=False),
        coalesced=_windows_between(task, current, end, flex, run.started_at, coalesced=True),
    )


def _windows_between(
    task: Task, current: datetime, next_end: datetime, flex: timedelta, started: datetime, *, coalesced: bool
) -> Skipped | None:
    """The windows ending after the run's own (``current``) and before the next one that
    opened before the run ``started`` (``coalesced``) or after it (overlaps): each is one
    contiguous range (see :func:`account_windows`)."""
    schedule = task.spec.schedule
    assert schedule is not None
    count, first, last = 0, None, None
    for end in recurrence.occurrences(schedule, anchor_of(task), current):
        if end >= next_end:
            break
        if (end - flex < started) is coalesced:
            count += 1
            first = first or end - flex
            last = end - flex
            if count >= _MAX_COUNT:
                return Skipped(count, first, last, at_least=True, coalesced=coalesced)
    if count == 0 or first is None or last is None:
        return None
    return Skipped(count, first, last, coalesced=coalesced)


def next_periodic(task: Task, now: datetime) -> datetime | None:
    """The next occurrence of a repeating task after ``now``; None if it does not repeat.

    Missed periods are never run one by one here: the next occurrence after now is
    one catch-up at most (systemd's Persistent=true, launchd's coalescing).
    """
    schedule = task.spec.schedule
    if schedule is None or not schedule.repeats:
        return None
    anchor = task.spec.run_at or task.created_at
    return recurrence.next_occurrence(schedule, anchor, now)


# ------------------------------------------------------------------ after a run


def failures_in_period(task: Task, runs: Sequence[Run]) -> int:
    """Failed and timed-out runs, newest first, back to the last success.

    Periodic tasks start each window with a fresh retry budget, so counting also stops
    at a run of an earlier window. Interrupted and skipped runs neither count nor stop.
    ``runs`` are the task's runs oldest first; the last one is the run that just ended.
    """
    periodic = task.spec.schedule is not None and task.spec.schedule.repeats and task.kind is not Kind.EXACT
    window = None
    count = 0
    for run in reversed(runs):
        if run.outcome is Outcome.SUCCEEDED:
            break
        if periodic:
            run_window_end = run_window(task, run)
            if window is None:
                window = run_window_end
            elif run_window_end != window:
                break
        if run.outcome in _FAILURES:
            count += 1
    return count


def after_run(
    task: Task,
    outcome: Outcome,
    stop_reason: StopReason | None,
    now: datetime,
    failures: int,
    run: Run | None = None,
) -> AfterRun:
    """Decide a task's next state after a run ended with ``outcome``.

    ``failures`` counts this run if it failed: failed and timed-out runs since the
    task last succeeded (in this window, for periodic work). Interruptions (shutdown,
    crash, lost constraint) never count against the retry budget: the run was not
    allowed to finish. ``run`` is the run that ended (its due and start instants place
    a periodic run in its window).
    """
    if outcome is Outcome.INTERRUPTED:
        again = now
        if task.kind is Kind.DEFERRED and run is not None and run.due_at is not None and _repeats(task):
            # Runs again for the window it was due in: the windows it ran through are
            # then coalesced into the rerun, not lost.
            again = min(now, run.due_at)
        return AfterRun(waiting_state(task), again, detail=f"interrupted ({stop_reason}); runs again")
    if outcome is Outcome.CANCELLED:
        return AfterRun(State.CANCELLED, cascade=StopReason.PARENT_CANCELLED)
    periodic = task.spec.schedule is not None and task.spec.schedule.repeats
    if outcome in _FAILURES:
        if failures <= task.spec.retry.max_retries:
            delay = backoff_delay(task.spec.retry, failures)
            return AfterRun(
                waiting_state(task),
                now + timedelta(seconds=delay),
                detail=f"retry {failures} of {task.spec.retry.max_retries} after {delay:g}s",
            )
        if periodic:
            return _next_period(task, now, run, "failed; waits for its next period")
        return AfterRun(State.FAILED, cascade=StopReason.PARENT_FAILED)
    if periodic:
        return _next_period(task, now, run, None)
    return AfterRun(State.SUCCEEDED)


def _next_period(task: Task, now: datetime, run: Run | None, detail: str | None) -> AfterRun:
    if task.kind is Kind.EXACT:
        # Exact alarms keep their own repeat handling (engine.exact).
        nxt = next_periodic(task, now)
        return AfterRun(waiting_state(task), nxt, detail=detail) if nxt else AfterRun(State.SUCCEEDED)
    accounting = account_windows(task, now, run)
    if accounting.next_due is None:
        return AfterRun(State.SUCCEEDED, detail="the repeat rule has ended")
    return AfterRun(
        waiting_state(task), accounting.next_due, detail=detail,
        skipped=accounting.skipped, coalesced=accounting.coalesced,
    )


def _repeats(task: Task) -> bool:
    return task.spec.schedule is not None and task.spec.schedule.repeats


def utc(instant: datetime) -> datetime:
    return instant.astimezone(UTC)
