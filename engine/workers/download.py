"""The ``download`` worker: an HTTP(S) GET to a file, resumable, with progress by bytes.

``args = [URL, DEST]``. DEST is a file, or an existing folder (the file is named after
the URL's last path segment). The body goes to ``DEST.part``; only a complete body is
renamed to DEST (``os.replace``), so DEST never holds half a file.

Resuming: when the connection drops mid-body the worker asks again for the rest
(``Range: bytes=N-``) up to :data:`MAX_RESUMES` times in the same run, and a later run
(a retry, or the next start after a crash) picks up ``DEST.part`` the same way. A
resume sends ``If-Range`` with the ETag or Last-Modified of the first response (kept
beside the part file in ``DEST.part.json``), so a file that changed on the server is
fetched anew instead of being stitched from two versions. A server that ignores the
range (200 instead of 206) is handled the same way: start over.

Bodies are requested with ``Accept-Encoding: identity`` and read raw: byte offsets
then mean the same thing to us and to the server.

A file named after the URL stays inside DEST: the name is the *decoded* last segment,
and one that still holds a separator, a NUL or is ``.``/``..`` fails the run
(``..%2F..%2Fx`` decodes to ``../../x``).

Cancellation (the user's, or the task's ``timeout`` through the engine) wakes the run
at any point, also while the server has accepted and not answered yet: every socket
the run opens is shut down (:class:`_SocketTracker`), which ends a blocked read at once.
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote, urlsplit

import httpcore
import httpx

from engine.errors import BadSpecError
from engine.model import Constraint, Outcome
from engine.workers.base import Worker, WorkContext, WorkResult

#: Resumes within one run after a dropped connection, before the run fails (and its
#: retry policy takes over).
MAX_RESUMES = 5
#: Seconds between resumes: 0.5, 1, 2, 4, ... capped at 8.
RESUME_DELAY = 0.5
#: Progress is reported at most this often (seconds); the engine batches anyway.
PROGRESS_INTERVAL = 0.1
_CONTENT_RANGE = re.compile(r"bytes (\d+)-(\d+)/(\d+|\*)")


class DownloadWorker(Worker):
    name = "download"
    # Manifest metadata (engine.manifest.task_table): which args are paths, which must exist.
    path_args: ClassVar[tuple[int, ...]] = (1,)
    dest_args: ClassVar[tuple[int, ...]] = (1,)
    implied_constraints: ClassVar[tuple[Constraint, ...]] = (Constraint.NETWORK,)

    def __init__(self, *, timeout: float = 30.0, resume_delay: float = RESUME_DELAY) -> None:
        self.timeout = timeout
        self.resume_delay = resume_delay

    def validate(self, args: Sequence[str]) -> None:
        if len(args) != 2 or not all(isinstance(a, str) and a for a in args):
            raise BadSpecError("download needs two arguments: URL and destination file or folder")
        parts = urlsplit(args[0])
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise BadSpecError(f"download: {args[0]!r} is not an http:// or https:// URL")

    def run(self, ctx: WorkContext) -> WorkResult:
        url = ctx.args[0]
        try:
            dest = destination(url, ctx.args[1])
        except (BadSpecError, UnicodeDecodeError) as exc:
            message = str(exc) if isinstance(exc, BadSpecError) else f"download: the URL's file name is not UTF-8: {url}"
            ctx.log(message + "\n")
            return WorkResult(Outcome.FAILED, error=message)
        return _Download(url, dest, ctx, self.timeout, self.resume_delay).run()


def destination(url: str, dest: str) -> Path:
    """DEST itself, or DEST/<the URL's last segment> when DEST is a folder.

    The segment is decoded before it is checked, so an encoded ``..%2F`` cannot climb
    out of the folder. Raises :class:`BadSpecError` for a name that is not a plain file
    name.
    """
    path = Path(dest).expanduser()
    if path.is_dir() or dest.endswith(os.sep):
        raw = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
        name = unquote(raw, errors="strict") if raw else "download"
        if name in (".", "..") or any(c in name for c in ("/", "\\", "\0")) or os.path.isabs(name):
            raise BadSpecError(f"download: the URL names the file {name!r}, which is not a plain file name in {dest}")
        path = path / name
        # Belt and braces: whatever the name, the file is a direct child of the folder.
        if path.parent.resolve() != Path(dest).expanduser().resolve():  # pragma: no cover - excluded above
            raise BadSpecError(f"download: {name!r} would be written outside {dest}")
    return path


class _SocketTracker(httpcore.NetworkBackend):
    """httpcore's socket backend, remembering the sockets it opens so a cancel can end them.

    Closing a socket from another thread does not wake a ``recv`` blocked on it (Linux);
    ``shutdown`` does. A socket that connects after the cancel is shut down at once.
    """

    def __init__(self) -> None:
        self._inner: httpcore.NetworkBackend = httpcore.SyncBackend()
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        self._cancelled = False

    def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        stream = self._inner.connect_tcp(*args, **kwargs)
        sock = stream.get_extra_info("socket")
        if isinstance(sock, socket.socket):
            with self._lock:
                self._sockets.append(sock)
                cancelled = self._cancelled
            if cancelled:
                _shutdown(sock)
        return stream

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:  # pragma: no cover
        return self._inner.connect_unix_socket(*args, **kwargs)

    def sleep(self, seconds: float) -> None:  # pragma: no cover - httpcore's connect retries (off)
        self._inner.sleep(seconds)

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            sockets = list(self._sockets)
        for sock in sockets:
            _shutdown(sock)


def _shutdown(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:  # already closed or never connected: nothing blocks on it
        pass


def _client(timeout: float, tracker: _SocketTracker) -> httpx.Client:
    """An httpx client whose connections, direct or through a proxy from the
    environment, go through ``tracker``.

    httpx has no public hook for httpcore's ``network_backend``; each transport's pool
    (a ``ConnectionPool``, or a proxy pool deriving from it) takes it from this
    attribute when it opens a connection. tests/engine/test_download_worker.py proves
    the cancel still bites after an httpx upgrade.
    """
    # connect is bounded on its own: a SYN into the void cannot be woken by a shutdown.
    limits = httpx.Timeout(timeout, connect=min(timeout, 10.0))
    client = httpx.Client(follow_redirects=True, timeout=limits)
    transports: list[Any] = [client._transport, *client._mounts.values()]
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        if pool is not None and hasattr(pool, "_network_backend"):
            tracker._inner, pool._network_backend = pool._network_backend, tracker
    return client


@contextmanager
def _cancel_callbacks(ctx: WorkContext, *callbacks: Callable[[], None]) -> Iterator[None]:
    """Within: a cancel calls ``callbacks`` (at once if it came already). After: they
    are forgotten. They belong to the run's :class:`_Download`, which holds ``ctx``:
    left in it, each run was a cycle only the garbage collector freed (issue 14)."""
    for callback in callbacks:
        ctx.add_cancel_callback(callback)
    try:
        yield
    finally:
        for callback in callbacks:
            ctx.remove_cancel_callback(callback)


class _Restart(Exception):
    """The server will not continue the part file: start from byte 0."""


class _Download:
    def __init__(self, url: str, dest: Path, ctx: WorkContext, timeout: float, resume_delay: float) -> None:
        self.url, self.dest, self.ctx = url, dest, ctx
        self.part = dest.with_name(dest.name + ".part")
        self.meta = dest.with_name(dest.name + ".part.json")
        self.timeout, self.resume_delay = timeout, resume_delay
        self.total: int | None = None
        self.done = 0
        self._last_progress = 0.0
        self._response: httpx.Response | None = None
        self.validator: str | None = None  # ETag or Last-Modified of the version in the part file
        self._lock = threading.Lock()

    def run(self) -> WorkResult:
        ctx = self.ctx
        self.validator = self._load_validator()
        resumes = 0
        tracker = _SocketTracker()
        client = _client(self.timeout, tracker)
        with client, _cancel_callbacks(ctx, tracker.cancel, self._abort):
            while True:
                if ctx.cancelled:
                    return WorkResult(Outcome.CANCELLED)
                try:
                    self._fetch(client)
                except _Restart:
                    self._discard()
                    self.validator = None
                    continue
                except httpx.HTTPStatusError as exc:
                    message = f"HTTP {exc.response.status_code} {exc.response.reason_phrase} for {self.url}"
                    ctx.log(message + "\n")
                    return WorkResult(Outcome.FAILED, error=message)
                except Exception as exc:
                    # Closing the response from the cancel callback surfaces as whatever
                    # the read was doing; cancellation explains it.
                    if ctx.cancelled:
                        return WorkResult(Outcome.CANCELLED)
                    if not isinstance(exc, httpx.TransportError | httpx.DecodingError):
                        raise
                    resumes += 1
                    have = self.part.stat().st_size if self.part.exists() else 0
                    if resumes > MAX_RESUMES:
                        message = f"download failed after {MAX_RESUMES} resumes: {exc or type(exc).__name__}"
                        ctx.log(message + "\n")
                        return WorkResult(Outcome.FAILED, error=message)
                    ctx.log(f"connection lost at byte {have} ({exc or type(exc).__name__}); resuming\n")
                    if ctx.wait_cancelled(min(8.0, self.resume_delay * 2 ** (resumes - 1))):
                        return WorkResult(Outcome.CANCELLED)
                    continue
                if ctx.cancelled:  # the part file stays: the next run resumes it
                    return WorkResult(Outcome.CANCELLED)
                break
        os.replace(self.part, self.dest)
        self.meta.unlink(missing_ok=True)
        ctx.progress(1.0, f"{_size(self.done)} downloaded")
        ctx.log(f"saved {self.dest} ({self.done} bytes)\n")
        return WorkResult(Outcome.SUCCEEDED, output={"path": str(self.dest), "bytes": self.done, "url": self.url})

    def _fetch(self, client: httpx.Client) -> None:
        """One request: append what it sends to the part file."""
        offset = self.part.stat().st_size if self.part.exists() else 0
        headers = {"Accept-Encoding": "identity"}
        if offset:
            headers["Range"] = f"bytes={offset}-"
            if self.validator:
                headers["If-Range"] = self.validator
        with client.stream("GET", self.url, headers=headers) as response:
            with self._lock:
                self._response = response
            if self.ctx.cancelled:  # cancelled while connecting: _abort found nothing to close
                return
            if response.status_code == 416 and offset:
                raise _Restart()  # the part file is longer than the resource: stale
            response.raise_for_status()
            if offset and response.status_code == 206:
                match = _CONTENT_RANGE.fullmatch(response.headers.get("content-range", ""))
                if match is None or int(match.group(1)) != offset:
                    raise _Restart()
                self.total = int(match.group(3)) if match.group(3) != "*" else None
                self.ctx.log(f"resuming at byte {offset}\n")
            else:
                if offset:
                    self.ctx.log("the server sent the whole file again; starting over\n")
                offset = 0
                length = response.headers.get("content-length")
                self.total = int(length) if length and length.isdigit() else None
                self.validator = response.headers.get("etag") or response.headers.get("last-modified")
                self._save_validator(self.validator)
            self.done = offset
            mode = "ab" if offset else "wb"
            with open(self.part, mode) as out:
                for chunk in response.iter_raw():  # as received: a drop loses nothing already read
                    if self.ctx.cancelled:
                        return
                    out.write(chunk)
                    self.done += len(chunk)
                    self._report()
                out.flush()
                os.fsync(out.fileno())
        with self._lock:
            self._response = None
        if self.ctx.cancelled:
            return
        if self.total is not None and self.done < self.total:
            raise httpx.RemoteProtocolError(f"body ended at byte {self.done} of {self.total}")

    def _abort(self) -> None:
        """Cancel from any thread: closing the response wakes a read blocked on the socket."""
        with self._lock:
            response = self._response
        if response is not None:
            try:
                response.close()
            except Exception:  # noqa: BLE001 - closing from another thread may race; the loop checks cancelled
                pass

    def _report(self) -> None:
        now = time.monotonic()
        if now - self._last_progress < PROGRESS_INTERVAL:
            return
        self._last_progress = now
        if self.total:
            self.ctx.progress(self.done / self.total, f"{_size(self.done)} of {_size(self.total)}")
        else:
            self.ctx.progress(None, f"{_size(self.done)}")

    def _load_validator(self) -> str | None:
        """The validator saved with the part file, if it belongs to this URL."""
        if not self.part.exists():
            return None
        try:
            meta: dict[str, Any] = json.loads(self.meta.read_text())
        except (OSError, ValueError):
            meta = {}
        if meta.get("url") != self.url:
            self._discard()  # a part file of another download, or of unknown origin
            return None
        validator = meta.get("validator")
        return validator if isinstance(validator, str) else None

    def _save_validator(self, validator: str | None) -> None:
        self.meta.write_text(json.dumps({"url": self.url, "validator": validator}))

    def _discard(self) -> None:
        self.part.unlink(missing_ok=True)
        self.meta.unlink(missing_ok=True)


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{count} B"
