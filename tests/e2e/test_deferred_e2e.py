"""200 deferred tasks in chains with retries and failures, run by real ``workdeck
serve`` processes: once without interruption, and once with ``serve`` SIGKILLed twice
mid-run and restarted. The final states must be equal (no task lost), no task may
succeed twice, and every chain must hold (a child succeeded only after its parents).

The tasks are written to the database before ``serve`` starts, as the command line
does when no owner runs. Each run is a short ``sh -c`` so the kills land mid-run.
"""

from __future__ import annotations

import signal
import sqlite3
from pathlib import Path

import pytest

from engine.engine import Engine
from engine.immediate import JobRunner
from engine.model import Kind, Outcome, RetryPolicy, StopReason, TaskSpec
from engine.store import Store

# The real-process helpers (and `workdeck serve`) come from the cli branch; until the
# lead merges it, this module has nothing to drive.
e2e = pytest.importorskip("tests.e2e.conftest", reason="needs `workdeck serve` and tests/e2e/conftest.py (cli branch)")
Workdeck, wait_until = e2e.Workdeck, e2e.wait_until

pytestmark = pytest.mark.e2e

CHAINS = 40
LENGTH = 5  # 40 chains x 5 = 200 tasks


def _command(label: str, kind: str, scratch: Path) -> tuple[str, ...]:
    pause = f"sleep 0.{sum(map(ord, label)) % 3 + 1}"  # 0.1-0.3 s, the same in both runs
    if kind == "fail":
        return ("sh", "-c", f"{pause}; exit 3")
    if kind == "flaky":  # fails its first attempt (a counter file remembers attempts)
        counter = scratch / f"{label}.count"
        return ("sh", "-c", f'{pause}; n=$(cat {counter} 2>/dev/null || echo 0); echo $((n+1)) > {counter}; '
                            f'[ "$n" -ge 1 ]')
    return ("sh", "-c", pause)


def _enqueue_all(db: Path, scratch: Path) -> dict[str, str]:
    """The same 200 tasks into ``db``; returns label -> task id."""
    scratch.mkdir()
    store = Store(db)
    engine = Engine(store, runner=JobRunner(max_threads=1))  # never started: it only writes
    ids: dict[str, str] = {}
    for c in range(CHAINS):
        for k in range(LENGTH):
            label = f"c{c:02d}k{k}"
            kind = "fail" if (k == 2 and c % 7 == 3) else "flaky" if (c + k) % 3 == 0 else "ok"
            after = [ids[f"c{c:02d}k{k - 1}"]] if k else []
            if k == 3 and c > 0:
                after.append(ids[f"c{c - 1:02d}k1"])  # fan-in across chains
            spec = TaskSpec(
                "shell", _command(label, kind, scratch), kind=Kind.DEFERRED, tags=(label,), after=tuple(after),
                retry=RetryPolicy(max_retries=2 if kind != "fail" else 1, delay=0.2),
            )
            ids[label] = engine.enqueue(spec).id
    engine.runner.shutdown()
    store.close()
    return ids


def _finished(db: Path) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return int(conn.execute(
            "SELECT COUNT(*) FROM tasks WHERE state IN ('succeeded','failed','cancelled')"
        ).fetchone()[0])
    finally:
        conn.close()


def _final(db: Path, ids: dict[str, str]) -> dict[str, tuple[str, list[tuple[Outcome | None, StopReason | None]]]]:
    store = Store(db)
    try:
        tasks = {t.id: t for t in store.tasks(with_runs=True)}
        parents = {tid: store.parents(tid) for tid in tasks}
    finally:
        store.close()
    assert len(tasks) == CHAINS * LENGTH
    by_label = {label: tasks[tid] for label, tid in ids.items()}
    for task in tasks.values():  # no task succeeds twice; chains hold
        wins = [r for r in task.runs if r.outcome is Outcome.SUCCEEDED]
        assert len(wins) <= 1, f"task {task.id} succeeded {len(wins)} times"
        if wins:
            for parent_id in parents[task.id]:
                parent = tasks[parent_id]
                parent_win = [r for r in parent.runs if r.outcome is Outcome.SUCCEEDED]
                assert parent_win and parent_win[0].ended_at <= task.runs[0].started_at, (task.id, parent_id)
    return {label: (str(t.state), [(r.outcome, r.stop_reason) for r in t.runs]) for label, t in by_label.items()}


@pytest.mark.posix
def test_two_sigkills_mid_run_change_no_final_state(wd: Workdeck, tmp_path: Path) -> None:  # type: ignore[valid-type]
    total = CHAINS * LENGTH

    # The reference: an uninterrupted run.
    calm_db = tmp_path / "calm.db"
    calm_ids = _enqueue_all(calm_db, tmp_path / "calm")
    calm = wd.popen("serve", db=calm_db)
    wait_until(lambda: _finished(calm_db) == total, timeout=240, what="the uninterrupted run to finish")
    assert wd.stop(calm, signal.SIGTERM) == 0
    reference = _final(calm_db, calm_ids)

    # The same tasks, with serve killed twice while tasks run.
    ids = _enqueue_all(wd.db, tmp_path / "killed")
    for fraction in (0.3, 0.65):
        server = wd.serve()
        wait_until(lambda: _finished(wd.db) >= total * fraction, timeout=240, what=f"{fraction:.0%} finished")
        wd.remember_children(server)  # the shell runs it leaves behind are killed at teardown
        assert wd.stop(server, signal.SIGKILL) == -signal.SIGKILL
    server = wd.serve()
    wait_until(lambda: _finished(wd.db) == total, timeout=240, what="the interrupted run to finish")
    assert wd.stop(server, signal.SIGTERM) == 0
    killed = _final(wd.db, ids)

    assert {label: state for label, (state, _) in killed.items()} == {
        label: state for label, (state, _) in reference.items()
    }
    died = [label for label, (_, runs) in killed.items() if (Outcome.INTERRUPTED, StopReason.PROCESS_DIED) in runs]
    assert died, "no kill landed while a task ran"
    states = [state for state, _ in reference.values()]
    assert states.count("failed") == len([c for c in range(CHAINS) if c % 7 == 3])
    assert states.count("cancelled") > 0 and states.count("succeeded") > 150
