"""The ``notify`` worker: a reminder message as a step of a task, e.g. at the end of a chain.

``args = [MESSAGE]``. ``{name}`` in the message is replaced by the task's input value
of that name, which in a chain includes what the steps before it returned (the
``download`` worker returns ``path`` and ``bytes``): ``"saved {path}"``. Only plain
names are replaced (no attribute or index lookups: the data comes from other
programs); a name the input lacks is left as written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from engine.errors import BadSpecError
from engine.model import Outcome
from engine.workers.base import Worker, WorkContext, WorkResult

_FIELD = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def fill(message: str, data: Mapping[str, Any]) -> str:
    def field(match: re.Match[str]) -> str:
        name = match.group(1)
        return str(data[name]) if name in data else match.group(0)

    return _FIELD.sub(field, message)


class NotifyWorker(Worker):
    name = "notify"
    on_pool = False  # it only emits a signal

    def validate(self, args: Sequence[str]) -> None:
        if len(args) != 1 or not isinstance(args[0], str) or not args[0].strip():
            raise BadSpecError('notify needs one argument: the message, e.g. args = ["backup done"]')

    def run(self, ctx: WorkContext) -> WorkResult:
        message = fill(ctx.args[0], ctx.input)
        ctx.notify(message)
        ctx.log(message + "\n")
        return WorkResult(Outcome.SUCCEEDED, output={"message": message})
