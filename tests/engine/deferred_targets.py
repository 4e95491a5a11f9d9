"""Python-worker functions for the deferred integration tests (``tests.engine.deferred_targets:...``)."""

from __future__ import annotations

from typing import Any

from engine.workers.base import WorkContext


def two(ctx: WorkContext) -> dict[str, Any]:
    return {"a": 2}


def three(ctx: WorkContext) -> dict[str, Any]:
    return {"b": 3}


def add_up(ctx: WorkContext) -> dict[str, Any]:
    return {"sum": ctx.input["a"] + ctx.input["b"] + ctx.input.get("c", 0)}


def flaky(ctx: WorkContext) -> dict[str, Any]:
    if ctx.attempt == 1:
        raise RuntimeError("first attempt fails")
    return {"b": 3}


def always_fails(ctx: WorkContext) -> dict[str, Any]:
    raise RuntimeError("always fails")
