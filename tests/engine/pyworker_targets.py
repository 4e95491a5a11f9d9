"""Functions the python-worker tests run by name (``tests.engine.pyworker_targets:...``)."""

from __future__ import annotations

import threading
from typing import Any

from engine.workers.base import WorkContext

started = threading.Event()


def double(ctx: WorkContext) -> dict[str, Any]:
    ctx.progress(0.5, "half way")
    ctx.log("hello from python\n")
    return {"doubled": ctx.input["x"] * 2}


def nothing(ctx: WorkContext) -> None:
    return None


def divide_by_zero(ctx: WorkContext) -> dict[str, Any]:
    return {"x": 1 / 0}


def returns_a_list(ctx: WorkContext) -> list[int]:
    return [1, 2]


def returns_too_much(ctx: WorkContext) -> dict[str, Any]:
    return {"blob": "x" * 70_000}


def returns_a_set(ctx: WorkContext) -> dict[str, Any]:
    return {"s": {1}}


def waits_for_cancel(ctx: WorkContext) -> dict[str, Any]:
    started.set()
    ctx.wait_cancelled(20)
    return {"stopped": ctx.cancelled}


class Holder:
    @staticmethod
    def method(ctx: WorkContext) -> dict[str, Any]:
        return {"ok": True}


not_callable = 42


def echo_input(ctx: WorkContext) -> dict[str, Any]:
    """Returns what it was given: shows how a chain merged its parents' outputs."""
    return dict(ctx.input)
