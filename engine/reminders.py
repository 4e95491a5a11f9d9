"""Reminders: what was shown, what was missed, snooze and dismiss.

A reminder is an exact task whose worker is ``reminder`` (its message in ``args``).
When it fires, the worker hands the message to the engine, which records it here
(status ``shown``) and emits the ``reminder`` signal; a reminder whose time passed
beyond its grace period (or whose policy is ``skip``) is recorded as ``missed`` and
emitted too. Either stays in :meth:`ReminderBook.open` -- the missed-reminders list --
until someone acknowledges it.

Task states. The reminder's run ends as soon as the message is handed over (it
succeeded: the reminder was shown), so a one-shot reminder task finishes, and a
finished task never runs again. Acknowledgement is therefore not a task state but a
row in the ``reminders`` table:

- ``dismiss(task_id)`` closes the task's open reminders.
- ``snooze(task_id, seconds | until)`` closes them as ``snoozed`` and gives the SAME
  task the chosen instant as its next alarm (``next_run_at``): it keeps its id, spec,
  runs and reminder rows, so the table shows one row per reminder (WorkManager's
  ``update`` keeps the id too). A one-shot reminder that already finished (shown:
  succeeded; missed: cancelled) goes back to ``scheduled`` -- the one move out of a
  finished state besides a retry by hand, made by :meth:`Store.retry_task`, not by the
  engine's own rules, so "a finished task never runs again" still holds for them.
  A repeating reminder gets a one-off extra occurrence at the snoozed instant; after it
  fires the rule resumes with its first occurrence after that instant. Occurrences
  between now and a snooze longer than the rule's spacing are folded into the snoozed
  one (it shows the same message), not shown twice.

No run is held open across restarts, and the snooze is as durable as any other alarm:
it is the task's own ``next_run_at``, missed and caught up by the same policy.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from engine.clock import Clock, iso, to_us
from engine.errors import BadSpecError, BadTimeError
from engine.model import Reminder, ReminderStatus, Run, State, Task, TaskSpec
from engine.store import Store
from engine.timeparse import format_duration, local_zone_name, zone

if TYPE_CHECKING:
    from engine.engine import Engine

REMINDER_WORKER = "reminder"
#: The snooze choices a tray menu offers (seconds); any other duration or instant works too.
SNOOZE_CHOICES = (5 * 60.0, 10 * 60.0, 30 * 60.0)


def local_text(instant: datetime, spec: TaskSpec | None) -> str:
    """An instant as the user reads it: local time in the rule's zone, to the second."""
    tz_name = spec.schedule.tz if spec is not None and spec.schedule is not None and spec.schedule.tz else None
    local = instant.astimezone(zone(tz_name or local_zone_name()))
    return local.isoformat(timespec="seconds")


def is_reminder(task: Task) -> bool:
    return task.spec.worker == REMINDER_WORKER


class ReminderBook:
    """The reminders table behind the engine's reminder methods."""

    def __init__(self, engine: Engine, store: Store, clock: Clock) -> None:
        self._engine = engine
        self._store = store
        self._clock = clock

    def shown(self, task_id: str, message: str, run: Run | None) -> Reminder:
        """A worker handed over a reminder: keep it until acknowledged, return what to emit."""
        detail = None
        due, fired = (run.due_at, run.fired_at) if run is not None else (None, None)
        task = self._store.task(task_id, with_runs=False)
        if due is not None and task.spec.remind_before:
            detail = _event_detail(task.spec, due)
        if due is not None and fired is not None and (late := (fired - due).total_seconds()) > 1.0:
            detail = "; ".join(d for d in (detail, f"{format_duration(late)} late") if d)
        reminder = Reminder(task_id, message, due, fired, status=ReminderStatus.SHOWN, detail=detail)
        with self._store.transaction():
            row = self._store.add_reminder(reminder, self._clock.now_us())
        self.changed()
        return _with_id(reminder, row)

    def add_missed(self, task: Task, due: datetime, detail: str, now: datetime) -> Reminder | None:
        """Record a reminder that was missed (inside the caller's transaction); None if the
        task is not a reminder."""
        if not is_reminder(task):
            return None
        message = task.spec.args[0] if task.spec.args else ""
        reminder = Reminder(task.id, message, due, None, status=ReminderStatus.MISSED, detail=detail)
        return _with_id(reminder, self._store.add_reminder(reminder, to_us(now)))

    def open(self) -> list[Reminder]:
        """Reminders nobody acknowledged yet (shown or missed), oldest first."""
        return self._store.open_reminders()

    def dismiss(self, task_id: str) -> int:
        """Acknowledge a task's open reminders; how many there were."""
        self._store.task(task_id, with_runs=False)  # NoSuchTaskError for an unknown id
        with self._store.transaction():
            count = self._store.acknowledge_reminders(task_id, ReminderStatus.DISMISSED, self._clock.now_us())
        if count:
            self.changed()
        return count

    def snooze(self, task_id: str, seconds: float | None = None, *, until: datetime | None = None) -> Task:
        """Show a reminder again later: ``seconds`` from now, or ``until`` an instant.
        Returns the same task, its next alarm at the snoozed instant."""
        task = self._store.task(task_id, with_runs=False)
        if not is_reminder(task):
            raise BadSpecError(f"task {task_id} is not a reminder: only reminders can be snoozed")
        if (seconds is None) == (until is None):
            raise BadSpecError("snooze for a duration or until a time: give one of the two")
        now = self._clock.now()
        if seconds is not None:
            if seconds <= 0:
                raise BadTimeError(f"a snooze must be positive, not {seconds:g}s")
            until = now + timedelta(seconds=seconds)
        assert until is not None
        if until.tzinfo is None:
            raise BadTimeError("snooze until an aware instant (with a time zone)")
        if until <= now:
            raise BadTimeError(f"snooze until {local_text(until, task.spec)}: that time has passed")
        if not self._store.open_reminders(task_id):
            raise BadSpecError(f"task {task_id} has no reminder showing to snooze")
        if task.state is State.RUNNING:
            raise BadSpecError(f"task {task_id} is showing its reminder right now: snooze it once it is shown")
        now_us, until_us = to_us(now), to_us(until)
        with self._store.transaction():
            if task.state.finished:
                self._store.retry_task(task, State.SCHEDULED, now_us, until_us, from_state=task.state)
            else:
                self._store.set_next_run(task_id, until_us, now_us)
            self._store.acknowledge_reminders(
                task_id, ReminderStatus.SNOOZED, now_us, detail=f"snoozed until {local_text(until, task.spec)}",
            )
        self._engine._emit_changed(task_id)  # re-arms the alarm scheduler for the new instant
        self.changed()
        return self._store.task(task_id)

    def changed(self) -> None:
        self._engine.reminders_changed.emit()


def _event_detail(spec: TaskSpec, due: datetime) -> str:
    """What a remind-before reminder is about: the event's time, and how far off it is
    (a snoozed one-shot reminder still speaks of the original event)."""
    repeats = spec.schedule is not None and spec.schedule.repeats
    event = spec.run_at if not repeats and spec.run_at is not None else due + timedelta(seconds=spec.remind_before)
    ahead = (event - due).total_seconds()
    if ahead > 0:
        return f"in {format_duration(ahead)}, at {local_text(event, spec)}"
    return f"at {local_text(event, spec)}, {format_duration(-ahead)} ago" if ahead < 0 else f"now, at {local_text(event, spec)}"


def _with_id(reminder: Reminder, row: int) -> Reminder:
    return replace(reminder, id=row)


def reminder_json(reminder: Reminder) -> dict[str, object]:
    """One entry of the missed-reminders list as ``workdeck reminders --json`` prints it."""
    return {
        "id": reminder.id,
        "task_id": reminder.task_id,
        "message": reminder.message,
        "status": reminder.status.value,
        "due_at": iso(reminder.due_at) if reminder.due_at else None,
        "fired_at": iso(reminder.fired_at) if reminder.fired_at else None,
        "detail": reminder.detail,
    }


def answer_request(engine: Engine, request: dict[str, object]) -> dict[str, object]:
    """The owner's side of ``workdeck snooze`` and ``workdeck dismiss`` (engine/ipc.py),
    and the command line's own when no owner runs: the same call either way.

    ``{"op": "snooze", "id": ID, "seconds": S}`` or ``..., "until": ISO-8601 with offset}``;
    ``{"op": "dismiss", "id": ID}``.
    """
    task_id = request.get("id")
    if not isinstance(task_id, str) or not task_id:
        raise BadSpecError(f"{request.get('op')} needs a task id")
    if request.get("op") == "dismiss":
        count = engine.dismiss(task_id)
        if not count:
            raise BadSpecError(f"task {task_id} has no reminder showing to dismiss")
        return {"ok": True, "task_id": task_id, "dismissed": count}
    seconds, until = request.get("seconds"), request.get("until")
    if isinstance(until, str):
        try:
            instant = datetime.fromisoformat(until)
        except ValueError:
            raise BadTimeError(f"malformed time {until!r}") from None
        snoozed = engine.snooze(task_id, until=instant)
    elif isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
        snoozed = engine.snooze(task_id, float(seconds))
    else:
        raise BadSpecError("snooze needs seconds or until")
    fires = snoozed.next_run_at  # the snoozed alarm's instant
    assert fires is not None
    # "snoozed_as" names the task that fires: the reminder's own since the snooze keeps it.
    return {"ok": True, "task_id": task_id, "snoozed_as": snoozed.id, "until": iso(fires)}
