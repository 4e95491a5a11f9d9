"""SIGTERM and SIGINT (and Ctrl-Break's SIGBREAK on Windows) stop Workdeck gracefully,
window and serve alike: a desktop session's logout sends SIGTERM, and running tasks must
be recorded as interrupted (and resumed at the next start), not found dead."""

from __future__ import annotations

import signal
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from PySide6.QtCore import QCoreApplication


def _quit_signals() -> tuple[int, ...]:
    """SIGTERM and SIGINT; on Windows also SIGBREAK, which Ctrl-Break in the console
    sends (Ctrl-C is SIGINT there too): unhandled, it ends the process at once."""
    breaks = getattr(signal, "SIGBREAK", None)  # Windows only
    return (signal.SIGTERM, signal.SIGINT) if breaks is None else (signal.SIGTERM, signal.SIGINT, breaks)


@contextmanager
def quit_on_signals(app: QCoreApplication, on_signal: Callable[[], None] | None = None) -> Iterator[None]:
    """SIGTERM and SIGINT call ``on_signal`` (default: quit Qt's loop). Python runs signal handlers only between
    bytecodes, which never happen while Qt sleeps in C++, so the C-level handler's
    wakeup byte (``signal.set_wakeup_fd``) on a socketpair wakes a QSocketNotifier: no
    polling timer."""
    from PySide6.QtCore import QSocketNotifier

    reader, writer = socket.socketpair()
    reader.setblocking(False)
    writer.setblocking(False)
    old_fd = signal.set_wakeup_fd(writer.fileno(), warn_on_full_buffer=False)
    old_handlers = {s: signal.signal(s, lambda *_: None) for s in _quit_signals()}
    notifier = QSocketNotifier(reader.fileno(), QSocketNotifier.Type.Read)

    def on_wakeup() -> None:
        try:
            if reader.recv(64):
                (on_signal or app.quit)()
        except BlockingIOError:
            pass

    notifier.activated.connect(on_wakeup)
    try:
        yield
    finally:
        notifier.setEnabled(False)
        for sig, handler in old_handlers.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(old_fd)
        reader.close()
        writer.close()
