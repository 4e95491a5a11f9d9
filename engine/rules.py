"""What happens to a task after a run: plain functions, no Qt, no store, no clock.

The engine asks :func:`after_run` and applies the answer in one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from engine import recurrence
from engine.model import Backoff, Kind, Outcome, RetryPolicy, State, StopReason, Task

#: WorkManager caps backoff at 5 hours.
MAX_BACKOFF = 5 * 3600.0


@dataclass(frozen=True)
class AfterRun:
    state: State
    next_run_at: datetime | None = None
    cascade: StopReason | None = None  # cancel the task's chain descendants for this reason
    detail: str | None = None


def outcome_for(result_outcome: Outcome, stop_reason: StopReason | None) -> Outcome:
    """A worker says CANCELLED; the stop reason says what it really was."""
    if result_outcome is not Outcome.CANCELLED or stop_reason is None:
        return result_outcome
    if stop_reason is StopReason.TIMED_OUT:
        return Outcome.TIMED_OUT
    if stop_reason in (StopReason.SHUTDOWN, StopReason.PROCESS_DIED, StopReason.CONSTRAINT_LOST):
        return Outcome.INTERRUPTED
    return Outcome.CANCELLED


def backoff_delay(retry: RetryPolicy, failures: int) -> float:
    """Seconds to wait before the retry that follows the ``failures``-th failure (1-based)."""
    n = max(1, failures)
    if retry.backoff is Backoff.LINEAR:
        delay = retry.delay * n
    else:
        delay = retry.delay * (2 ** min(n - 1, 62))
    return min(delay, MAX_BACKOFF)


def waiting_state(task: Task) -> State:
    """Where a task waits between runs: exact alarms are SCHEDULED, the rest ENQUEUED."""
    return State.SCHEDULED if task.kind is Kind.EXACT else State.ENQUEUED


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


def after_run(task: Task, outcome: Outcome, stop_reason: StopReason | None, now: datetime, failures: int) -> AfterRun:
    """Decide a task's next state after a run ended with ``outcome``.

    ``failures`` counts this run if it failed: failed and timed-out runs since the
    task last succeeded. Interruptions (shutdown, crash, lost constraint) never count
    against the retry budget: the run was not allowed to finish.
    """
    if outcome is Outcome.INTERRUPTED:
        return AfterRun(waiting_state(task), now, detail=f"interrupted ({stop_reason}); runs again")
    if outcome is Outcome.CANCELLED:
        return AfterRun(State.CANCELLED, cascade=StopReason.PARENT_CANCELLED)
    if outcome in (Outcome.FAILED, Outcome.TIMED_OUT):
        if failures <= task.spec.retry.max_retries:
            delay = backoff_delay(task.spec.retry, failures)
            return AfterRun(
                waiting_state(task), now + timedelta(seconds=delay), detail=f"retry {failures} after {delay:g}s"
            )
        periodic = next_periodic(task, now)
        if periodic is not None:
            return AfterRun(waiting_state(task), periodic, detail="failed; waits for its next period")
        return AfterRun(State.FAILED, cascade=StopReason.PARENT_FAILED)
    periodic = next_periodic(task, now)
    if periodic is not None:
        return AfterRun(waiting_state(task), periodic)
    return AfterRun(State.SUCCEEDED)
