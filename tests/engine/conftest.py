"""Fixtures for engine tests: a qasync event loop and a JobRunner that must drain."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import qasync

from engine.immediate import JobRunner
from engine.store import Store

T = TypeVar("T")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A new database in the test's folder, closed after the test."""
    s = Store(tmp_path / "w.db")
    yield s
    s.close()


@pytest.fixture
def qloop(qapp: Any) -> Iterator[qasync.QEventLoop]:
    """An asyncio loop running on Qt's event loop (qasync), closed after the test.

    Run coroutines with ``qloop.run_until_complete(coro)``; it runs the Qt event loop
    (``app.exec()``) until ``coro`` is done, so queued Qt signals are delivered too.
    """
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    try:
        yield loop
    finally:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.close()
        asyncio.set_event_loop(None)
        assert not pending, f"a test left asyncio tasks running: {pending}"


@pytest.fixture
def run(qloop: qasync.QEventLoop):  # type: ignore[no-untyped-def]
    """``run(coro)``: run a coroutine to its end on the qasync loop, at most 20 s."""

    def run_(coro: Coroutine[Any, Any, T], timeout: float = 20.0) -> T:
        return qloop.run_until_complete(asyncio.wait_for(coro, timeout))

    return run_


@pytest.fixture
def runner(qapp: Any) -> Iterator[JobRunner]:
    """A JobRunner with two threads; the test fails if a job is still running after it."""
    job_runner = JobRunner(max_threads=2)
    yield job_runner
    left = [job.task_id for job in job_runner.running()]
    drained = job_runner.shutdown(msecs=10_000)
    assert drained, f"jobs {left} did not stop within 10 s of the end of the test"
    assert not left, f"a test left jobs running: {left}"
