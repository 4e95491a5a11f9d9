"""Ownership of a database: one engine at a time, and where it listens.

Empty on purpose: every command line imports :mod:`engine.owner.lock` to find the owner
(ui/cli/thin.py, a quick add at the cost of a bare Python), and must not pay for
:mod:`engine.owner.host` (Qt, the engine) on the way.

- :mod:`engine.owner.lock`: the lock file beside the database and the owner's socket
  path; Qt-free;
- :mod:`engine.owner.host`: :class:`~engine.owner.host.EngineHost`, the engine that
  owns the database and serves the command line (the whole story is told there).

The per-OS primitives stay with the other platform code: engine/platforms/file_lock.py
(the lock) and engine/platforms/owner_socket.py (the socket or named pipe); the wire
protocol both sides speak is engine/ipc.py.
"""
