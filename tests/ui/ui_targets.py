"""Python-worker functions the UI integration tests run as keep-running tasks."""

from __future__ import annotations

import threading
from typing import Any

from engine.workers.base import WorkContext

#: Set by a test to let every waiting task finish by itself.
release = threading.Event()


def until_released(ctx: WorkContext) -> dict[str, Any]:
    """Runs until the test releases it or the engine cancels it; reports progress once."""
    ctx.progress(0.25, "waiting")
    while not release.is_set() and not ctx.cancelled:
        ctx.wait_cancelled(0.02)
    return {"released": release.is_set()}
