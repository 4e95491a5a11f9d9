"""A run keeps the first and the last of its output, not all of it.

Under a limit of L bytes a run keeps its first ``head`` bytes (64 KiB, at most half of
L) and its last ``tail`` bytes (the rest of L); between them one marker row says how
much was dropped. Everything is written as it comes (a crash loses nothing that was
kept): once the head is full, a marker row is written, the tail's rows are appended
and the oldest tail rows are deleted as newer ones push them past ``tail`` bytes, in
the same short transaction that writes the new ones. A run's rows go with it when it
is pruned (engine.history.prune).
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from engine.history.limits import format_size, split_output_limit


@dataclass
class _RunOutput:
    limit: int
    head_left: int
    tail_limit: int
    marker_seq: int | None = None
    tail: deque[tuple[int, int]] = field(default_factory=deque)  # (seq, bytes), oldest first
    tail_bytes: int = 0
    dropped: int = 0


def _cut(data: bytes, at: int) -> int:
    """The largest index <= ``at`` that starts a UTF-8 character (never split one)."""
    while 0 < at < len(data) and (data[at] & 0xC0) == 0x80:
        at -= 1
    return at


def marker_text(dropped: int, limit: int) -> str:
    head, tail = split_output_limit(limit)
    return (f"\n[workdeck] {dropped:,} bytes ({format_size(dropped)}) of output dropped here: a run keeps its "
            f"first {format_size(head)} and its last {format_size(tail)} (--output-limit)\n")


class OutputCap:
    """The engine's writer of run output. Not thread-safe: the engine's thread owns it."""

    def __init__(self) -> None:
        self._limits: dict[int, int] = {}  # the runs begun and not ended: their limits
        self._runs: dict[int, _RunOutput] = {}  # those of them that wrote output

    def begin(self, run_id: int, limit: int) -> None:
        # A run's state is made at its first output: most runs of a backlog write none,
        # and making it at every start cost 0.65 us a run (0.75 against 0.10 us, issue 14).
        self._limits[run_id] = limit
        self._runs.pop(run_id, None)

    def end(self, run_id: int) -> None:
        self._limits.pop(run_id, None)
        self._runs.pop(run_id, None)

    def dropped(self, run_id: int) -> int:
        state = self._runs.get(run_id)
        return state.dropped if state is not None else 0

    def write(self, conn: sqlite3.Connection, chunks: Iterable[tuple[int, str]]) -> None:
        """Append (run_id, text) chunks under each run's limit. Inside a transaction.
        A run that was never begun (a note after its end) is written as it is."""
        insert = "INSERT INTO output (run_id, text) VALUES (?, ?)"
        doomed: list[int] = []
        touched: set[int] = set()
        for run_id, text in chunks:
            state = self._runs.get(run_id)
            if state is None:
                limit = self._limits.get(run_id)
                if limit is None:
                    conn.execute(insert, (run_id, text))
                    continue
                head, tail = split_output_limit(limit)
                state = self._runs[run_id] = _RunOutput(limit=limit, head_left=head, tail_limit=tail)
            data = text.encode("utf-8", "surrogateescape")
            if state.head_left > 0:
                if len(data) <= state.head_left:
                    conn.execute(insert, (run_id, text))
                    state.head_left -= len(data)
                    continue
                cut = _cut(data, state.head_left)
                conn.execute(insert, (run_id, data[:cut].decode("utf-8", "surrogateescape")))
                state.head_left = 0
                data = data[cut:]
            if state.marker_seq is None:
                state.marker_seq = int(conn.execute(insert, (run_id, "")).lastrowid or 0)
            if len(data) > state.tail_limit:  # one chunk larger than the whole tail: keep its end
                cut = len(data) - state.tail_limit
                while cut < len(data) and (data[cut] & 0xC0) == 0x80:  # start on a whole character
                    cut += 1
                state.dropped += cut
                touched.add(run_id)
                data = data[cut:]
            seq = int(conn.execute(insert, (run_id, data.decode("utf-8", "surrogateescape"))).lastrowid or 0)
            state.tail.append((seq, len(data)))
            state.tail_bytes += len(data)
            while state.tail and state.tail_bytes - state.tail[0][1] >= state.tail_limit:
                old_seq, size = state.tail.popleft()
                doomed.append(old_seq)
                state.tail_bytes -= size
                state.dropped += size
                touched.add(run_id)
        for start in range(0, len(doomed), 500):
            part = doomed[start : start + 500]
            conn.execute(f"DELETE FROM output WHERE seq IN ({','.join('?' * len(part))})", part)
        for run_id in touched:
            state = self._runs[run_id]
            conn.execute("UPDATE output SET text = ? WHERE seq = ?", (marker_text(state.dropped, state.limit),
                                                                     state.marker_seq))
