"""The vocabulary of Workdeck: kinds, states, outcomes, specs and runs.

Plain dataclasses and enums, no Qt and no SQL, so every rule that uses them can be
tested without an event loop. State changes go through :func:`transition`, the one
place that knows which moves are legal.
"""

from __future__ import annotations

import copy
import dataclasses
import enum
import functools
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from engine.errors import BadSpecError, IllegalTransitionError
from engine.history.limits import check_retention

#: Input and output data are JSON objects; past this size they belong in a file.
MAX_DATA_BYTES = 64 * 1024
#: The longest duration anything takes (delays, intervals, timeouts): 100 years. Past
#: it, instants leave what datetime can hold and "never" is meant; say so up front.
MAX_SECONDS = 36525 * 86400.0
#: More retries than anyone means; a bigger count overflows the backoff arithmetic.
MAX_RETRIES = 1000


def check_seconds(seconds: float | None, what: str, *, positive: bool = False) -> None:
    """Refuse a duration outside 0 (exclusive when ``positive``) .. MAX_SECONDS, NaN included."""
    if seconds is None:
        return
    low_ok = seconds > 0 if positive else seconds >= 0
    if not low_ok:
        raise BadSpecError(f"{what} must be {'positive' if positive else 'zero or more'}, not {seconds}s")
    if not seconds <= MAX_SECONDS:
        raise BadSpecError(f"{what} of {seconds:g}s is too long: at most 100 years (36525d)")


class Kind(enum.StrEnum):
    """How a task relates to time (DESIGN.md, "the three kinds of work").

    Scoped immediate work is not a Kind: it is never persisted and lives only in a
    :class:`engine.immediate.Scope`.
    """

    IMMEDIATE = "immediate"  # keep-running: starts now, persisted, resumed after a crash
    DEFERRED = "deferred"  # persistent queue: constraints, retries, chains, periodic
    EXACT = "exact"  # an alarm at a wall-clock instant


class State(enum.StrEnum):
    ENQUEUED = "enqueued"  # waiting for its due time and constraints
    BLOCKED = "blocked"  # waiting for parent tasks to succeed
    SCHEDULED = "scheduled"  # an exact alarm armed for next_run_at
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    #: Never stored: what Workdeck shows for a row it cannot read (engine.quarantine).
    #: No move leads in or out; the row keeps its stored state until repaired or deleted.
    UNREADABLE = "unreadable"

    @property
    def finished(self) -> bool:
        return self in FINISHED_STATES


FINISHED_STATES = frozenset({State.SUCCEEDED, State.FAILED, State.CANCELLED})

#: The only legal moves. A finished task never moves again: "a finished task never
#: runs again" is enforced here, not by every caller remembering it.
TRANSITIONS: dict[State, frozenset[State]] = {
    State.ENQUEUED: frozenset({State.RUNNING, State.CANCELLED, State.BLOCKED}),
    State.BLOCKED: frozenset({State.ENQUEUED, State.CANCELLED}),
    State.SCHEDULED: frozenset({State.RUNNING, State.CANCELLED}),
    # back to ENQUEUED/SCHEDULED: a retry, a periodic or repeating task's next
    # occurrence, a run interrupted by a crash or a lost constraint, a snooze
    State.RUNNING: frozenset(
        {State.SUCCEEDED, State.FAILED, State.CANCELLED, State.ENQUEUED, State.SCHEDULED}
    ),
    State.SUCCEEDED: frozenset(),
    State.FAILED: frozenset(),
    State.CANCELLED: frozenset(),
    State.UNREADABLE: frozenset(),
}


def transition(current: State, target: State, *, task_id: str = "?") -> State:
    """Return ``target`` if ``current -> target`` is legal, else raise."""
    if target not in TRANSITIONS[current]:
        raise IllegalTransitionError(task_id, current, target)
    return target


class Outcome(enum.StrEnum):
    """How one run ended."""

    SUCCEEDED = "succeeded"
    FAILED = "failed"
    INTERRUPTED = "interrupted"  # the process stopped or died while it ran; runs again
    CANCELLED = "cancelled"
    TIMED_OUT = "timed_out"


class StopReason(enum.StrEnum):
    """Why a run was stopped before it ended by itself (WorkManager's stop reasons)."""

    CANCELLED_BY_USER = "cancelled_by_user"
    TIMED_OUT = "timed_out"
    CONSTRAINT_LOST = "constraint_lost"
    SHUTDOWN = "shutdown"  # graceful stop of the owning process
    PROCESS_DIED = "process_died"  # found running at start: the owner crashed
    REPLACED = "replaced"  # unique work with policy replace
    PARENT_FAILED = "parent_failed"
    PARENT_CANCELLED = "parent_cancelled"
    OVERLAP = "overlap"  # a periodic run skipped because the previous one still ran
    COALESCED = "coalesced"  # periodic windows that passed while a run waited to start: it served them
    MISSED = "missed"  # an alarm whose time passed while nothing could fire it
    CRASHED_OWNER = "crashed_owner"  # the owner died during its last runs in a row: stopped (engine.recovery)


class Constraint(enum.StrEnum):
    NETWORK = "network"
    AC_POWER = "ac-power"
    BATTERY_NOT_LOW = "battery-not-low"
    STORAGE_NOT_LOW = "storage-not-low"
    IDLE = "idle"
    BACKGROUND = "background"


class Backoff(enum.StrEnum):
    LINEAR = "linear"
    EXPONENTIAL = "exponential"


class UniquePolicy(enum.StrEnum):
    """What enqueueing a task whose unique name already exists means (WorkManager)."""

    KEEP = "keep"
    REPLACE = "replace"
    APPEND = "append"
    APPEND_OR_REPLACE = "append-or-replace"
    UPDATE = "update"


class MissedPolicy(enum.StrEnum):
    """What an exact alarm does with occurrences that passed while it could not fire."""

    FIRE_ONCE = "fire-once"  # once, late, saying how late (within the grace period)
    SKIP = "skip"  # record as missed
    FIRE_ALL = "fire-all"  # every missed occurrence, for commands that need each


def _enum_tuple(values: Any, enum_type: type[enum.StrEnum], what: str) -> tuple[Any, ...]:
    try:
        return tuple(sorted({enum_type(v) for v in values}))
    except ValueError as exc:
        choices = ", ".join(m.value for m in enum_type)
        raise BadSpecError(f"unknown {what} {exc.args[0].split()[0]} (choose from {choices})") from None


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 0
    backoff: Backoff = Backoff.EXPONENTIAL
    delay: float = 30.0  # seconds before the first retry
    jitter: float = 0.0  # 0..1: a retry waits between (1 - jitter) x and 1 x its backoff; off by default

    def __post_init__(self) -> None:
        if not 0.0 <= self.jitter <= 1.0:
            raise BadSpecError(f"backoff jitter must be between 0 and 1, not {self.jitter}")
        if self.max_retries < 0:
            raise BadSpecError(f"retries must be 0 or more, not {self.max_retries}")
        if self.max_retries > MAX_RETRIES:
            raise BadSpecError(f"retries must be at most {MAX_RETRIES}, not {self.max_retries}")
        check_seconds(self.delay, "a backoff delay")


@dataclass(frozen=True)
class Schedule:
    """A repeat rule. At most one of ``every``, ``cron`` and ``rrule`` is set.

    Rules are evaluated in ``tz`` (an IANA zone name, the user's zone by default), never
    by adding fixed spans to UTC, so "every day at 08:00" stays at 08:00 across DST.
    """

    every: float | None = None  # seconds
    cron: str | None = None
    rrule: str | None = None
    tz: str | None = None
    flex: float | None = None  # seconds: a periodic run may start this early in its period
    # The anchor's local wall time ("2027-03-28T02:30:00") when the user typed one that
    # does not exist (a DST gap): the anchor instant fires at the gap's end, later
    # occurrences at the typed time. None: the anchor instant's own reading.
    anchor_wall: str | None = None

    def __post_init__(self) -> None:
        rules = [r for r in (self.every, self.cron, self.rrule) if r is not None]
        if len(rules) > 1:
            raise BadSpecError("give one repeat rule: --every, --cron or an RRULE, not several")
        check_seconds(self.every, "a repeat interval", positive=True)
        check_seconds(self.flex, "a flex window")
        if self.anchor_wall is not None:
            try:
                wall = datetime.fromisoformat(self.anchor_wall)
            except (TypeError, ValueError):
                wall = None
            if wall is None or wall.tzinfo is not None or self.tz is None:
                raise BadSpecError(f"anchor_wall must be a local ISO date-time with a zone, not {self.anchor_wall!r}")
        if self.flex is not None and (self.flex < 0 or (self.every is not None and self.flex > self.every)):
            raise BadSpecError("the flex window must be between 0 and the interval")

    @property
    def repeats(self) -> bool:
        return self.every is not None or self.cron is not None or self.rrule is not None


@dataclass(frozen=True)
class TaskSpec:
    """What the user asked for. Everything a task needs except its identity and state."""

    worker: str  # a name in engine.workers' registry: "shell", "python", "reminder", ...
    args: tuple[str, ...] = ()  # shell: argv; python: ("module:function",); reminder: (message,)
    kind: Kind = Kind.IMMEDIATE
    name: str | None = None  # unique work name
    policy: UniquePolicy = UniquePolicy.KEEP
    tags: tuple[str, ...] = ()
    after: tuple[str, ...] = ()  # parent task ids (chains, fan-in)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: float | None = None  # seconds; a run past it is stopped and counts as failed
    constraints: tuple[Constraint, ...] = ()
    input: dict[str, Any] = field(default_factory=dict)
    run_at: datetime | None = None  # first due instant (UTC); None: now
    #: Seconds of elapsed time before the first run (``--in``, WorkManager's initial
    #: delay): run_at was "now + initial_delay", and a clock change moves it along
    #: (engine.clockwatch.rebase_delays). None: run_at is a wall-clock instant.
    initial_delay: float | None = None
    schedule: Schedule | None = None
    missed: MissedPolicy = MissedPolicy.FIRE_ONCE  # exact work only
    grace: float = 3600.0  # seconds: how late a missed alarm may still fire
    remind_before: float = 0.0  # seconds: an exact reminder fires this long before run_at
    fire_if_past: bool = False  # exact: a run_at already past fires at once instead of being refused
    origin: str = "user"  # "user", "manifest", ...
    # Retention (engine.history): None follows the global policy in the database's settings.
    keep_runs: int | None = None  # keep at least the newest N runs
    keep_for: float | None = None  # seconds: keep every run that ended this recently
    output_limit: int | None = None  # bytes of output kept per run (head + tail)

    def __post_init__(self) -> None:
        object.__setattr__(self, "args", tuple(self.args))
        object.__setattr__(self, "tags", tuple(sorted(set(self.tags))))
        object.__setattr__(self, "after", tuple(dict.fromkeys(self.after)))
        object.__setattr__(self, "constraints", _enum_tuple(self.constraints, Constraint, "constraint"))
        if self.input or not isinstance(self.input, dict):  # {} is always fine: no need to measure it
            check_data_size(self.input, "input")
        check_seconds(self.timeout, "a timeout", positive=True)
        if self.run_at is not None and self.run_at.tzinfo is None:
            raise BadSpecError("run_at must be an aware datetime (UTC)")
        check_seconds(self.grace, "a grace period")
        check_seconds(self.remind_before, "remind-before")
        check_seconds(self.initial_delay, "a delay")
        if self.keep_runs is not None or self.keep_for is not None or self.output_limit is not None:
            check_retention(self.keep_runs, self.keep_for, self.output_limit)

    def replace(self, **changes: Any) -> TaskSpec:
        return dataclasses.replace(self, **changes)

    def to_json(self, *, compact: bool = False) -> dict[str, Any]:
        """The spec as plain JSON-able data, for the store and the command line's socket.

        ``compact`` leaves out fields at their defaults (``from_json`` restores them):
        the store's form, a quarter of the bytes to write on every enqueue."""
        if compact:
            return self._compact_json()
        # Built field by field: dataclasses.asdict deep-copies everything recursively and
        # was half the cost of a durable enqueue. Same result for these field types.
        data = {f.name: getattr(self, f.name) for f in _SPEC_FIELDS}
        for name in _CONVERTED_FIELDS:
            data[name] = self._json_value(name, data[name])
        return data

    def _json_value(self, name: str, value: Any) -> Any:
        """A field of :data:`_CONVERTED_FIELDS` as its JSON form holds it."""
        if name == "retry":
            return dict(vars(value))
        if name == "schedule":
            # anchor_wall only when set: specs stored before it existed read back equal.
            return {k: v for k, v in vars(value).items() if v is not None or k != "anchor_wall"} \
                if value is not None else None
        if name == "input":
            return copy.deepcopy(value) if value else {}
        return value.isoformat() if value else None  # run_at

    def _compact_json(self) -> dict[str, Any]:
        """``to_json(compact=True)``: each field compared with its default as the spec
        holds it, and converted only when it is kept (most are at their default). The
        keys keep the fields' order. Walking a plan made once (name, default, converted)
        instead of looking each field up in the defaults and the converted names: 3.8
        against 4.7 us (issue 14); building the whole form and then filtering it was 11.5."""
        fields = vars(self)
        data: dict[str, Any] = {}
        for name, default, converted in _compact_plan():
            value = fields[name]
            if value is default or value == default:
                continue
            data[name] = self._json_value(name, value) if converted else value
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TaskSpec:
        data = dict(data)
        if data.get("run_at"):
            data["run_at"] = datetime.fromisoformat(data["run_at"])
        if data.get("retry") is not None:
            data["retry"] = RetryPolicy(**{**data["retry"], "backoff": Backoff(data["retry"]["backoff"])})
        if data.get("schedule") is not None:
            data["schedule"] = Schedule(**data["schedule"])
        for key, enum_type in (("kind", Kind), ("policy", UniquePolicy), ("missed", MissedPolicy)):
            if key in data:
                data[key] = enum_type(data[key])
        known = _SPEC_NAMES if cls is TaskSpec else {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


_SPEC_FIELDS = dataclasses.fields(TaskSpec)
_SPEC_NAMES = frozenset(f.name for f in _SPEC_FIELDS)


#: The fields the JSON form converts (the others are stored as they are).
_CONVERTED_FIELDS = frozenset({"retry", "schedule", "input", "run_at"})


#: A default no value equals: the worker is kept whatever it is (from_json needs it).
_ALWAYS_KEPT = object()


@functools.cache
def _compact_plan() -> tuple[tuple[str, Any, bool], ...]:
    """Each field in order: its name, its default as a spec holds it, and whether the
    JSON form converts it (:data:`_CONVERTED_FIELDS`)."""
    default = TaskSpec(worker="")
    return tuple(
        (f.name, _ALWAYS_KEPT if f.name == "worker" else getattr(default, f.name), f.name in _CONVERTED_FIELDS)
        for f in _SPEC_FIELDS
    )


def check_data_size(data: dict[str, Any], what: str) -> None:
    if not isinstance(data, dict):
        raise BadSpecError(f"{what} data must be a JSON object")
    size = len(json.dumps(data, separators=(",", ":")))
    if size > MAX_DATA_BYTES:
        raise BadSpecError(
            f"{what} data is {size} bytes, over the {MAX_DATA_BYTES}-byte limit; pass a file path instead"
        )


@dataclass(frozen=True)
class Run:
    """One attempt of a task, as recorded."""

    id: int
    task_id: str
    attempt: int
    started_at: datetime
    due_at: datetime | None = None
    fired_at: datetime | None = None
    ended_at: datetime | None = None
    outcome: Outcome | None = None  # None while running
    exit_code: int | None = None
    stop_reason: StopReason | None = None
    detail: str | None = None  # a human note: "fired 3 min late", "overlapped run 12"
    spawned_at: datetime | None = None  # when its process started (shell work), after fired_at

    def replace(self, **changes: Any) -> Run:
        """``dataclasses.replace`` for a run (see :func:`_copy_with`)."""
        return _copy_with(self, _RUN_NAMES, changes)


@dataclass(frozen=True)
class RunTotals:
    """A task's counters over every run it ever ended, kept on its row as each run ends,
    so they stay true after old runs are pruned (engine.history.counters).

    ``failed`` counts failed and timed-out runs; ``total`` counts every ended run
    (interrupted, cancelled and skipped ones too). ``last_failure_run`` is the id of the
    newest failed or timed-out run, which pruning always keeps."""

    total: int = 0
    succeeded: int = 0
    failed: int = 0
    last_outcome: Outcome | None = None
    last_ended_at: datetime | None = None
    last_failure_run: int | None = None


#: The counters of a task that has ended no run: one instance for all (it is frozen),
#: not one made for every new task (1.8 us of a durable enqueue, issue 14).
NO_RUNS = RunTotals()


@dataclass(frozen=True)
class Task:
    """A task as stored: its spec, identity and where it is in its life."""

    id: str
    spec: TaskSpec
    state: State
    created_at: datetime
    attempts: int = 0
    next_run_at: datetime | None = None
    output: dict[str, Any] | None = None
    updated_at: datetime | None = None
    runs: tuple[Run, ...] = ()  # what the reader asked for: often none, or the newest few
    totals: RunTotals = NO_RUNS
    #: Why Workdeck cannot read this row (state UNREADABLE), else None: engine.quarantine.
    unreadable: str | None = None
    #: An unreadable row's columns as stored, for export and repair; None otherwise.
    raw: dict[str, Any] | None = None

    @property
    def kind(self) -> Kind:
        return self.spec.kind

    @property
    def name(self) -> str | None:
        return self.spec.name

    def replace(self, **changes: Any) -> Task:
        """``dataclasses.replace`` for a task (see :func:`_copy_with`)."""
        return _copy_with(self, _TASK_NAMES, changes)

    @classmethod
    def new(cls, task_id: str, spec: TaskSpec, state: State, created_at: datetime,
            next_run_at: datetime | None) -> Task:
        """A task as enqueue makes it (no attempts, output, runs or counters yet): what
        ``Task(...)`` makes, without the frozen dataclass's ``object.__setattr__`` per
        field: 1.0 against 2.4 us, once an enqueue (issue 14)."""
        task = object.__new__(cls)
        vars(task).update(id=task_id, spec=spec, state=state, created_at=created_at, attempts=0,
                          next_run_at=next_run_at, output=None, updated_at=None, runs=(), totals=NO_RUNS,
                          unreadable=None, raw=None)
        return task


_RUN_NAMES = frozenset(f.name for f in dataclasses.fields(Run))
_TASK_NAMES = frozenset(f.name for f in dataclasses.fields(Task))
_Copied = TypeVar("_Copied", Run, Task)


def _copy_with(record: _Copied, names: frozenset[str], changes: dict[str, Any]) -> _Copied:
    """A copy of a frozen record (Run, Task: no ``__post_init__``, every field in
    ``__init__``) with ``changes``, as ``dataclasses.replace`` makes it but without its
    ``getattr`` of every field and a pass through ``__init__``: 3.3 against 0.8 us for
    a Task, and the engine copies three records a run (issue 14)."""
    if not names.issuperset(changes):
        raise TypeError(f"{type(record).__name__} has no field {', '.join(sorted(set(changes) - names))}")
    copy = object.__new__(type(record))
    vars(copy).update(vars(record), **changes)  # frozen: __setattr__ refuses, the instance dict does not
    return copy


class ReminderStatus(enum.StrEnum):
    """Where a fired (or missed) reminder is in being acknowledged."""

    SHOWN = "shown"  # handed to the tray; stays in the missed-reminders list until acknowledged
    MISSED = "missed"  # its time passed while nothing could show it (beyond grace, or policy skip)
    SNOOZED = "snoozed"  # acknowledged by a snooze: the same task fires again later
    DISMISSED = "dismissed"


@dataclass(frozen=True)
class Reminder:
    """A reminder as the engine's ``reminder`` signal carries it and the missed list keeps it."""

    task_id: str
    message: str
    due_at: datetime | None
    fired_at: datetime | None  # None: it was missed, never shown on time
    id: int | None = None  # the row in the reminders table
    status: ReminderStatus = ReminderStatus.SHOWN
    detail: str | None = None  # "12 min late", "missed by 3h (grace 1h)"

    @property
    def missed(self) -> bool:
        return self.status is ReminderStatus.MISSED
