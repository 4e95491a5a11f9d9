"""Every window of periodic work is accounted for, window by window: it ran (credited to
the window it was due in), was skipped as an overlap, or was coalesced into a run that
started late (busy slots, paused deferred work, downtime). Fake clock, no sleeps."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from pathlib import Path

from engine.clock import FakeClock
from engine.model import Outcome, Schedule
from tests.deferred_helpers import Deck, make_deck
from tests.window_ledger import ledger


def check_every_window_once(deck: Deck, task_id: str) -> Counter[str]:
    book = ledger(deck.store.task(task_id))  # every run: Engine.task carries only the newest
    assert not book.unaccounted, f"windows nothing accounts for: {book.unaccounted[:10]}"
    assert not book.twice, f"windows accounted twice: {[(k, book.what[k]) for k in book.twice[:10]]}"
    assert not book.early, f"records for windows that have not opened: {book.early}"
    assert book.pending > 0
    return book.counts()


def test_a_busy_dispatcher_accounts_for_every_window(tmp_path: Path, clock: FakeClock, qapp: object) -> None:
    # Two deferred slots. "long" (2.5 s runs every 1 s) overlaps itself and holds one
    # slot; "short" (0.3 s every 1 s) shares the other with 2.5 s one-shot blockers,
    # so it often starts more than a period late. Deferred work is paused for 5 s too.
    deck = make_deck(tmp_path / "busy.db", clock, max_deferred=2)
    try:
        short = deck.add("seconds=0.3", schedule=Schedule(every=1))
        long = deck.add("seconds=2.5", schedule=Schedule(every=1))
        t0 = clock.now()
        for k in range(12):
            deck.add("seconds=2.5", run_at=t0 + timedelta(seconds=7 * k + 0.5))
        deck.step(60)
        deck.engine.pause_deferred()
        deck.step(5)
        deck.engine.resume_deferred()
        deck.step(55.25)
        short_counts = check_every_window_once(deck, short.id)
        long_counts = check_every_window_once(deck, long.id)
        late = [r for r in deck.task(short.id).runs if r.outcome is Outcome.SUCCEEDED
                and r.due_at is not None and (r.started_at - r.due_at).total_seconds() > 1]
    finally:
        deck.close()
    # The scenario really did what it is for: late starts coalesced, overlaps skipped.
    assert short_counts["coalesced"] >= 5 and short_counts["ran"] >= 60, short_counts
    assert long_counts["overlap"] >= 30 and long_counts["ran"] >= 30, long_counts
    assert late, "no run started more than a period late: the test does not test what it says"


def test_downtime_and_an_interrupted_run_are_accounted_for(tmp_path: Path, clock: FakeClock, qapp: object) -> None:
    """A run stopped by a shutdown reruns for the window it was due in; the windows it ran
    through and the downtime after it are coalesced into the rerun."""
    path = tmp_path / "down.db"
    deck = make_deck(path, clock)
    task = deck.add("seconds=4", schedule=Schedule(every=1))
    deck.step(10.5)  # runs at 0 (overlaps 1..3), 4 (5..7), 8: running at the stop
    deck.close()
    clock.advance(100)
    again = make_deck(path, clock)
    try:
        again.step(20)
        counts = check_every_window_once(again, task.id)
    finally:
        again.close()
    assert counts["coalesced"] >= 100 and counts["overlap"] >= 6, counts
