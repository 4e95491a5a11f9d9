from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt

from engine.model import Kind, Outcome, State, TaskSpec
from ui.task_table import (
    FLUSH_INTERVAL_MS,
    KIND,
    LAST_OUTCOME,
    NAME,
    NEXT_RUN,
    PROGRESS,
    PROGRESS_ROLE,
    RUNS,
    STATE,
    TASK_ID_ROLE,
    TaskFilterProxy,
    TaskTableModel,
    next_alarm,
)
from ui import text
from tests.ui.helpers import run_task, start_task


def test_qtmodeltester_on_a_live_model(qapp, qtmodeltester, engine, runner, clock) -> None:
    run_task(engine, runner, clock, 5, name="first")
    model = TaskTableModel(engine)
    qtmodeltester.check(model)
    # Rows arriving and changing while the tester watches.
    start_task(engine, runner, name="second", tags=("x",))
    engine.enqueue(TaskSpec("shell", ("later",), kind=Kind.DEFERRED, run_at=clock.now() + timedelta(hours=1)))
    model.flush()
    qtmodeltester.check(model)
    assert model.rowCount() == 3


def test_columns_follow_the_engine(qtbot, engine, runner, clock) -> None:
    model = TaskTableModel(engine)
    task = start_task(engine, runner, name="copy")
    model.flush()
    row = model.row_of(task.id)
    assert model.index(row, NAME).data() == "copy"
    assert model.index(row, KIND).data() == "Now"  # plain words; the machine word stays in --json
    assert model.index(row, STATE).data() == "running"
    engine.run_progress.emit(task.id, 0.25, "copying")
    assert model.index(row, PROGRESS).data() == "25% copying"
    assert model.index(row, PROGRESS).data(PROGRESS_ROLE) == 0.25
    clock.advance(3)
    with qtbot.waitSignal(model.dataChanged):
        runner.finish(task.id, Outcome.FAILED, exit_code=1)
    assert model.index(row, STATE).data() == "failed"
    assert model.index(row, LAST_OUTCOME).data() == "failed"
    assert model.index(row, PROGRESS).data() == ""
    assert model.index(row, 0).data(TASK_ID_ROLE) == task.id


def test_last_outcome_is_loaded_from_history(engine, runner, clock) -> None:
    done = run_task(engine, runner, clock, 2, Outcome.SUCCEEDED, name="done")
    model = TaskTableModel(engine)
    assert model.index(model.row_of(done.id), LAST_OUTCOME).data() == "succeeded"


def test_sorting_and_filters(engine, runner, clock) -> None:
    model = TaskTableModel(engine)
    proxy = TaskFilterProxy()
    proxy.setSourceModel(model)
    late = engine.enqueue(TaskSpec("shell", ("b",), kind=Kind.DEFERRED, run_at=clock.now() + timedelta(hours=2),
                                   name="late", tags=("backup",)))
    soon = engine.enqueue(TaskSpec("shell", ("a",), kind=Kind.DEFERRED, run_at=clock.now() + timedelta(hours=1),
                                   name="soon"))
    alarm = engine.enqueue(TaskSpec("reminder", ("tea",), kind=Kind.EXACT, run_at=clock.now() + timedelta(minutes=5)))
    now_task = run_task(engine, runner, clock, 1, name="ran")
    model.flush()

    def ids() -> list[str]:
        return [proxy.index(r, 0).data(TASK_ID_ROLE) for r in range(proxy.rowCount())]

    proxy.sort(NEXT_RUN, Qt.SortOrder.AscendingOrder)
    assert ids() == [alarm.id, soon.id, late.id, now_task.id]  # undated last
    proxy.set_filters(kind=Kind.DEFERRED)
    assert set(ids()) == {soon.id, late.id}
    proxy.set_filters(state=State.SUCCEEDED)
    assert ids() == [now_task.id]
    proxy.set_filters(tag="backup")
    assert ids() == [late.id]
    proxy.set_filters(search="TEA")
    assert ids() == [alarm.id]
    proxy.set_filters()
    assert len(ids()) == 4
    assert next_alarm(model.tasks()) == alarm.next_run_at


def test_a_manifest_task_says_where_it_comes_from(engine) -> None:
    mine = engine.enqueue(TaskSpec("shell", ("backup",), kind=Kind.DEFERRED, name="nightly"))
    theirs = engine.enqueue(TaskSpec("shell", ("rsync",), kind=Kind.DEFERRED, name="manifest:backup",
                                     origin="manifest"))
    model = TaskTableModel(engine)
    rows = {model.index(r, NAME).data(TASK_ID_ROLE): model.index(r, NAME) for r in range(model.rowCount())}
    assert rows[mine.id].data() == "nightly"
    assert rows[theirs.id].data() == "backup (manifest)"
    assert "defined by the manifest" in rows[theirs.id].data(Qt.ItemDataRole.ToolTipRole)
    assert "manifest" not in rows[mine.id].data(Qt.ItemDataRole.ToolTipRole)


def test_changes_reach_the_views_in_batches(qtbot, engine, runner, clock) -> None:
    """Many signals, few notifications: the new rows in one insertion, the changed rows
    in one dataChanged per run of adjacent rows, all within FLUSH_INTERVAL_MS."""
    model = TaskTableModel(engine)
    old = [run_task(engine, runner, clock, 1, name=f"old{i}") for i in range(4)]
    model.flush()
    inserted: list[tuple[int, int]] = []
    changed: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda parent, first, last: inserted.append((first, last)))
    model.dataChanged.connect(lambda top, bottom, roles: changed.append((top.row(), bottom.row())))
    new = [start_task(engine, runner, name=f"new{i}") for i in range(3)]  # added, then running
    for task in (old[0], old[1], old[3]):
        engine.task_changed.emit(engine.task(task.id))
    engine.run_progress.emit(new[0].id, 0.5, "half")
    assert inserted == [] and changed == []
    assert model.task(new[2].id) is not None and model.row_of(new[2].id) == -1  # known, not yet a row
    with qtbot.waitSignal(model.rowsInserted, timeout=FLUSH_INTERVAL_MS * 10):
        pass
    assert inserted == [(4, 6)]
    assert changed == [(0, 1), (3, 3)]  # the new rows came in with their latest data
    assert [model.index(r, NAME).data() for r in range(4, 7)] == ["new0", "new1", "new2"]
    assert model.index(4, PROGRESS).data() == "50% half"


def test_a_deleted_task_leaves_its_row_and_pending_changes_land_on_the_right_rows(
        qtbot, qtmodeltester, engine, runner, clock) -> None:
    model = TaskTableModel(engine)
    first, second, third = (run_task(engine, runner, clock, 1, name=n) for n in ("first", "second", "third"))
    model.flush()
    qtmodeltester.check(model)
    waiting = start_task(engine, runner, name="fourth")  # pending: not a row yet
    engine.task_changed.emit(engine.task(third.id))  # pending: a change to row 2
    engine.delete(first.id)  # a row above the pending change goes
    assert [model.index(r, NAME).data() for r in range(model.rowCount())] == ["second", "third", "fourth"]
    assert model.row_of(third.id) == 1 and model.row_of(waiting.id) == 2
    engine.delete(second.id)
    runner.finish(waiting.id)
    engine.delete(waiting.id)
    model.flush()
    assert [model.index(r, NAME).data() for r in range(model.rowCount())] == ["third"]
    assert model.task(first.id) is None and model.last_outcome(first.id) is None
    qtmodeltester.check(model)


def test_the_runs_column_counts_every_run_and_stays_true_after_pruning(qtbot, engine, runner, clock) -> None:
    """The Runs column reads the task's counters: "2,000 (20 failed)", one more after a
    run ends, and the same words after pruning dropped most of the history."""
    from engine.history import prune
    from engine.history.policy import RetentionPolicy
    from tests.history_data import BUSY_ID, FAIL_EVERY, add_busy_task

    add_busy_task(engine.store, clock.now(), 2_000)
    quiet = run_task(engine, runner, clock, 1, name="quiet")
    fresh = engine.enqueue(TaskSpec("shell", ("true",), kind=Kind.DEFERRED, run_at=clock.now() + timedelta(hours=1)))
    model = TaskTableModel(engine)
    busy_row = model.row_of(BUSY_ID)
    failed = 2_000 // FAIL_EVERY
    assert model.index(busy_row, RUNS).data() == f"2,000 ({failed} failed)"
    assert model.index(model.row_of(quiet.id), RUNS).data() == "1"
    assert model.index(model.row_of(fresh.id), RUNS).data() == ""  # no run yet: nothing to count
    tip = model.index(busy_row, RUNS).data(Qt.ItemDataRole.ToolTipRole)
    assert f"{2_000 - failed:,} succeeded" in tip and f"{failed} failed" in tip
    assert engine.start_run(engine.task(BUSY_ID, with_runs=False))
    clock.advance(1)
    with qtbot.waitSignal(model.dataChanged, timeout=2_000):
        runner.finish(BUSY_ID, Outcome.TIMED_OUT)
    assert model.index(busy_row, RUNS).data() == f"2,001 ({failed + 1} failed)"
    clock.advance(60 * 86400)  # every run is past the default 30 days
    removed = prune.prune_all(engine.store.conn, RetentionPolicy(), clock.now_us())
    assert removed.runs > 1_800
    again = TaskTableModel(engine)
    assert again.index(again.row_of(BUSY_ID), RUNS).data() == f"2,001 ({failed + 1} failed)"


def test_sorting_by_runs_calls_no_python_key_per_row(engine, clock, monkeypatch) -> None:
    """The Runs column sorts on the task's counter, read by operator.attrgetter inside
    list.sort: no key function of ours runs, however many rows; ties keep arrival order."""
    from tests.history_data import add_busy_task

    for task_id, runs in (("a", 5), ("b", 50), ("c", 0), ("d", 50), ("e", 20)):
        add_busy_task(engine.store, clock.now(), runs, task_id=task_id)
    model = TaskTableModel(engine)
    calls: list[int] = []
    compute = TaskTableModel._compute_sort_key
    monkeypatch.setattr(TaskTableModel, "_compute_sort_key", lambda self, t, c: calls.append(c) or compute(self, t, c))
    model.sort_rows(RUNS, Qt.SortOrder.DescendingOrder)
    assert [model.index(r, 0).data(TASK_ID_ROLE) for r in range(model.rowCount())] == ["b", "d", "e", "a", "c"]
    model.sort_rows(RUNS, Qt.SortOrder.AscendingOrder)
    assert [model.index(r, 0).data(TASK_ID_ROLE) for r in range(model.rowCount())] == ["c", "a", "e", "b", "d"]
    assert calls == []


def test_the_runs_column_counts_a_run_that_ends_while_the_table_shows_it(qtbot, engine, runner, clock) -> None:
    """The table built before the run: the task the engine reports at the run's end
    carries the counters with that run in them (it carried those from the run's start,
    and the column stayed blank in the screenshots)."""
    model = TaskTableModel(engine)
    reported = []
    engine.task_changed.connect(reported.append)
    task = run_task(engine, runner, clock, 1, Outcome.FAILED, name="counted")
    assert reported[-1].id == task.id and reported[-1].totals == engine.store.task(task.id, with_runs=False).totals
    assert reported[-1].totals.total == 1 and reported[-1].totals.failed == 1
    qtbot.waitUntil(lambda: model.row_of(task.id) >= 0 and model.index(model.row_of(task.id), RUNS).data()
                    == "1 (1 failed)", timeout=2_000)


def test_the_window_shows_kind_next_run_and_runs_whole_on_one_line(qtbot, engine, clock) -> None:
    # Seen under Xvfb: "At a set time", "2026-12-10 09:00" and "10,004 (103 failed)"
    # wrapped in Qt's 100 px columns, and the one-line rows cut the second line in half.
    from ui.main_window import MainWindow

    task = engine.enqueue(TaskSpec("reminder", ("far",), kind=Kind.EXACT, run_at=clock.now() + timedelta(days=10)))
    engine.store.conn.execute("UPDATE tasks SET runs_total = 10004, runs_failed = 103 WHERE id = ?", (task.id,))
    engine.store.conn.commit()
    window = MainWindow(engine)
    window.resize(1280, 860)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    table, fm = window.table, window.table.fontMetrics()
    assert not table.wordWrap()
    row = window.proxy.mapFromSource(window.model.index(window.model.row_of(task.id), 0)).row()
    far = text.when(task.next_run_at, clock.now())
    for column, icon, words in ((KIND, 16, "At a set time"), (NEXT_RUN, 0, far), (RUNS, 0, "10,004 (103 failed)")):
        index = window.proxy.index(row, column)
        assert index.data() == words and len(far) == len("2026-12-10 09:00")
        assert table.visualRect(index).width() >= icon + fm.horizontalAdvance(words) + 6, (column, words)
