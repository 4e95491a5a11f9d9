"""Scoped immediate work: :class:`Scope`, structured concurrency on the asyncio (qasync) loop.

DESIGN.md's "immediate, scoped" kind: coroutines and blocking calls owned by a window,
a dialog or an interaction, all cancelled, and waited for, when it ends. Re-exported by
:mod:`engine.immediate`; kept apart so that the pool-and-signals half has no asyncio in it.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from PySide6.QtCore import QThreadPool

from engine.model import StopReason
from engine.workers.base import WorkContext

log = logging.getLogger(__name__)
T = TypeVar("T")

#: The pool priority of a scope's blocking calls: what the user is waiting for right now.
PRIORITY_SCOPED = 20


class ScopeClosedError(RuntimeError):
    """Work was launched in a scope that is closed (or closing)."""


ErrorHandler = Callable[["Scope", BaseException], None]


class _BlockingCall:
    """A blocking callable of a scope: its context and a future set when its thread ends."""

    __slots__ = ("ctx", "ended")

    def __init__(self, ctx: WorkContext, ended: asyncio.Future[tuple[bool, Any]]) -> None:
        self.ctx, self.ended = ctx, ended


class Scope:
    """Structured concurrency for scoped immediate work, on the running asyncio (qasync) loop.

    A scope owns coroutines (:meth:`launch`), blocking calls on a QThreadPool
    (:meth:`run_blocking`) and child scopes (:meth:`child`). :meth:`close` cancels all
    of them and returns only when every one has ended; after that, launching raises
    :class:`ScopeClosedError`. ``async with Scope() as scope:`` closes on exit.

    Failures (supervisor semantics, like Kotlin's viewModelScope/SupervisorJob, not
    asyncio.TaskGroup): an exception that ends a launched coroutine is appended to
    :attr:`errors` and handed to ``on_error(scope, exc)`` (default: logged with its
    traceback; a child scope's default forwards to its parent). Siblings keep running,
    because one failed refresh should not close the window's other work. Pass
    ``fail_fast=True`` for TaskGroup semantics: the first failure cancels the scope.
    Either way the failure is never swallowed, and it is not re-raised by ``close``.

    Blocking calls: ``await scope.run_blocking(fn, *args)`` calls ``fn(*args)`` on the
    pool. With ``cancellable=True`` it calls ``fn(ctx, *args)`` with a
    :class:`~engine.workers.base.WorkContext`, whose ``cancelled``,
    ``wait_cancelled(timeout)`` and ``add_cancel_callback`` tell the function when the
    scope closed (or the awaiting coroutine was cancelled), so it can return early.
    A cancelled coroutine does not get its CancelledError until its blocking call has
    returned: nothing of a scope ever runs on after the scope has closed. The flip side:
    a blocking call that does not cooperate delays ``close`` until it returns.

    Like asyncio's tasks, cancellation is delivered once: a coroutine that swallows
    CancelledError and goes on delays ``close`` for as long as it goes on.
    """

    def __init__(
        self,
        name: str = "scope",
        *,
        pool: QThreadPool | None = None,
        on_error: ErrorHandler | None = None,
        fail_fast: bool = False,
        reason: StopReason = StopReason.CANCELLED_BY_USER,
        loop: asyncio.AbstractEventLoop | None = None,
        parent: Scope | None = None,
    ) -> None:
        self.name = name
        self.fail_fast = fail_fast
        #: Exceptions that ended this scope's coroutines (and its child scopes'), in order.
        self.errors: list[BaseException] = []
        self._pool: QThreadPool = pool or (parent._pool if parent else QThreadPool.globalInstance())
        self._on_error = on_error
        self._reason = reason
        self._loop = loop
        self._parent = parent
        self._tasks: set[asyncio.Task[Any]] = set()
        self._calls: set[_BlockingCall] = set()
        self._children: set[Scope] = set()
        self._closed = False
        self._seq = itertools.count(1)

    # -- state ------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def active(self) -> int:
        """How many coroutines and blocking calls of this scope and its children still run."""
        return len(self._tasks) + len(self._calls) + sum(c.active for c in self._children)

    def __repr__(self) -> str:
        return f"<Scope {self.name!r} active={self.active} closed={self._closed}>"

    # -- launching --------------------------------------------------------------------

    def launch(self, coro: Coroutine[Any, Any, T], *, name: str | None = None) -> asyncio.Task[T]:
        """Run ``coro`` as a task of this scope. Raises ScopeClosedError once closed."""
        if self._closed:
            coro.close()  # no "never awaited" warning for a coroutine we refuse
            raise ScopeClosedError(f"scope {self.name!r} is closed; cannot launch {_qualname(coro)}")
        loop = self._loop or asyncio.get_running_loop()
        task = loop.create_task(coro, name=name or f"{self.name}:{_qualname(coro)}")
        self._tasks.add(task)
        task.add_done_callback(self._on_task_done)
        return task

    async def run_blocking(
        self, fn: Callable[..., T], *args: Any, cancellable: bool = False, priority: int = PRIORITY_SCOPED
    ) -> T:
        """Run ``fn(*args)`` (or ``fn(ctx, *args)`` if ``cancellable``) on the pool; return its value."""
        if self._closed:
            raise ScopeClosedError(f"scope {self.name!r} is closed; cannot run {getattr(fn, '__qualname__', fn)}")
        loop = asyncio.get_running_loop()
        ctx = WorkContext(task_id=f"{self.name}#{next(self._seq)}", attempt=1, args=())
        call = _BlockingCall(ctx, loop.create_future())
        self._calls.add(call)

        def settle(outcome: tuple[bool, Any]) -> None:  # on the loop
            self._calls.discard(call)
            if not call.ended.done():
                call.ended.set_result(outcome)

        def body() -> None:  # on a pool thread
            outcome: tuple[bool, Any]
            if ctx.cancelled:
                outcome = (False, asyncio.CancelledError())
            else:
                try:
                    outcome = (True, fn(ctx, *args) if cancellable else fn(*args))
                except BaseException as exc:
                    outcome = (False, exc)
            try:
                loop.call_soon_threadsafe(settle, outcome)
            except RuntimeError:  # the loop is closed: nobody is waiting any more
                pass

        self._pool.start(body, priority)
        try:
            ok, value = await asyncio.shield(call.ended)
        except asyncio.CancelledError:
            ctx.cancel(self._reason)
            await _wait_uncancellable(call.ended)
            raise
        if ok:
            return value  # type: ignore[no-any-return]
        raise value

    def child(self, name: str, **kwargs: Any) -> Scope:
        """A scope that closes when this one does (its errors are reported here too)."""
        if self._closed:
            raise ScopeClosedError(f"scope {self.name!r} is closed; cannot open child {name!r}")
        kwargs.setdefault("loop", self._loop)
        kwargs.setdefault("reason", self._reason)
        scope = Scope(f"{self.name}/{name}", pool=self._pool, parent=self, **kwargs)
        self._children.add(scope)
        return scope

    # -- ending -----------------------------------------------------------------------

    def cancel(self) -> None:
        """Close the scope to new work and request cancellation of everything in it.

        Does not wait; ``await close()`` does. Closing from inside one of the scope's own
        coroutines spares that coroutine (it is the one doing the closing).
        """
        self._closed = True
        for child in list(self._children):
            child.cancel()
        current = _current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()
        for call in list(self._calls):
            call.ctx.cancel(self._reason)

    async def close(self) -> None:
        """Cancel everything in the scope and wait until all of it has ended. Idempotent.

        Runs to the end even if the closing coroutine is cancelled meanwhile (then the
        CancelledError is raised afterwards): a half-closed scope would leak work.
        """
        self.cancel()
        interrupted = False
        current = _current_task()
        while True:
            for child in list(self._children):
                if child.active == 0:
                    self._children.discard(child)
            pending: set[asyncio.Future[Any]] = {t for t in self._tasks if t is not current}
            pending |= {call.ended for call in self._calls}
            for child in self._children:
                pending |= {t for t in child._all_tasks() if t is not current}
            if not pending:
                break
            try:
                await asyncio.wait(pending)
            except asyncio.CancelledError:
                interrupted = True
        if self._parent is not None:
            self._parent._children.discard(self)
        if interrupted:
            raise asyncio.CancelledError()

    async def __aenter__(self) -> Scope:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- internals --------------------------------------------------------------------

    def _all_tasks(self) -> set[asyncio.Future[Any]]:
        futures: set[asyncio.Future[Any]] = set(self._tasks) | {c.ended for c in self._calls}
        for child in self._children:
            futures |= child._all_tasks()
        return futures

    def _on_task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()  # marks it retrieved: no "never retrieved" noise later
        if exc is not None:
            self._report(exc)

    def _report(self, exc: BaseException) -> None:
        self.errors.append(exc)
        try:
            if self._on_error is not None:
                self._on_error(self, exc)
            elif self._parent is not None:
                self._parent._report(exc)
            else:
                log.error("scope %r: a child failed", self.name, exc_info=exc)
        except Exception:  # a broken handler must not hide the failure it was given
            log.exception("scope %r: on_error raised while reporting %r", self.name, exc)
        if self.fail_fast:
            self.cancel()


async def _wait_uncancellable(future: asyncio.Future[Any]) -> None:
    while not future.done():
        try:
            await asyncio.shield(future)
        except asyncio.CancelledError:
            continue


def _current_task() -> asyncio.Task[Any] | None:
    try:
        return asyncio.current_task()
    except RuntimeError:  # no running loop: called from plain Qt code
        return None


def _qualname(coro: Coroutine[Any, Any, Any]) -> str:
    return str(getattr(coro, "__qualname__", type(coro).__name__))
