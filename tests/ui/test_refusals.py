"""The form's refusals in the user's language: every refusal the table knows is one the
engine really makes (a reworded engine message fails here, not silently in the form),
and the engine and the command line keep their English."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from engine.errors import BadInputError
from engine.model import Kind, RetryPolicy, Schedule, TaskSpec, UniquePolicy
from engine.timeparse import parse_duration
from ui.refusals import REFUSALS, form_refusal, match
from ui.text import plain_refusal


def _refusals(engine) -> list[str]:
    """What the engine says to each spec the form can build wrong."""
    now = engine.clock.now()
    once = engine.enqueue(TaskSpec("shell", ("true",), kind=Kind.DEFERRED, run_at=now + timedelta(hours=1)))
    child = engine.enqueue(TaskSpec("shell", ("true",), kind=Kind.DEFERRED, after=(once.id,)))
    periodic = engine.enqueue(TaskSpec("shell", ("true",), kind=Kind.DEFERRED, schedule=Schedule(every=3600)))
    shell = TaskSpec("shell", ("rsync",), kind=Kind.DEFERRED)
    attempts: list[Callable[[], object]] = [
        lambda: parse_duration("10x"),
        lambda: parse_duration("9999999d"),
        lambda: TaskSpec("shell", ("x",), timeout=1e12),
        lambda: TaskSpec("shell", ("x",), timeout=0.0),
        lambda: TaskSpec("shell", ("x",), retry=RetryPolicy(delay=-1)),
        lambda: engine.validate(shell.replace(schedule=Schedule(cron="not cron"))),
        lambda: engine.validate(TaskSpec("shell", ("x",), kind=Kind.EXACT, run_at=now - timedelta(hours=1))),
        lambda: engine.validate(TaskSpec("reminder", ("x",), kind=Kind.EXACT,
                                         schedule=Schedule(rrule="FREQ=DAILY;UNTIL=20000101T000000Z"))),
        lambda: engine.validate(shell.replace(schedule=Schedule(every=0.5))),
        lambda: engine.validate(TaskSpec("shell", (), kind=Kind.DEFERRED)),
        lambda: engine.validate(TaskSpec("shell", ("",), kind=Kind.DEFERRED)),
        lambda: engine.validate(TaskSpec("python", ("nocolon",), kind=Kind.DEFERRED)),
        lambda: engine.validate(TaskSpec("reminder", (), kind=Kind.EXACT, run_at=now + timedelta(hours=1))),
        lambda: engine.validate(shell.replace(name="  ")),
        lambda: engine.validate(shell.replace(after=("nosuchtask",))),
        lambda: engine.validate(shell.replace(after=(periodic.id,))),
        lambda: engine.update(once.id, once.spec.replace(after=(once.id,))),
        lambda: engine.update(once.id, once.spec.replace(after=(child.id,))),
        lambda: engine.validate(shell.replace(name="n", policy=UniquePolicy.APPEND, schedule=Schedule(every=3600))),
        lambda: engine.validate(shell.replace(name="a\0b")),
    ]
    said = []
    for i, attempt in enumerate(attempts):
        with pytest.raises(BadInputError) as refused:
            attempt()
            pytest.fail(f"attempt {i} was not refused")
        said.append(str(refused.value))
    return said


def test_every_known_refusal_is_one_the_engine_makes(engine) -> None:
    said = _refusals(engine)
    matched = {match(message)[0] for message in said if match(message) is not None}
    unmatched = [message for message in said if match(message) is None]
    assert unmatched == [], f"refusals the form would show in English: {unmatched}"
    assert matched == {template for _, template in REFUSALS}, "a table entry no engine refusal reaches"
    # Values the engine names are kept: the refusal still says what was wrong.
    assert form_refusal(said[0]) == ("“10x” is not a length of time: write a number and a unit "
                                     "(ms, s, m, h, d), e.g. 90s or 1h30m")
    assert "nosuchtask" in form_refusal(said[14])


def test_an_unknown_refusal_reads_as_plain_english(engine) -> None:
    message = "copy: /a and /a/b overlap; copy to a folder outside the source"
    assert match(message) is None and form_refusal(message) == plain_refusal(message)

