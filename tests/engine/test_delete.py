"""Deleting a task: its history goes with it; a running task and a task others wait
for are refused and nothing changes; a waiting task never runs."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from engine.clock import FakeClock, to_us
from engine.errors import BadInputError, NoSuchTaskError
from engine.model import State
from tests.deferred_helpers import Deck, make_deck


@pytest.fixture
def deck(tmp_path: Path, clock: FakeClock, qapp: object) -> Iterator[Deck]:
    d = make_deck(tmp_path / "w.db", clock, max_deferred=4)
    yield d
    d.close()


def _rows(deck: Deck, table: str, task_id: str) -> int:
    column = "id" if table == "tasks" else "task_id"
    return int(deck.store.conn.execute(f"SELECT COUNT(*) FROM {table} WHERE {column} = ?", (task_id,)).fetchone()[0])


def test_a_finished_task_goes_with_its_runs_output_and_tags(deck: Deck) -> None:
    task = deck.add("seconds=1", "log=hello", tags=("nightly",))
    keep = deck.add("seconds=1", tags=("nightly",))
    deck.step(1)
    assert deck.state(task.id) is State.SUCCEEDED
    run_ids = [r.id for r in deck.task(task.id).runs]
    deck.store.append_output([(run_ids[0], "hello\n")])
    removed: list[str] = []
    deck.engine.task_removed.connect(removed.append)
    deck.engine.delete(task.id)
    assert removed == [task.id]
    with pytest.raises(NoSuchTaskError):
        deck.engine.task(task.id)
    for table in ("tasks", "runs", "tags"):
        assert _rows(deck, table, task.id) == 0
    assert deck.store.conn.execute("SELECT COUNT(*) FROM output WHERE run_id = ?", (run_ids[0],)).fetchone()[0] == 0
    assert [t.id for t in deck.engine.tasks(tag="nightly")] == [keep.id]  # the other one is untouched
    with pytest.raises(NoSuchTaskError):
        deck.engine.delete(task.id)


def test_a_running_task_is_refused_and_nothing_changes(deck: Deck) -> None:
    task = deck.add("hold")
    assert deck.state(task.id) is State.RUNNING
    with pytest.raises(BadInputError, match="is running: cancel it first"):
        deck.engine.delete(task.id)
    assert deck.state(task.id) is State.RUNNING and _rows(deck, "runs", task.id) == 1
    deck.runner.finish(task.id)
    deck.engine.delete(task.id)
    assert _rows(deck, "tasks", task.id) == 0


def test_a_task_that_others_wait_for_is_refused_until_they_are_done(deck: Deck) -> None:
    parent = deck.add("seconds=1", run_at=deck.clock.now() + timedelta(minutes=1))
    child = deck.add("hold", after=(parent.id,))
    with pytest.raises(BadInputError, match=f"{child.id} wait for it"):
        deck.engine.delete(parent.id)
    assert deck.state(parent.id) is State.ENQUEUED and deck.state(child.id) is State.BLOCKED
    deck.step(60 + 1)
    assert deck.state(child.id) is State.RUNNING  # released: it still needs its parent's output
    with pytest.raises(BadInputError, match="wait for it"):
        deck.engine.delete(parent.id)
    deck.runner.finish(child.id)
    deck.engine.delete(parent.id)
    assert deck.store.parents(child.id) == []  # no link left to a task that is gone
    assert deck.state(child.id) is State.SUCCEEDED


def test_a_waiting_task_never_runs_and_the_timer_moves_to_the_next(deck: Deck) -> None:
    now = deck.clock.now()
    soon = deck.add(run_at=now + timedelta(minutes=5))
    later = deck.add(run_at=now + timedelta(minutes=30))
    assert deck.engine.dispatcher.armed_for == to_us(now + timedelta(minutes=5))
    deck.engine.delete(soon.id)
    assert deck.engine.dispatcher.armed_for == to_us(now + timedelta(minutes=30))
    deck.step(30 * 60)
    assert deck.runner.started == [later.id]
