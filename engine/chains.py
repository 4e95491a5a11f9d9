"""Chains and unique work: what a new task waits for, what an existing unique name
means (WorkManager's policies), and that no task ever waits for itself.

Every function here runs inside the engine's enqueue transaction: a refusal raises
:class:`engine.errors.BadSpecError` and the transaction rolls back, so bad input
writes nothing.

Unique work, as WorkManager means it (only *unfinished* tasks hold a name, except
where ``append`` looks at the newest finished one):

- ``keep``: an unfinished task with the name exists: nothing is enqueued, it is returned.
- ``replace``: the unfinished ones are cancelled (a running one is stopped, stop
  reason ``replaced``, its chain descendants cancelled) and the new task enqueued.
- ``append``: the new task is chained after the leaves of the named work (its
  unfinished tasks that no other unfinished one waits for). With none unfinished it
  goes after the newest task of that name: if that one failed or was cancelled, the
  new one is cancelled at once, as WorkManager's APPEND does.
- ``append-or-replace``: like ``append``, but after a failed or cancelled newest task
  it starts a fresh chain instead.
- ``update``: the newest unfinished task takes the new spec in place, keeping its id,
  attempts and history; a running one finishes its run and uses the new spec from
  its next. Its kind cannot change (use ``replace``).

Periodic work never finishes, so nothing may be chained after it (``--after`` a
repeating task, ``append`` to or with periodic work are refused).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from engine import rules
from engine.clock import to_us
from engine.errors import BadSpecError
from engine.model import Kind, Outcome, State, StopReason, Task, TaskSpec, UniquePolicy
from engine.store import Store
from engine.timeparse import format_duration


@dataclass
class Unique:
    spec: TaskSpec  # the spec to insert (``append`` adds parents to it)
    existing: Task | None = None  # keep/update: return this task, insert nothing
    replace: list[Task] = field(default_factory=list)  # cancel these, reason ``replaced``


def _repeats(spec: TaskSpec) -> bool:
    return spec.schedule is not None and spec.schedule.repeats


def validate(store: Store, spec: TaskSpec) -> None:
    """Refuse what can never work. Inside the enqueue transaction."""
    schedule = spec.schedule
    if spec.kind is not Kind.EXACT and schedule is not None and schedule.every is not None:
        if schedule.every < rules.MIN_INTERVAL:
            raise BadSpecError(
                f"a repeat interval must be at least {format_duration(rules.MIN_INTERVAL)}, "
                f"not {format_duration(schedule.every)}"
            )
    for parent_id in spec.after:
        if not store.has_task(parent_id):
            raise BadSpecError(f"--after {parent_id}: no such task")
        if _repeats(store.task(parent_id, with_runs=False).spec):
            raise BadSpecError(f"--after {parent_id}: that task repeats and never finishes; chain after one-time work")
    if spec.name is not None and spec.policy in (UniquePolicy.APPEND, UniquePolicy.APPEND_OR_REPLACE) and _repeats(spec):
        raise BadSpecError(f"--policy {spec.policy}: periodic work cannot be appended; use keep, replace or update")


def resolve_unique(store: Store, spec: TaskSpec, now: datetime) -> Unique:
    """Apply ``spec.policy`` to the tasks already holding ``spec.name``."""
    if spec.name is None:
        return Unique(spec)
    existing = store.active_with_name(spec.name)
    policy = spec.policy
    if policy is UniquePolicy.KEEP:
        return Unique(spec, existing=existing[-1]) if existing else Unique(spec)
    if policy is UniquePolicy.REPLACE:
        return Unique(spec, replace=existing)
    if policy is UniquePolicy.UPDATE:
        if not existing:
            return Unique(spec)
        return Unique(spec, existing=update_in_place(store, existing[-1], spec, now))
    # APPEND, APPEND_OR_REPLACE
    if any(_repeats(t.spec) for t in existing):
        raise BadSpecError(f"--policy {policy}: {spec.name!r} is periodic work, which cannot be appended to")
    if existing:
        ids = {t.id for t in existing}
        leaves = [t.id for t in existing if not ids.intersection(store.children(t.id))]
    else:
        newest = store.latest_with_name(spec.name)
        if newest is None:
            return Unique(spec)
        if policy is UniquePolicy.APPEND_OR_REPLACE and newest.state in (State.FAILED, State.CANCELLED):
            return Unique(spec)
        leaves = [newest.id]
    return Unique(spec.replace(after=tuple(dict.fromkeys((*spec.after, *leaves)))))


def check_no_cycle(store: Store, task_id: str, parents: tuple[str, ...]) -> None:
    """Refuse parents that already wait, through their chains, for ``task_id``."""
    if task_id in parents:
        raise BadSpecError(f"--after {task_id}: a task cannot wait for itself")
    for parent in parents:
        stack, seen = [parent], {parent}
        while stack:
            for grandparent in store.parents(stack.pop()):
                if grandparent == task_id:
                    raise BadSpecError(
                        f"--after {parent}: that would make a cycle, since {parent} already waits for {task_id}"
                    )
                if grandparent not in seen:
                    seen.add(grandparent)
                    stack.append(grandparent)


def parent_verdict(store: Store, parents: tuple[str, ...]) -> tuple[State, StopReason | None, str | None]:
    """Where a task with these parents starts: cancelled (a parent failed or was
    cancelled, reason and words), blocked (one has not succeeded yet) or enqueued."""
    tasks = [store.task(p, with_runs=False) for p in parents]
    for task in tasks:
        if task.state is State.FAILED:
            return State.CANCELLED, StopReason.PARENT_FAILED, f"parent {task.id} failed"
    for task in tasks:
        if task.state is State.CANCELLED:
            return State.CANCELLED, StopReason.PARENT_CANCELLED, f"parent {task.id} was cancelled"
    if any(t.state is not State.SUCCEEDED for t in tasks):
        return State.BLOCKED, None, None
    return State.ENQUEUED, None, None


def record_birth(store: Store, task: Task, now: datetime) -> None:
    """A task born cancelled (its parent had already failed) says why in its runs."""
    if task.state is not State.CANCELLED:
        return
    _, reason, detail = parent_verdict(store, task.spec.after)
    store.record_run(task.id, 0, to_us(now), Outcome.CANCELLED, stop_reason=reason, detail=detail)


def update_in_place(store: Store, task: Task, spec: TaskSpec, now: datetime) -> Task:
    """``--policy update``: the task keeps its identity and history, takes ``spec``."""
    if spec.kind is not task.kind:
        raise BadSpecError(
            f"--policy update cannot turn task {task.id} from {task.kind} into {spec.kind} work; use replace"
        )
    check_no_cycle(store, task.id, spec.after)
    now_us = to_us(now)
    store.update_spec(task.id, spec, now_us)
    if tuple(store.parents(task.id)) != spec.after:
        store.set_parents(task.id, spec.after)
    updated = Task(task.id, spec, task.state, task.created_at, task.attempts, task.next_run_at)
    if task.state not in (State.ENQUEUED, State.BLOCKED):
        return store.task(task.id)  # running: the new spec applies from its next run
    state, reason, detail = parent_verdict(store, spec.after)
    if state is State.CANCELLED:
        store.record_run(task.id, task.attempts, now_us, Outcome.CANCELLED, stop_reason=reason, detail=detail)
        store.set_state(task, State.CANCELLED, now_us)
    elif state is State.BLOCKED:
        if task.state is State.ENQUEUED:
            store.set_state(task, State.BLOCKED, now_us)
    else:
        due = _due_after_update(store, updated, now)
        if task.state is State.BLOCKED:
            store.set_state(task, State.ENQUEUED, now_us, next_run_at=to_us(due))
        else:
            store.set_next_run(task.id, to_us(due), now_us)
    return store.task(task.id)


def _due_after_update(store: Store, task: Task, now: datetime) -> datetime:
    """Periodic: keep the rhythm, the next window after the last run (WorkManager's
    update keeps the last run's time). Otherwise the new spec's time, else as before."""
    if _repeats(task.spec):
        runs = [r for r in store.runs(task.id, newest=50) if r.started_at is not None and r.attempt > 0]
        if runs:
            nxt, _ = rules.next_window(task, now, None if runs[-1].due_at is None else runs[-1])
            if nxt is not None:
                return nxt
        return rules.first_due(task.spec, task.id, task.created_at if task.spec.run_at else now)
    return task.spec.run_at or task.next_run_at or now
