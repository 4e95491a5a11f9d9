"""Run output on its way to the database: batched, and held while writes are refused.

The engine writes output in batches (at most OUTPUT_FLUSH_SECONDS after it arrives).
When the database refuses a batch (a full disk), the batch is given back and kept for
the next flush, up to :data:`MAX_HELD_OUTPUT` characters; beyond that, output is
dropped and a note in the run's log says how much.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Output held in memory while the database refuses writes (characters).
MAX_HELD_OUTPUT = 1 << 20


@dataclass
class OutputBuffer:
    chunks: list[tuple[int, str]] = field(default_factory=list)  # (run id, text), in order
    lost: dict[int, int] = field(default_factory=dict)  # run id -> characters dropped while writes failed
    limit: int = MAX_HELD_OUTPUT
    #: run id -> (pgid, leader start): written with the output, dropped if the run ends first
    groups: dict[int, tuple[int, str | None]] = field(default_factory=dict)

    def take(self) -> list[tuple[int, str]]:
        """Everything to write now, a note per run that lost output last."""
        if not self.chunks and not self.lost:
            return []  # as below, without its four new containers (every run's end asks, issue 14)
        chunks, self.chunks = self.chunks, []
        lost, self.lost = self.lost, {}
        notes = [(run_id, f"\n[workdeck] {n} characters of output lost: the database refused writes (disk full)\n")
                 for run_id, n in lost.items()]
        return chunks + notes

    def give_back(self, taken: list[tuple[int, str]]) -> None:
        """``taken`` was refused: keep it ahead of what arrived since, within the limit."""
        notes = [c for c in taken if c[1].startswith("\n[workdeck] ") and "characters of output lost" in c[1]]
        held = [c for c in taken if c not in notes] + self.chunks
        for run_id, text in notes:
            self.lost[run_id] = self.lost.get(run_id, 0) + int(text.split()[1])
        size = 0
        for i, (run_id, text) in enumerate(held):
            size += len(text)
            if size > self.limit:
                for dropped_run, dropped in held[i:]:
                    self.lost[dropped_run] = self.lost.get(dropped_run, 0) + len(dropped)
                del held[i:]
                break
        self.chunks = held
