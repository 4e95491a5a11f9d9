"""What a starting owner does about the runs a dead owner left open.

Two rules, applied before anything is run again:

- **No twin.** Whatever a left-open run's processes still run is ended first
  (:func:`end_survivors`): the group recorded with the run (engine.process_groups
  checks its leader's start and the run's marker, so a recycled pid is never hit), or,
  for a run whose group was never recorded (the owner died within the moment between
  the spawn and the write), every group holding a process that carries the run's
  marker. Only then is the task run again.
- **No crash loop** (systemd's ``StartLimitBurst``): a task whose last
  :data:`CRASH_LIMIT` runs in a row ended with the owner's death is not run again: it
  fails with stop reason ``crashed_owner`` (:func:`crash_looping`) until someone
  retries it by hand (``workdeck retry ID``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from engine import process_groups, rules
from engine.clock import to_us
from engine.model import Outcome, Run, State, StopReason
from engine.platforms import processes
from engine.store import Store

log = logging.getLogger(__name__)

#: Runs in a row that ended with the owner's death before a task is stopped.
CRASH_LIMIT = 3


def end_survivors(run_groups: dict[int, tuple[int, str | None]], runs: Sequence[Run]) -> int:
    """End the processes left by ``runs`` (open runs of a dead owner); ``run_groups`` is
    what was recorded for them (run id -> (pgid, leader start)). Returns how many groups
    were ended; returns once they are gone."""
    groups = []
    unrecorded = set()
    for run in runs:
        mark = process_groups.marker(run.task_id, run.attempt)
        if run.id in run_groups:
            pgid, start = run_groups[run.id]
            groups.append(process_groups.Group(pgid, start, mark))
        else:
            unrecorded.add(mark)
    platform = processes.current()  # process groups on POSIX; on Windows what a job left
    for mark, pgids in platform.find_marked(unrecorded).items():
        groups.extend(process_groups.Group(pgid, None, mark) for pgid in pgids)
    ended = platform.end_left_over(groups)
    if ended:
        log.warning("ended %d process group(s) still running from runs a dead owner left open: %s",
                    len(ended), ", ".join(g.marker for g in ended))
    return len(ended)


def owner_deaths_in_a_row(tail: Sequence[Run]) -> int:
    """How many of a task's last runs (oldest first, the open run last) ended with the
    owner's death, counted back from the newest: an open run counts, as does one already
    recorded as ``process_died``; anything else ends the count (a run that stopped the
    loop, ``crashed_owner``, does too, so a retried task starts counting afresh)."""
    count = 0
    for run in reversed(tail):
        if run.ended_at is None or run.stop_reason is StopReason.PROCESS_DIED:
            count += 1
        else:
            break
    return count


def crash_looping(tail: Sequence[Run]) -> bool:
    return owner_deaths_in_a_row(tail) >= CRASH_LIMIT


def recover(
    store: Store, runs: Sequence[Run], now: datetime, *, cascade: Callable[[str, StopReason, datetime], None]
) -> list[str]:
    """End ``runs`` (a dead owner's open runs): their survivors first, then each run is
    recorded as interrupted and its task goes back to waiting, or fails as
    ``crashed_owner`` (``cascade`` then cancels what waits for it, inside the same
    transaction). Returns the ids of the tasks that changed, children included."""
    if not runs:
        return []
    end_survivors(store.run_groups([run.id for run in runs]), runs)
    changed = []
    for run in runs:
        task = store.task(run.task_id, with_runs=False)
        crashed = crash_looping(store.runs(task.id, newest=CRASH_LIMIT))
        now_us = to_us(now)
        with store.transaction():
            if crashed:
                store.end_run(
                    run.id, now_us, Outcome.INTERRUPTED, stop_reason=StopReason.CRASHED_OWNER,
                    detail=f"the owner died during {CRASH_LIMIT} runs in a row: stopped; "
                           f"workdeck retry {task.id} runs it again",
                )
            else:
                store.end_run(
                    run.id, now_us, Outcome.INTERRUPTED, stop_reason=StopReason.PROCESS_DIED,
                    detail="the process that ran it stopped; found at start",
                )
            if task.state is State.RUNNING and crashed:
                log.warning("task %s: the owner died during its last %d runs; not run again until retried",
                            task.id, CRASH_LIMIT)
                store.set_state(task, State.FAILED, now_us)
                cascade(task.id, StopReason.PARENT_FAILED, now)
            elif task.state is State.RUNNING:
                decision = rules.after_run(task, Outcome.INTERRUPTED, StopReason.PROCESS_DIED, now, 0, run)
                next_run = to_us(decision.next_run_at) if decision.next_run_at is not None else None
                store.set_state(task, decision.state, now_us, next_run_at=next_run)
        changed.append(task.id)
        if crashed:
            changed.extend(store.children(task.id))
    return changed
