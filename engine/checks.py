"""The checks a spec must pass that need no database: one place for the engine, the
command line (before it opens anything) and the New Task form (as the user types)."""

from __future__ import annotations

from engine import recurrence, workers
from engine.errors import BadSpecError
from engine.model import TaskSpec


def check_spec(spec: TaskSpec) -> None:
    """Raise :class:`engine.errors.BadInputError` with one line if ``spec`` can never run."""
    workers.get(spec.worker).validate(spec.args)
    if spec.schedule is not None:
        recurrence.validate(spec.schedule)
    for tag in spec.tags:
        if not tag.strip():
            raise BadSpecError("a tag must not be empty")
    if spec.name is not None and not spec.name.strip():
        raise BadSpecError("a task's unique name must not be empty")
