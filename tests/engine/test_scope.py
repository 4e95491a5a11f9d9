"""Scope: structured cancellation of coroutines and pool jobs on the qasync loop."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from PySide6.QtCore import QThreadPool

from engine.immediate import Scope, ScopeClosedError
from engine.model import StopReason
from engine.workers.base import WorkContext


async def _forever(log: list[str], name: str) -> None:
    try:
        await asyncio.Event().wait()
    finally:
        log.append(f"{name} ended")


async def _until(predicate: Any) -> None:
    """Let the loop turn until ``predicate()``; the ``run`` fixture bounds the wait."""
    while not predicate():
        await asyncio.sleep(0)


def test_close_cancels_coroutines_and_pool_jobs_and_waits_for_them(run: Any) -> None:
    log: list[str] = []
    in_pool = threading.Event()
    pool_ended = threading.Event()

    def cooperative(ctx: WorkContext, seconds: float) -> str:
        in_pool.set()
        cancelled = ctx.wait_cancelled(seconds)
        pool_ended.set()
        return "cancelled" if cancelled else "timed out"

    async def uses_the_pool(scope: Scope) -> None:
        try:
            await scope.run_blocking(cooperative, 30.0, cancellable=True)
        finally:
            log.append("awaiter ended")

    async def main() -> Scope:
        scope = Scope("window")
        scope.launch(_forever(log, "coroutine"))
        scope.launch(uses_the_pool(scope))
        await _until(in_pool.is_set)
        assert scope.active == 3  # two coroutines and one blocking call
        await scope.close()
        # Everything has ended by the time close returns, the pool job included.
        assert pool_ended.is_set()
        assert sorted(log) == ["awaiter ended", "coroutine ended"]
        assert scope.active == 0 and scope.closed
        return scope

    scope = run(main())
    assert scope.errors == []


def test_a_blocking_call_that_ignores_cancellation_delays_close_until_it_returns(run: Any) -> None:
    started, release = threading.Event(), threading.Event()
    returned: list[str] = []

    def stubborn() -> str:
        started.set()
        release.wait(20)
        returned.append("returned")
        return "done"

    async def main() -> None:
        scope = Scope("dialog")
        task = scope.launch(scope.run_blocking(stubborn))
        await _until(started.is_set)
        closing = asyncio.ensure_future(scope.close())
        for _ in range(20):
            await asyncio.sleep(0)
        assert not closing.done() and not task.done()
        release.set()
        await closing
        assert returned == ["returned"]
        assert task.cancelled()  # its awaiter got the cancellation after the call returned

    run(main())


def test_cancelling_the_awaiter_tells_the_blocking_call_and_waits_for_it(run: Any) -> None:
    reasons: list[StopReason | None] = []
    started = threading.Event()

    def cooperative(ctx: WorkContext) -> None:
        started.set()
        ctx.wait_cancelled(20)
        reasons.append(ctx.stop_reason)

    async def main() -> None:
        async with Scope("s") as scope:
            task = scope.launch(scope.run_blocking(cooperative, cancellable=True))
            await _until(started.is_set)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert reasons == [StopReason.CANCELLED_BY_USER]  # the call ended before the awaiter did

    run(main())


def test_a_blocking_call_cancelled_before_it_started_never_runs(run: Any) -> None:
    pool = QThreadPool()
    pool.setMaxThreadCount(1)  # the first call holds the only thread: the second must queue
    started = threading.Event()
    ran: list[str] = []

    async def main() -> None:
        scope = Scope("s", pool=pool)
        first = scope.launch(scope.run_blocking(lambda ctx: (started.set(), ctx.wait_cancelled(20)), cancellable=True))
        queued = scope.launch(scope.run_blocking(ran.append, "ran"))
        await _until(started.is_set)
        await scope.close()
        assert first.cancelled() and queued.cancelled()

    try:
        run(main())
    finally:
        assert pool.waitForDone(10_000)
    assert ran == []


def test_run_blocking_returns_the_value_or_raises_the_exception(run: Any) -> None:
    def fails() -> None:
        raise KeyError("missing")

    async def main() -> None:
        async with Scope("s") as scope:
            assert await scope.run_blocking(sum, [1, 2, 3]) == 6
            assert await scope.run_blocking(threading.get_ident) != threading.get_ident()
            with pytest.raises(KeyError, match="missing"):
                await scope.run_blocking(fails)
        assert scope.errors == []  # raised to its awaiter, which handled it: not a child failure

    run(main())


def test_a_child_failure_is_reported_and_siblings_keep_running(run: Any) -> None:
    reported: list[tuple[str, str]] = []
    log: list[str] = []

    async def fails() -> None:
        raise ValueError("refresh failed")

    async def main() -> None:
        scope = Scope("window", on_error=lambda s, exc: reported.append((s.name, repr(exc))))
        sibling = scope.launch(_forever(log, "sibling"))
        failed = scope.launch(fails())
        await asyncio.wait([failed])
        await asyncio.sleep(0)
        assert reported == [("window", "ValueError('refresh failed')")]
        assert [repr(e) for e in scope.errors] == ["ValueError('refresh failed')"]
        assert not sibling.done()  # supervisor semantics
        await scope.close()
        assert log == ["sibling ended"]

    run(main())


def test_fail_fast_cancels_the_siblings(run: Any, caplog: pytest.LogCaptureFixture) -> None:
    log: list[str] = []

    async def fails() -> None:
        raise ValueError("boom")

    async def main() -> None:
        scope = Scope("batch", fail_fast=True)
        sibling = scope.launch(_forever(log, "sibling"))
        scope.launch(fails())
        await asyncio.wait([sibling])
        assert sibling.cancelled() and scope.closed
        await scope.close()

    run(main())
    assert log == ["sibling ended"]
    # The default handler logs the failure with its traceback.
    assert "scope 'batch': a child failed" in caplog.text and "ValueError: boom" in caplog.text


def test_close_is_idempotent_and_a_closed_scope_refuses_work(run: Any) -> None:
    async def noop() -> None:
        pass

    async def main() -> None:
        scope = Scope("s")
        await scope.close()
        await scope.close()
        coro = noop()
        with pytest.raises(ScopeClosedError, match="scope 's' is closed"):
            scope.launch(coro)
        assert coro.cr_frame is None  # closed by the refusal: no "never awaited" warning
        with pytest.raises(ScopeClosedError):
            await scope.run_blocking(sum, [1])
        with pytest.raises(ScopeClosedError):
            scope.child("late")

    run(main())


def test_async_with_closes_on_exit_even_when_the_body_raises(run: Any) -> None:
    log: list[str] = []

    async def main() -> None:
        with pytest.raises(RuntimeError, match="body"):
            async with Scope("s") as scope:
                scope.launch(_forever(log, "child"))
                await asyncio.sleep(0)
                raise RuntimeError("body")
        assert scope.closed and scope.active == 0

    run(main())
    assert log == ["child ended"]


def test_child_scopes_close_with_their_parent_and_report_to_it(run: Any) -> None:
    log: list[str] = []
    reported: list[str] = []

    async def fails() -> None:
        raise OSError("disk")

    async def main() -> None:
        parent = Scope("window", on_error=lambda s, exc: reported.append(str(exc)))
        dialog = parent.child("dialog")
        dialog.launch(_forever(log, "dialog work"))
        failed = dialog.launch(fails())
        await asyncio.wait([failed])
        assert reported == ["disk"] and len(dialog.errors) == 1 and len(parent.errors) == 1
        assert parent.active == 1
        await parent.close()
        assert dialog.closed and parent.active == 0

    run(main())
    assert log == ["dialog work ended"]


def test_closing_from_inside_one_of_its_own_coroutines(run: Any) -> None:
    log: list[str] = []

    async def closer(scope: Scope) -> str:
        await asyncio.sleep(0)
        await scope.close()
        return "closed it"

    async def main() -> None:
        scope = Scope("s")
        scope.launch(_forever(log, "other"))
        result = await scope.launch(closer(scope))
        assert result == "closed it" and log == ["other ended"] and scope.active == 0

    run(main())
