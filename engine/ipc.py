"""The owner's local socket: newline-delimited JSON, one request and one reply per line.

On accepting a connection the owner writes a greeting line at once
(``{"hello": "workdeck", "pid": ..., "role": ...}``) and only then reads requests.
Requests (``"v"`` is the protocol version)::

    {"v": 1, "op": "add", "spec": <TaskSpec.to_json()>}
    {"v": 1, "op": "cancel", "id": ID}        or "tag": TAG, or "name": NAME
    {"v": 1, "op": "import", "path": ABSOLUTE_PATH}   a manifest file's tasks (engine.manifest.io)
    {"v": 1, "op": "snooze", "id": ID, "seconds": S | "until": ISO}   a reminder (engine.reminders)
    {"v": 1, "op": "dismiss", "id": ID}
    {"v": 1, "op": "retry", "id": ID}          run a failed task again (Engine.retry)
    {"v": 1, "op": "activate"}                 show the window (role "window" only)
    {"v": 1, "op": "yield"}                    stop gracefully so a window can take over (role "serve" only)
    {"v": 1, "op": "ping"}

Replies: ``{"ok": true, "task": {...}}`` (add, retry), ``{"ok": true, "tasks": [...]}`` (cancel),
``{"ok": true, "imported": [...], "receivers": N}`` (import: see
:func:`engine.manifest.io.import_reply`, whose error reply adds ``"problems"``),
``{"ok": true, "pid": ..., "role": ...}`` (ping, activate, yield), or
``{"ok": false, "error": "one line", "exit": 1|2|3}``, ``exit`` being the status the
command line exits with. Task objects are :func:`engine.serialize.task_json`'s.

The client (:func:`call`) makes blocking calls with timeouts, not a ``QLocalSocket``:
a plain ``AF_UNIX`` socket on POSIX (``QLocalServer`` listens on exactly such a socket
file), the named pipe through ``_winapi`` on Windows (engine/platforms/owner_socket.py),
so the command line needs neither a Qt event loop nor QtNetwork.
The greeting makes one case safe to retry: a connection that ends before the greeting
never reached the owner's request handler (it was queued when the owner stopped
listening), so the command line may do the work on the database itself instead.
"""

from __future__ import annotations

import json
import os
import time

from engine.errors import BadInputError, NoSuchTaskError, WorkdeckError

# The client half (``call``) is on every command line's path: it loads neither typing
# nor engine.model (dataclasses, inspect: more than the rest of ``workdeck add``).
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeAlias

    from engine.engine import Engine
    from engine.platforms.owner_socket import ClientStream

    Reply: TypeAlias = dict[str, Any]
    Respond: TypeAlias = Callable[[Reply], None]

PROTOCOL_VERSION = 1
#: A line longer than this is not a request: the owner drops the connection.
MAX_LINE_BYTES = 1 << 20
#: How long ``cancel`` waits for a running task's run to end before it answers anyway.
CANCEL_WAIT_SECONDS = 10.0


def error_reply(exc: BaseException) -> Reply:
    if isinstance(exc, WorkdeckError):
        return {"ok": False, "error": str(exc), "exit": exc.exit_status}
    return {"ok": False, "error": f"internal error in the owner: {type(exc).__name__}: {exc}", "exit": 1}


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def request_line(request: dict[str, Any], what: str = "the request") -> bytes:
    """The line :func:`call` sends for ``request``. One longer than the owner reads
    (MAX_LINE_BYTES) is refused here, in one line (exit 2), owner or not: the owner
    would drop the connection unanswered, and the command line then waited for the
    lock and blamed the owner."""
    line = encode({"v": PROTOCOL_VERSION, **request})
    if len(line) > MAX_LINE_BYTES:
        raise BadInputError(f"{what} is too large: {len(line):,} bytes as sent to the owner, at most "
                            f"{MAX_LINE_BYTES:,} (1 MiB); pass big data in a file")
    return line


# ---------------------------------------------------------------- the client


class OwnerUnreachableError(WorkdeckError):
    """The owner took the request but gave no answer: it may or may not have done it."""


def call(socket_path: str, request: dict[str, Any], *, timeout: float = 30.0, what: str = "the request") -> Reply | None:
    """Send one request to the owner listening at ``socket_path`` and return its reply.

    Returns None when no owner took the request (no socket file, nobody listening, or
    the connection ended before the greeting): the caller may then act on the database
    itself. Raises :class:`OwnerUnreachableError` if the owner greeted but did not answer.
    """
    from engine.platforms.owner_socket import owner_socket

    if not socket_path:  # Windows, no owner's record to find its pipe in (engine.owner.lock.socket_path)
        return None
    line = request_line(request, what)  # raises for one too large: ``what`` names it
    deadline = time.monotonic() + timeout
    try:
        stream = owner_socket().connect(socket_path, timeout)
        if stream is None:
            return None
        try:
            try:
                stream.send_all(line)
            except (BrokenPipeError, ConnectionResetError):
                return None
            reader = _LineReader(stream, deadline)
            hello = reader.line()
            if hello is None:
                return None
            greeting = json.loads(hello)
            reply = reader.line()
            if reply is None:
                raise OwnerUnreachableError(
                    f"the owner of this database (workdeck {greeting.get('role')}, pid {greeting.get('pid')}) "
                    "stopped before it answered: check with `workdeck list` whether it was done"
                )
            result: Reply = json.loads(reply)
            return result
        finally:
            stream.close()
    except TimeoutError:
        raise OwnerUnreachableError(
            f"the owner of this database did not answer within {timeout:g}s on {socket_path}"
        ) from None


class _LineReader:
    def __init__(self, stream: ClientStream, deadline: float) -> None:
        self._stream, self._deadline, self._buffer = stream, deadline, b""

    def line(self) -> str | None:
        """The next line, or None at end of stream (or a reset connection)."""
        while b"\n" not in self._buffer:
            left = self._deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            chunk = self._stream.receive(left)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode()


# ---------------------------------------------------------------- the owner's side


def _task_json(task: Any) -> dict[str, Any]:
    # Imported here: the client half of this module stays free of Qt (serialize uses
    # engine.clock), which keeps `workdeck add` quick to start.
    from engine.serialize import task_json

    return task_json(task)


class RequestHandler:
    """Executes requests through the same :class:`Engine` methods the window uses.

    ``respond`` is called once per request, at once, or (``cancel`` of a running task)
    when its run has ended, so ``workdeck cancel X; workdeck show X`` shows it cancelled.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        role: str,
        on_activate: Callable[[], None] | None = None,
        on_yield: Callable[[], None] | None = None,
    ) -> None:
        self.engine = engine
        self.role = role
        self._on_activate = on_activate
        self._on_yield = on_yield
        # task id -> the cancel requests waiting for its run to end
        self._waiting: dict[str, list[_PendingCancel]] = {}
        engine.task_changed.connect(self._on_task_changed)

    def greeting(self) -> Reply:
        return {"hello": "workdeck", "pid": os.getpid(), "role": self.role, "v": PROTOCOL_VERSION}

    def handle(self, request: Any, respond: Respond) -> None:
        try:
            if not isinstance(request, dict):
                raise BadInputError("a request must be a JSON object")
            op = request.get("op")
            if op == "add":
                respond(self._add(request))
            elif op == "cancel":
                self._cancel(request, respond)
            elif op == "import":
                respond(self._import(request))
            elif op in ("snooze", "dismiss"):
                from engine.reminders import answer_request

                respond(answer_request(self.engine, request))
            elif op == "retry":
                task = self.engine.retry(str(request.get("id")))
                respond({"ok": True, "task": _task_json(task)})
            elif op == "activate":
                respond(self._activate())
            elif op == "yield":
                self._yield(respond)
            elif op == "ping":
                respond({"ok": True, **self.greeting()})
            else:
                respond({"ok": False, "error": f"the running owner does not know the request {op!r} "
                         "(is it another version of Workdeck?)", "exit": 1})
        except Exception as exc:  # a failing request never takes the owner down
            if not isinstance(exc, WorkdeckError):
                import logging  # the owner's side only: the command line never loads logging

                logging.getLogger(__name__).exception("request %r failed", request)
            respond(error_reply(exc))

    def _add(self, request: dict[str, Any]) -> Reply:
        from engine.model import TaskSpec

        try:
            spec = TaskSpec.from_json(request["spec"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            if isinstance(exc, WorkdeckError):
                raise
            raise BadInputError(f"malformed task spec in the request: {exc}") from None
        # The command line leaves the checks that need the engine to us (a thin client):
        # the same checks as its direct path, in the same order, so the same refusal.
        from engine.checks import check_spec, check_timing

        check_spec(spec)
        check_timing(spec, self.engine.clock.now())
        task = self.engine.enqueue(spec)
        return {"ok": True, "task": _task_json(self.engine.task(task.id))}

    def _import(self, request: dict[str, Any]) -> Reply:
        """The owner adds the tasks itself, so its engine (and a window's table) sees them
        at once, and due ones start now, not when it next looks at the database."""
        from engine.manifest.io import import_reply

        path = request.get("path")
        if not isinstance(path, str) or not os.path.isabs(path):
            raise BadInputError("import needs the manifest's absolute path")
        return import_reply(self.engine, path)

    def _cancel(self, request: dict[str, Any], respond: Respond) -> None:
        if request.get("id"):
            tasks = [self.engine.cancel(str(request["id"]))]
        elif request.get("tag") or request.get("name"):
            tasks = self.engine.cancel_matching(tag=request.get("tag"), name=request.get("name"))
        else:
            raise BadInputError("cancel needs an id, a tag or a name")
        ids = [t.id for t in tasks]
        still_running = {i for i in ids if self.engine.is_running(i)}
        pending = _PendingCancel(self, ids, still_running, respond)
        if not still_running:
            pending.answer()
            return
        for task_id in still_running:
            self._waiting.setdefault(task_id, []).append(pending)
        pending.arm(self.engine)

    def _on_task_changed(self, task: Any) -> None:
        if not self._waiting or task.id not in self._waiting:  # every run's start and end: the usual case
            return
        from engine.model import State

        if task.state is State.RUNNING:
            return
        for pending in self._waiting.pop(task.id):
            pending.done(task.id)

    def _forget(self, pending: _PendingCancel) -> None:
        for task_id in list(self._waiting):
            self._waiting[task_id] = [p for p in self._waiting[task_id] if p is not pending]
            if not self._waiting[task_id]:
                del self._waiting[task_id]

    def _activate(self) -> Reply:
        if self._on_activate is None:
            return {"ok": False, "exit": 1, "error": f"workdeck {self.role} (pid {os.getpid()}) owns this database "
                    "and has no window: stop it first to open the window"}
        self._on_activate()
        return {"ok": True, **self.greeting()}

    def _yield(self, respond: Respond) -> None:
        if self._on_yield is None:
            respond({"ok": False, "exit": 1, "error": f"workdeck {self.role} (pid {os.getpid()}) owns this database "
                     "and does not hand it over: close that window instead"})
            return
        respond({"ok": True, **self.greeting()})  # answered before the owner starts to stop
        self._on_yield()

    def close(self) -> None:
        """Answer every waiting cancel now (the owner is stopping)."""
        for pendings in list(self._waiting.values()):
            for pending in pendings:
                pending.answer()
        self._waiting.clear()


class _PendingCancel:
    def __init__(self, handler: RequestHandler, ids: list[str], running: set[str], respond: Respond) -> None:
        self.handler, self.ids, self.running, self.respond = handler, ids, running, respond
        self.answered = False
        self.timer: Any = None

    def arm(self, engine: Engine) -> None:
        self.timer = engine.clock.timer(self.answer)
        self.timer.start(CANCEL_WAIT_SECONDS)

    def done(self, task_id: str) -> None:
        self.running.discard(task_id)
        if not self.running:
            self.answer()

    def answer(self) -> None:
        if self.answered:
            return
        self.answered = True
        if self.timer is not None:
            self.timer.stop()
        self.handler._forget(self)
        try:
            tasks = [_task_json(self.handler.engine.task(i)) for i in self.ids]
        except NoSuchTaskError as exc:  # pragma: no cover - tasks are never deleted
            self.respond(error_reply(exc))
            return
        self.respond({"ok": True, "tasks": tasks})
