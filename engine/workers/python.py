"""The ``python`` worker: call ``package.module:function(ctx)`` on a pool thread.

The function gets the :class:`~engine.workers.base.WorkContext` (``input``,
``progress(fraction, message)``, ``log(text)``, ``cancelled``, ``wait_cancelled``)
and returns a dict (the run's output data, at most ``MAX_DATA_BYTES`` as JSON) or None.

Cancellation is cooperative: the function should look at ``ctx.cancelled`` (or wait
with ``ctx.wait_cancelled(timeout)``) and return early. If cancellation was requested
by the time the function returns or raises, the run is CANCELLED whatever it returned.

``print`` is not captured: sys.stdout is shared by every thread of the process, so
redirecting it for one run would steal other runs' output. Use ``ctx.log``.
"""

from __future__ import annotations

import importlib
import re
import traceback
from collections.abc import Callable, Sequence
from typing import Any

from engine.errors import BadSpecError
from engine.model import Outcome, check_data_size
from engine.workers.base import Worker, WorkContext, WorkResult

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
#: ``package.module:function``; the function part may be dotted (``module:Class.method``).
_TARGET = re.compile(rf"^{_IDENT}(\.{_IDENT})*:{_IDENT}(\.{_IDENT})*$")


class PythonWorker(Worker):
    name = "python"

    def validate(self, args: Sequence[str]) -> None:
        if len(args) != 1 or not isinstance(args[0], str) or not _TARGET.match(args[0]):
            given = " ".join(map(str, args)) or "nothing"
            raise BadSpecError(f"a python task takes one 'package.module:function', not {given}")

    def run(self, ctx: WorkContext) -> WorkResult:
        try:
            function = _resolve(ctx.args[0])
            value = function(ctx)
        except Exception as exc:
            ctx.log(traceback.format_exc())
            error = traceback.format_exception_only(exc)[-1].strip()
            outcome = Outcome.CANCELLED if ctx.cancelled else Outcome.FAILED
            return WorkResult(outcome, error=error)
        if ctx.cancelled:
            return WorkResult(Outcome.CANCELLED)
        if value is not None and not isinstance(value, dict):
            error = f"{ctx.args[0]} returned {type(value).__name__}; a python task returns a dict or None"
            ctx.log(error + "\n")
            return WorkResult(Outcome.FAILED, error=error)
        if value is not None:
            try:
                check_data_size(value, "output")
            except BadSpecError as exc:
                ctx.log(f"{exc}\n")
                return WorkResult(Outcome.FAILED, error=str(exc))
            except (TypeError, ValueError) as exc:  # json.dumps refused it
                error = f"output data is not JSON: {exc}"
                ctx.log(error + "\n")
                return WorkResult(Outcome.FAILED, error=error)
        return WorkResult(Outcome.SUCCEEDED, output=value)


def _resolve(target: str) -> Callable[[WorkContext], Any]:
    module_name, _, qualname = target.partition(":")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if not callable(obj):
        raise TypeError(f"{target} is a {type(obj).__name__}, not a function")
    return obj  # type: ignore[no-any-return]
