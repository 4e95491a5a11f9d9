"""The bounded reads (engine/store/reads.py) agree with a plain filter over every run,
use their indexes, and a database of the previous schema gains those indexes."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils

from engine.clock import FakeClock, to_us
from engine.model import Outcome, State, Task, TaskSpec
from engine.schema import APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION, create_v1
from engine.store import Store
from engine.store.reads import LONG_RUN_US, OUTCOME_BY_SEVERITY

S = 1_000_000


def _task(store: Store, clock: FakeClock, task_id: str) -> None:
    with store.transaction():
        store.insert_task(Task(task_id, TaskSpec("shell", ("true",)), State.ENQUEUED, clock.now()))


def _run(store: Store, task_id: str, start: int, end: int | None, outcome: str | None) -> int:
    cursor = store.conn.execute(
        "INSERT INTO runs (task_id, attempt, started_at, ended_at, outcome) VALUES (?, 1, ?, ?, ?)",
        (task_id, start, end, outcome),
    )
    return int(cursor.lastrowid or 0)


def _plan(store: Store, sql: str, params: tuple[object, ...]) -> str:
    return " | ".join(str(row[3]) for row in store.conn.execute("EXPLAIN QUERY PLAN " + sql, params))


def test_runs_between_finds_every_overlapping_run_and_no_other(store: Store, clock: FakeClock) -> None:
    """Short runs, runs longer than LONG_RUN_US that started far before the range, runs
    still open, runs ending exactly at the edges: the indexed read equals a filter."""
    _task(store, clock, "a")
    rng = random.Random(7)
    base = to_us(clock.now())
    runs: list[tuple[int, int, int | None]] = []
    with store.transaction():
        for _ in range(3000):
            start = base + rng.randrange(0, 10 * 86400) * S
            length = rng.choice([0, 1, 30, 600, 3599, 3601, 7200, 86400 * 3]) * S
            end = None if rng.random() < 0.02 else start + length
            runs.append((_run(store, "a", start, end, None if end is None else "succeeded"), start, end))
        # The edges: ends exactly at the range's start, starts exactly at its end.
        lo, hi = base + 4 * 86400 * S, base + 5 * 86400 * S
        runs.append((_run(store, "a", lo - 2 * LONG_RUN_US, lo, "failed"), lo - 2 * LONG_RUN_US, lo))
        runs.append((_run(store, "a", hi, hi + S, "failed"), hi, hi + S))
        runs.append((_run(store, "a", lo - 5 * 86400 * S, None, None), lo - 5 * 86400 * S, None))
    for lo, hi in ((base + 4 * 86400 * S, base + 5 * 86400 * S), (base, base + S), (base - S, base + 20 * 86400 * S)):
        expected = sorted((start, rid) for rid, start, end in runs if start <= hi and (end is None or end >= lo))
        got = [(to_us(r.started_at), r.id) for r in store.runs_between(lo, hi)]
        assert got == expected


def test_the_range_reads_use_the_time_indexes(store: Store) -> None:
    plan = _plan(store, "SELECT id FROM runs INDEXED BY runs_started WHERE started_at BETWEEN ? AND ?", (1, 2))
    assert "USING COVERING INDEX runs_started" in plan
    buckets = _plan(store, "SELECT task_id, started_at / ? AS b, COUNT(*) FROM runs INDEXED BY runs_started "
                    "WHERE started_at >= ? AND started_at < ? GROUP BY task_id, b", (5, 1, 2))
    assert "SCAN" not in buckets  # an index range, never the table


def test_run_buckets_aggregate_per_task_and_pixel(store: Store, clock: FakeClock) -> None:
    _task(store, clock, "a")
    _task(store, clock, "b")
    px = 60 * S
    t0 = (to_us(clock.now()) // px) * px
    with store.transaction():
        for i in range(180):  # a run every second for 3 minutes; one in 50 fails
            _run(store, "a", t0 + i * S, t0 + i * S + S // 2, "failed" if i % 50 == 49 else "succeeded")
        _run(store, "b", t0 + 90 * S, t0 + 200 * S, "timed_out")
        _run(store, "b", t0 + 100 * S, None, None)  # still running
    got = {(t, b - t0 // px): (n, bad, OUTCOME_BY_SEVERITY[sev], end) for t, b, n, bad, sev, end
           in store.run_buckets(t0, t0 + 3 * px, px)[0]}
    assert got == {
        ("a", 0): (60, 1, "failed", t0 + 59 * S + S // 2),
        ("a", 1): (60, 1, "failed", t0 + 119 * S + S // 2),
        ("a", 2): (60, 1, "failed", t0 + 179 * S + S // 2),
        ("b", 1): (2, 1, "timed_out", t0 + 200 * S),
    }


@pytest.mark.parametrize("backwards", [False, True])
def test_run_buckets_in_slices_of_bounded_runs_add_up_to_one_read(store: Store, clock: FakeClock,
                                                                  backwards: bool) -> None:
    """Slices of at most ``limit`` runs, each starting where the last was complete, give
    the buckets one unbounded read gives; a bucket fuller than the limit comes whole."""
    _task(store, clock, "a")
    _task(store, clock, "b")
    rng = random.Random(3)
    px = 10 * S
    t0 = (to_us(clock.now()) // px) * px
    with store.transaction():
        for i in range(4000):
            start = t0 + rng.randrange(0, 2000) * S
            _run(store, rng.choice("ab"), start, start + S, rng.choice(["succeeded"] * 9 + ["failed"]))
        for i in range(700):  # one crowded pixel
            _run(store, "a", t0 + 1000 * S + i, t0 + 1000 * S + i + 1, "succeeded")
    whole, complete = store.run_buckets(t0, t0 + 2000 * S, px)
    assert complete == t0 + 2000 * S
    merged: dict[tuple[str, int], list[int]] = {}
    lo, hi, slices = t0, t0 + 2000 * S, 0
    while lo < hi:
        buckets, complete = store.run_buckets(lo, hi, px, limit=500, backwards=backwards)
        assert sum(b[2] for b in buckets) <= 500 or len({b[1] for b in buckets}) == 1
        for task_id, bucket, n, bad, sev, end in buckets:
            assert (task_id, bucket) not in merged  # no bucket read twice
            merged[(task_id, bucket)] = [n, bad, sev, end]
        if backwards:
            assert complete < hi
            hi = complete
        else:
            assert complete > lo
            lo = complete
        slices += 1
    assert merged == {(t, b): [n, bad, sev, end] for t, b, n, bad, sev, end in whole}
    assert slices >= 4700 // 500


def test_count_runs_started_stops_at_its_cap(store: Store, clock: FakeClock) -> None:
    _task(store, clock, "a")
    t0 = to_us(clock.now())
    with store.transaction():
        for i in range(500):
            _run(store, "a", t0 + i * S, t0 + i * S + 1, "succeeded")
    assert store.count_runs_started(t0, t0 + 1000 * S, 10_000) == 500
    assert store.count_runs_started(t0, t0 + 1000 * S, 100) == 100
    assert store.count_runs_started(t0 + 100 * S, t0 + 109 * S, 100) == 10


def test_runs_page_walks_the_history_newest_first_without_gaps(store: Store, clock: FakeClock) -> None:
    _task(store, clock, "a")
    _task(store, clock, "b")
    t0 = to_us(clock.now())
    with store.transaction():
        ids = [_run(store, "a" if i % 3 else "b", t0 + i, t0 + i + 1, "succeeded") for i in range(1000)]
    mine = [rid for i, rid in enumerate(ids) if i % 3]
    seen: list[int] = []
    before = None
    while True:
        page = store.runs_page("a", before_id=before, limit=64)
        seen.extend(r.id for r in page)
        if len(page) < 64:
            break
        before = page[-1].id
    assert seen == sorted(mine, reverse=True)
    assert store.runs_page("nobody") == []


def test_last_outcomes_skips_a_run_still_going(store: Store, clock: FakeClock) -> None:
    for task_id in ("a", "b", "c"):
        _task(store, clock, task_id)
    with store.transaction():
        _run(store, "a", 1, 2, "failed")
        _run(store, "a", 3, 4, "succeeded")
        _run(store, "b", 1, 2, "timed_out")
        _run(store, "b", 3, None, None)
    assert store.last_outcomes() == {"a": Outcome.SUCCEEDED, "b": Outcome.TIMED_OUT}


def test_a_database_of_the_previous_schema_gains_the_time_indexes(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite_utils.Database(sqlite3.connect(path, isolation_level=None))
    create_v1(db)
    previous = SCHEMA_VERSION - 1
    for version in range(1, previous):
        MIGRATIONS[version](db)
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    db.execute(f"PRAGMA user_version = {previous}")
    db.execute("INSERT INTO tasks (id, kind, worker, state, created_at, attempts, spec) "
               "VALUES ('a', 'deferred', 'shell', 'enqueued', 1, 0, '{\"worker\":\"shell\"}')")
    db.execute("INSERT INTO runs (task_id, attempt, started_at, ended_at, outcome) VALUES ('a', 1, 10, 20, 'failed')")
    db.conn.close()
    store = Store(path)
    try:
        assert store.schema_version == SCHEMA_VERSION
        indexes = {row[1] for row in store.conn.execute("PRAGMA index_list(runs)")}
        assert {"runs_started", "runs_long"} <= indexes
        assert [r.outcome for r in store.runs_between(0, 100)] == [Outcome.FAILED]
    finally:
        store.close()


def test_finding_the_runs_left_open_does_not_walk_the_history(store: Store, clock: FakeClock) -> None:
    """At every start the engine looks for runs a crash left open: a seek in runs_long,
    not a walk over every run ever recorded (SQLite's own choice, to skip a sort)."""
    _task(store, clock, "a")
    t0 = to_us(clock.now())
    with store.transaction():
        store.conn.executemany(
            "INSERT INTO runs (task_id, attempt, started_at, ended_at, outcome) VALUES ('a', 1, ?, ?, 'succeeded')",
            ((t0 + i, t0 + i + 1) for i in range(100_000)))
        left_open = _run(store, "a", t0 + 200_000, None, None)
    steps = [0]

    def step() -> int:
        steps[0] += 1
        return 0

    store.conn.set_progress_handler(step, 100)
    try:
        assert [r.id for r in store.open_runs()] == [left_open]
    finally:
        store.conn.set_progress_handler(None, 100)
    assert steps[0] < 100, f"{steps[0] * 100} SQLite steps for one open run among 100,000"
