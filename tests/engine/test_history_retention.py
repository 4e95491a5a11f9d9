"""Retention with the fake clock: every keep rule, the never-lose list, the counters."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from engine.clock import FakeClock
from engine.history import prune
from engine.history.policy import RetentionPolicy, load_policy, save_policy
from engine.history.pruner import FIRST_DELAY, Pruner
from engine.model import Outcome, Reminder, ReminderStatus, State
from engine.store import Store
from tests.engine.history_helpers import DAY, add_runs, add_task, finish_task, run_ids

OK, FAIL = Outcome.SUCCEEDED, Outcome.FAILED
DEFAULT = RetentionPolicy()


def prune_now(store: Store, clock: FakeClock, policy: RetentionPolicy = DEFAULT, **kw: object) -> prune.PruneResult:
    return prune.prune_all(store.conn, policy, clock.now_us(), **kw)  # type: ignore[arg-type]


def test_the_newest_100_runs_are_kept_when_all_are_old(store: Store, clock: FakeClock) -> None:
    add_task(store, clock, "t")
    ids = add_runs(store, "t", [(60 * DAY, OK)] * 150, now_us=clock.now_us())
    result = prune_now(store, clock)
    assert run_ids(store, "t") == ids[-100:]
    assert result.runs == 50 and result.tasks == 0


def test_every_run_of_the_last_30_days_is_kept_when_that_is_more(store: Store, clock: FakeClock) -> None:
    add_task(store, clock, "t")
    old = add_runs(store, "t", [(31 * DAY, OK)] * 40, now_us=clock.now_us())
    recent = add_runs(store, "t", [(29 * DAY, OK)] * 250, now_us=clock.now_us())
    prune_now(store, clock)
    assert run_ids(store, "t") == recent  # 250 within 30 days > 100: all of them, none older
    assert set(old).isdisjoint(run_ids(store, "t"))


def test_whichever_keeps_more_mixed(store: Store, clock: FakeClock) -> None:
    add_task(store, clock, "t")
    old = add_runs(store, "t", [(40 * DAY, OK)] * 100, now_us=clock.now_us())
    recent = add_runs(store, "t", [(1 * DAY, OK)] * 30, now_us=clock.now_us())
    prune_now(store, clock)
    assert run_ids(store, "t") == old[-70:] + recent  # the newest 100, 30 of them recent


def test_the_last_failure_is_always_kept(store: Store, clock: FakeClock) -> None:
    add_task(store, clock, "t")
    failed = add_runs(store, "t", [(300 * DAY, FAIL), (299 * DAY, Outcome.TIMED_OUT)], now_us=clock.now_us())
    ok = add_runs(store, "t", [(200 * DAY, OK)] * 120, now_us=clock.now_us())
    prune_now(store, clock)
    assert run_ids(store, "t") == [failed[1]] + ok[-100:]  # the newest failure (timed out) stays
    assert store.task("t", with_runs=False).totals.last_failure_run == failed[1]


def test_a_run_in_progress_is_never_pruned(store: Store, clock: FakeClock) -> None:
    add_task(store, clock, "t", keep_runs=0, keep_for=0.0)
    (going,) = add_runs(store, "t", [(400 * DAY, None)], now_us=clock.now_us())
    add_runs(store, "t", [(300 * DAY, OK)] * 10, now_us=clock.now_us())
    prune_now(store, clock)
    assert run_ids(store, "t") == [going]


def test_a_tasks_own_settings_override_the_global_policy(store: Store, clock: FakeClock) -> None:
    add_task(store, clock, "few", keep_runs=5, keep_for=0.0)
    add_task(store, clock, "long", keep_for=400 * DAY)
    few = add_runs(store, "few", [(1 * DAY, OK)] * 20, now_us=clock.now_us())
    long = add_runs(store, "long", [(365 * DAY, OK)] * 150, now_us=clock.now_us())
    prune_now(store, clock)
    assert run_ids(store, "few") == few[-5:]
    assert run_ids(store, "long") == long


def test_the_global_policy_lives_in_the_database(store: Store, tmp_path: Path, clock: FakeClock) -> None:
    assert load_policy(store.conn) == DEFAULT
    with store.transaction():
        save_policy(store.conn, DEFAULT, keep_runs=10, keep_for=DAY)
    other = Store(tmp_path / "w.db")  # another process (the CLI, the window) reads the same
    assert load_policy(other.conn) == RetentionPolicy(keep_runs=10, keep_for=DAY)
    other.close()


def test_an_unfinished_task_with_retries_keeps_its_retry_streak(store: Store, clock: FakeClock) -> None:
    from engine.model import RetryPolicy

    add_task(store, clock, "t", keep_runs=1, keep_for=0.0, retry=RetryPolicy(max_retries=3))
    ids = add_runs(store, "t", [(90 * DAY, FAIL)] * 12, now_us=clock.now_us())
    prune_now(store, clock)
    assert run_ids(store, "t") == ids[-8:]  # 2 x retries + 2: what the engine reads back


def test_finished_tasks_go_after_keep_for_and_active_ones_never(store: Store, clock: FakeClock) -> None:
    for task_id in ("done", "fresh", "failed", "active"):
        add_task(store, clock, task_id)
        add_runs(store, task_id, [(100 * DAY, OK)] * 3, now_us=clock.now_us())
    finish_task(store, clock, "done", State.SUCCEEDED, days_ago=31)
    finish_task(store, clock, "failed", State.FAILED, days_ago=45)
    finish_task(store, clock, "fresh", State.SUCCEEDED, days_ago=29)
    result = prune_now(store, clock)
    assert sorted(result.removed_tasks) == ["done", "failed"] and result.tasks == 2 and result.runs == 6
    assert sorted(t.id for t in store.tasks()) == ["active", "fresh"]
    assert len(run_ids(store, "active")) == 3  # fewer than 100: all kept however old


def test_a_parent_that_children_still_read_is_kept(store: Store, clock: FakeClock) -> None:
    add_task(store, clock, "parent")
    with store.transaction():
        store.conn.execute("UPDATE tasks SET output = ? WHERE id = 'parent'", (json.dumps({"file": "/x"}),))
    add_task(store, clock, "child", state=State.BLOCKED, after=("parent",))
    add_task(store, clock, "done-child", state=State.ENQUEUED, after=("parent",))
    finish_task(store, clock, "parent", State.SUCCEEDED, days_ago=90)
    finish_task(store, clock, "done-child", State.SUCCEEDED, days_ago=90)
    assert prune_now(store, clock).removed_tasks == ["done-child"]  # finished: nothing waits for it
    assert store.task("parent", with_runs=False).output == {"file": "/x"}  # the blocked child reads it
    finish_task(store, clock, "child", State.CANCELLED, days_ago=40)
    result = prune_now(store, clock)
    assert sorted(result.removed_tasks) == ["child", "parent"]
    assert store.conn.execute("SELECT COUNT(*) FROM deps").fetchone()[0] == 0


@pytest.mark.parametrize("damage", [
    ("spec", "{not json"), ("spec", "[1]"), ("spec", '{"worker": "shell", "keep_runs": "x"}'),
    ("state", "exploded"), ("updated_at", "yesterday"),
])
def test_an_unreadable_row_keeps_its_runs_and_the_sweep_goes_on(store: Store, clock: FakeClock,
                                                                 damage: tuple[str, str]) -> None:
    # A row changed outside Workdeck (engine.quarantine) stopped prune_all with a traceback,
    # and the owner's every sweep at that row: the tasks after it were never pruned.
    for task_id in ("bad", "after"):
        add_task(store, clock, task_id, keep_runs=0, keep_for=0.0)
        add_runs(store, task_id, [(60 * DAY, OK)] * 3, now_us=clock.now_us())
    finish_task(store, clock, "bad", State.SUCCEEDED, days_ago=90)
    column, value = damage
    with store.transaction():
        store.conn.execute(f"UPDATE tasks SET {column} = ? WHERE id = 'bad'", (value,))
    for dry_run in (True, False):
        result = prune_now(store, clock, dry_run=dry_run)
        assert result.runs == 3 and result.removed_tasks == []
    assert len(run_ids(store, "bad")) == 3 and run_ids(store, "after") == []


def test_the_missed_reminders_list_is_never_pruned(store: Store, clock: FakeClock) -> None:
    add_task(store, clock, "alarm", keep_runs=0, keep_for=0.0)
    add_runs(store, "alarm", [(90 * DAY, OK)] * 3, now_us=clock.now_us())
    finish_task(store, clock, "alarm", State.SUCCEEDED, days_ago=90)
    with store.transaction():
        store.add_reminder(Reminder("alarm", "water the plants", clock.now(), None, status=ReminderStatus.MISSED),
                           clock.now_us())
    prune_now(store, clock)
    assert [r.message for r in store.open_reminders()] == ["water the plants"]
    assert store.has_task("alarm")  # its reminder is not acknowledged: the task stays too
    with store.transaction():
        store.acknowledge_reminders("alarm", ReminderStatus.DISMISSED, clock.now_us())
    assert prune_now(store, clock).removed_tasks == ["alarm"]


def test_counters_are_equal_before_and_after_pruning(store: Store, clock: FakeClock) -> None:
    add_task(store, clock, "t")
    pattern = [OK, OK, FAIL, Outcome.TIMED_OUT, Outcome.INTERRUPTED, Outcome.CANCELLED]
    add_runs(store, "t", [(400 * DAY - i * 3600, pattern[i % 6]) for i in range(600)], now_us=clock.now_us())
    before = store.task("t", with_runs=False).totals
    assert (before.total, before.succeeded, before.failed) == (600, 200, 200)
    assert before.last_outcome is Outcome.CANCELLED
    assert prune_now(store, clock).runs == 500
    assert len(run_ids(store, "t")) == 100  # the newest 100 (the last failure among them)
    assert store.task("t", with_runs=False).totals == before


def test_a_run_is_counted_once(store: Store, clock: FakeClock) -> None:
    add_task(store, clock, "t")
    (run_id,) = add_runs(store, "t", [(0, OK)], now_us=clock.now_us())
    with store.transaction():
        store.end_run(run_id, clock.now_us(), FAIL)  # already ended: ignored, not counted again
        store.record_run("t", 1, clock.now_us(), Outcome.CANCELLED)
    totals = store.task("t", with_runs=False).totals
    assert (totals.total, totals.succeeded, totals.failed, totals.last_outcome) == (2, 1, 0, Outcome.CANCELLED)


def test_output_goes_with_its_run(store: Store, clock: FakeClock) -> None:
    add_task(store, clock, "t", keep_runs=2, keep_for=0.0)
    ids = add_runs(store, "t", [(DAY, OK)] * 5, now_us=clock.now_us(), output="x" * 1000)
    result = prune_now(store, clock)
    assert (result.runs, result.output_bytes) == (3, 3000)
    kept = [r[0] for r in store.conn.execute("SELECT DISTINCT run_id FROM output ORDER BY run_id")]
    assert kept == ids[-2:]


@pytest.mark.parametrize("batch", [1, 3, 7, 500])
def test_small_batches_and_dry_runs_remove_exactly_what_one_pass_does(tmp_path: Path, clock: FakeClock,
                                                                      batch: int) -> None:
    results = []
    for dry in (True, False):
        store = Store(tmp_path / f"{batch}-{dry}.db")
        for n in range(5):
            add_task(store, clock, f"t{n}", keep_runs=n, keep_for=DAY * n)
            add_runs(store, f"t{n}", [(DAY * (10 - i % 10), OK if i % 4 else FAIL) for i in range(23)],
                     now_us=clock.now_us(), output="abc")
        add_task(store, clock, "gone")
        add_runs(store, "gone", [(50 * DAY, OK)] * 11, now_us=clock.now_us())
        finish_task(store, clock, "gone", State.SUCCEEDED, days_ago=40)
        before = {t.id: t.totals for t in store.tasks()}
        result = prune_now(store, clock, dry_run=dry, batch_runs=batch)
        results.append((result.runs, result.output_bytes, result.removed_tasks))
        if not dry:
            assert {t.id: t.totals for t in store.tasks()} == {k: v for k, v in before.items() if k != "gone"}
            again = prune_now(store, clock, batch_runs=batch)
            assert (again.runs, again.tasks) == (0, 0)  # a second sweep finds nothing left
        store.close()
    assert results[0] == results[1]
    assert results[1][0] > 50 and results[1][2] == ["gone"]


def test_a_time_boxed_transaction_commits_early_and_the_next_batch_goes_on(tmp_path: Path,
                                                                           clock: FakeClock) -> None:
    """A machine too busy to delete a batch in its time box: each transaction commits
    after one statement's worth (time box 0), and the sweep removes exactly what one
    unboxed sweep does, keeping every rule (newest runs, last failure, finished task)."""
    kept: list[dict[str, list[int]]] = []
    for box in (None, 0.0):
        store = Store(tmp_path / f"box-{box}.db")
        for n in range(3):
            add_task(store, clock, f"t{n}", keep_runs=5 * n)
            add_runs(store, f"t{n}", [(40 * DAY, FAIL if i in (30, 100) else OK) for i in range(260)],
                     now_us=clock.now_us(), output="abc")
        add_task(store, clock, "gone")
        add_runs(store, "gone", [(50 * DAY, OK)] * 120, now_us=clock.now_us())
        finish_task(store, clock, "gone", State.SUCCEEDED, days_ago=40)
        before = {t.id: t.totals for t in store.tasks()}
        holds: list[int] = []
        cursor: prune.SweepCursor | None = prune.SweepCursor()
        while cursor is not None:
            result, cursor = prune.prune_batch(store.conn, DEFAULT, clock.now_us(), cursor, time_box=box)
            holds.append(result.runs)
        if box == 0.0:
            assert max(holds) == prune.DELETE_CHUNK and len(holds) > 800 // prune.DELETE_CHUNK
        else:
            assert max(holds) == prune.BATCH_RUNS
        assert {t.id: t.totals for t in store.tasks()} == {k: v for k, v in before.items() if k != "gone"}
        kept.append({t: run_ids(store, t) for t in ("t0", "t1", "t2", "gone")})
        store.close()
    assert kept[0] == kept[1]
    assert kept[1]["gone"] == [] and len(kept[1]["t2"]) == 10 + 1  # the newest 10 and the last failure


def test_the_owners_idle_pass_prunes_in_batches_on_its_timer(qapp: object, store: Store, clock: FakeClock) -> None:
    add_task(store, clock, "t")
    add_runs(store, "t", [(90 * DAY, OK)] * 1_300, now_us=clock.now_us(), output="y" * 2000)
    add_task(store, clock, "old")
    finish_task(store, clock, "old", State.CANCELLED, days_ago=60)
    removed: list[str] = []
    pruner = Pruner(store.conn, clock, policy=lambda: load_policy(store.conn), on_removed=removed.append)
    batches: list[prune.PruneResult] = []
    pruner.pruned.connect(batches.append)
    pruner.start()
    clock.advance(FIRST_DELAY - 1)
    assert len(run_ids(store, "t")) == 1_300  # not at once: it lets the start settle
    clock.advance(5)
    assert len(run_ids(store, "t")) == 100 and removed == ["old"]
    assert len(batches) >= 3 and all(b.runs <= prune.BATCH_RUNS for b in batches)  # never one long transaction
    assert sum(b.runs for b in batches) == 1_200
    assert pruner.lock_holds and pruner.active  # measured; the next sweep is armed
    assert store.conn.execute("PRAGMA freelist_count").fetchone()[0] == 0  # pages given back
    pruner.stop()


def test_a_new_database_shrinks_back(store: Store, clock: FakeClock, tmp_path: Path) -> None:
    assert prune.auto_vacuum_mode(store.conn) == 2  # incremental from the start: no VACUUM needed
    add_task(store, clock, "t", keep_runs=1, keep_for=0.0)
    add_runs(store, "t", [(DAY, OK)] * 200, now_us=clock.now_us(), output="z" * 20_000)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    grown = (tmp_path / "w.db").stat().st_size
    prune_now(store, clock)
    prune.shrink(store.conn)
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert (tmp_path / "w.db").stat().st_size < grown / 10


def test_spec_retention_fields_round_trip() -> None:
    from engine.model import TaskSpec

    spec = TaskSpec(worker="shell", args=("x",), keep_runs=7, keep_for=3600.0, output_limit=8192)
    assert TaskSpec.from_json(json.loads(json.dumps(spec.to_json(compact=True)))) == spec
    assert dataclasses.replace(spec, keep_runs=None).to_json(compact=True).get("keep_runs") is None


def test_the_engine_sets_the_global_policy_for_the_settings_dialog(qapp: object, store: Store, clock: FakeClock) -> None:
    from engine.engine import Engine
    from engine.errors import BadSpecError

    engine = Engine(store, clock)
    assert engine.retention == DEFAULT
    assert engine.set_retention(keep_runs=20, output_limit=8192) == RetentionPolicy(keep_runs=20, output_limit=8192)
    with pytest.raises(BadSpecError, match="keep-for must be between"):
        engine.set_retention(keep_for=-1.0)
    assert load_policy(store.conn) == RetentionPolicy(keep_runs=20, output_limit=8192)  # the bad one wrote nothing


def test_a_batch_deletes_at_most_a_few_megabytes_of_output(store: Store, clock: FakeClock) -> None:
    add_task(store, clock, "chatty", keep_runs=0, keep_for=0.0)
    add_runs(store, "chatty", [(DAY, OK)] * 30, now_us=clock.now_us(), output="o" * 300_000)
    add_task(store, clock, "gone", keep_for=0.0)
    add_runs(store, "gone", [(DAY, OK)] * 3, now_us=clock.now_us(), output="g" * 300_000)
    finish_task(store, clock, "gone", State.SUCCEEDED, days_ago=1)
    batches, cursor = [], prune.SweepCursor()
    while cursor is not None:
        result, cursor = prune.prune_batch(store.conn, DEFAULT, clock.now_us(), cursor)
        batches.append(result)
    assert all(b.output_bytes <= prune.BATCH_OUTPUT for b in batches)
    assert sum(b.runs for b in batches) == 33 and [t for b in batches for t in b.removed_tasks] == ["gone"]
    assert store.conn.execute("SELECT COUNT(*) FROM output").fetchone()[0] == 0
