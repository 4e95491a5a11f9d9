"""The checks a spec must pass that need no database: one place for the engine, the
command line (before it opens anything) and the New Task form (as the user types)."""

from __future__ import annotations

from datetime import datetime

from engine import recurrence, workers
from engine.errors import BadSpecError, BadTimeError
from engine.model import TaskSpec


def check_spec(spec: TaskSpec) -> None:
    """Raise :class:`engine.errors.BadInputError` with one line if ``spec`` can never run."""
    workers.get(spec.worker).validate(spec.args)
    check_text(spec)
    if spec.schedule is not None:
        recurrence.validate(spec.schedule)
    for tag in spec.tags:
        if not tag.strip():
            raise BadSpecError("a tag must not be empty")
    if spec.name is not None and not spec.name.strip():
        raise BadSpecError("a task's unique name must not be empty")


def check_text(spec: TaskSpec) -> None:
    """Names, tags and ids are UTF-8 text without NUL; a command's arguments have no NUL.

    A non-UTF-8 command-line argument reaches Python as lone surrogates
    (``surrogateescape``), which SQLite cannot store as text; a NUL cuts an argv or a
    C string short. Arguments may hold non-UTF-8 bytes: they are file names, and they
    round-trip as they came."""
    if spec.name:
        _check_text("name", spec.name)
    for tag in spec.tags:
        _check_text("tag", tag)
    for parent in spec.after:
        _check_text("after id", parent)
    for arg in spec.args:
        if "\0" in arg:  # inline, not a call per argument: argvs are the long list here
            _refuse_nul("an argument", arg)


def _check_text(what: str, value: str) -> None:
    _refuse_nul(what, value)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        shown = value.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise BadSpecError(f"{what} '{shown}' is not valid UTF-8 text") from None


def _refuse_nul(what: str, value: str) -> None:
    if "\0" in value:
        raise BadSpecError(f"{what} {value!r} contains a NUL byte")


def check_timing(spec: TaskSpec, now: datetime) -> None:
    """A repeating spec must occur at least once from now on (its rule checked already).

    Called before a database is opened, so a rule that has ended (an UNTIL or COUNT in
    the past) writes nothing; the engine checks the same for alarms when it prepares them.
    """
    schedule = spec.schedule
    if schedule is None or not schedule.repeats:
        return
    anchor = spec.run_at or now
    try:
        upcoming = recurrence.next_occurrence(schedule, anchor, max(now, anchor - _MICRO))
    except OverflowError:
        upcoming = None
    if upcoming is None:
        raise BadTimeError("the repeat rule has no occurrence after now: check its COUNT/UNTIL")


_MICRO = datetime.resolution
