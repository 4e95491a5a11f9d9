"""A loopback HTTP server that accepts connections and never answers (downloads' timeouts
and cancels are tested against it, in-process and through a real serve)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def hanging_http(path: str) -> Iterator[tuple[str, threading.Event]]:
    """``(url, requested)``: ``requested`` is set once a client's whole request arrived
    (it is then waiting for a status line that never comes). Stops itself within 60 s."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.05)
    requested, stop = threading.Event(), threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        deadline = time.monotonic() + 60  # bounded even if a test forgets to stop it
        while not stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            held.append(conn)
            _read_request(conn)
            requested.set()
        for conn in held:
            conn.close()
        listener.close()

    thread = threading.Thread(target=serve, name="test-hanging-http")
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}{path}", requested
    finally:
        stop.set()
        thread.join(10)
        assert not thread.is_alive()


def _read_request(conn: socket.socket) -> None:
    """Read one request's head (bounded by a timeout)."""
    conn.settimeout(5)
    head = b""
    try:
        while b"\r\n\r\n" not in head:
            chunk = conn.recv(4096)
            if not chunk:
                return
            head += chunk
    except OSError:
        return
