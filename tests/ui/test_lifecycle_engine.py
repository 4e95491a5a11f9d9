"""The lifecycle, the window's behaviour and scoped work against the real engine: real
keep-running runs on the JobRunner, a dialog's scope on the qasync loop."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QDialog, QMainWindow, QMessageBox, QPushButton, QSystemTrayIcon

from engine.clock import FakeClock
from engine.engine import Engine
from engine.lifecycle import AppState, Lifecycle
from engine.model import Constraint, Kind, Outcome, State, StopReason, TaskSpec
from engine.workers.base import WorkContext
from tests.engine.conftest import qloop, run  # noqa: F401  (the qasync loop fixtures)
from tests.ui import ui_targets
from ui.scoped import binding_of, scope_for
from ui.settings import Settings
from ui.window_behaviour import QuitChoice, WindowBehaviour

KEEP_RUNNING = TaskSpec(worker="python", args=("tests.ui.ui_targets:until_released",), kind=Kind.IMMEDIATE)


@pytest.fixture
def engine(real_engine: Engine) -> Engine:
    return real_engine


class Desk:
    def __init__(self, engine: Engine, clock: FakeClock, tmp_path: Path, qtbot: Any) -> None:
        self.engine = engine
        self.lifecycle = Lifecycle(clock)
        self.lifecycle.attach(engine)
        self.window = QMainWindow()
        qtbot.addWidget(self.window)
        self.quits: list[bool] = []
        self.behaviour = WindowBehaviour(
            self.window, engine=engine, lifecycle=self.lifecycle, settings=Settings.at(tmp_path / "s.ini"),
            tray=QSystemTrayIcon(), tray_available=True, quit_app=lambda: self.quits.append(True),
        )
        self.window.show()
        qtbot.waitUntil(lambda: self.lifecycle.visible)

    def start_keep_running(self, qtbot: Any) -> str:
        task = self.engine.enqueue(KEEP_RUNNING)
        qtbot.waitUntil(lambda: self.engine.is_running(task.id))
        return task.id

    def answer(self, qtbot: Any, choice: QuitChoice) -> None:
        with qtbot.waitSignal(self.behaviour.quit_prompted) as prompted:
            self.behaviour.quit_action.trigger()
        box: QMessageBox = prompted.args[0]
        box.findChild(QPushButton, f"quit_{choice.value}").click()


@pytest.fixture
def desk(engine: Engine, clock: FakeClock, tmp_path: Path, qtbot: Any) -> Desk:
    return Desk(engine, clock, tmp_path, qtbot)


def test_dialog_scoped_work_is_cancelled_when_it_closes_while_keep_running_goes_on(
    desk: Desk, qtbot: Any, run: Any
) -> None:
    task_id = desk.start_keep_running(qtbot)
    dialog = QDialog(desk.window)
    scope = scope_for(dialog, "preview")
    in_pool = threading.Event()
    seen: dict[str, Any] = {}

    def blocking_preview(ctx: WorkContext) -> str:
        in_pool.set()
        seen["cancelled"] = ctx.wait_cancelled(20)
        return "done"

    async def preview() -> None:
        try:
            await scope.run_blocking(blocking_preview, cancellable=True)
        except asyncio.CancelledError:
            seen["coroutine"] = "cancelled"
            raise

    async def main() -> None:
        scope.launch(preview())
        dialog.open()
        while not in_pool.is_set():
            await asyncio.sleep(0)
        dialog.reject()  # the user closes the dialog
        binding = binding_of(dialog)
        assert binding is not None and binding.closing is not None
        await binding.closing

    run(main())
    assert scope.closed and scope.active == 0
    assert seen == {"cancelled": True, "coroutine": "cancelled"}
    # The keep-running task never noticed.
    assert desk.engine.is_running(task_id) and desk.lifecycle.visible


def test_closing_the_main_window_to_the_tray_ends_its_scope(desk: Desk, run: Any) -> None:
    """The wizard says scoped work stops when you close the window: closing to the tray
    is closing as the user sees it (the window used to keep its scope when hidden)."""
    scope = scope_for(desk.window)
    seen: dict[str, Any] = {}

    async def work() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            seen["cancelled"] = True
            raise

    async def main() -> None:
        scope.launch(work())
        await asyncio.sleep(0)
        desk.window.close()  # hidden to the tray
        assert not desk.window.isVisible()
        await asyncio.sleep(0.05)

    run(main())
    assert scope.closed and seen == {"cancelled": True}


def test_keep_running_task_makes_foreground_until_it_ends(desk: Desk, qtbot: Any) -> None:
    task_id = desk.start_keep_running(qtbot)
    desk.window.close()
    assert desk.lifecycle.state is AppState.FOREGROUND
    # No window is visible, so `--requires background` work may start now, while the
    # keep-running task still runs (it used to wait until that task ended).
    assert desk.engine.conditions.met([Constraint.BACKGROUND])
    ui_targets.release.set()
    qtbot.waitUntil(lambda: desk.lifecycle.state is AppState.BACKGROUND)
    assert desk.engine.task(task_id).state is State.SUCCEEDED


def test_quit_stop_records_interrupted_and_resumes_at_next_start(desk: Desk, qtbot: Any, tmp_path: Path,
                                                                  clock: FakeClock) -> None:
    task_id = desk.start_keep_running(qtbot)
    desk.answer(qtbot, QuitChoice.STOP)
    assert desk.quits == [True]
    task = desk.engine.task(task_id)
    assert task.state is State.ENQUEUED
    assert task.runs[-1].outcome is Outcome.INTERRUPTED and task.runs[-1].stop_reason is StopReason.SHUTDOWN
    # The next start runs it again (the release lets this run end by itself).
    ui_targets.release.set()
    again = Engine(desk.engine.store, clock)
    again.start()
    try:
        qtbot.waitUntil(lambda: again.task(task_id).state is State.SUCCEEDED, timeout=10_000)
        assert again.task(task_id).attempts == 2
    finally:
        again.stop()
        again.runner.shutdown(msecs=10_000)


def test_quit_cancel_records_cancelled(desk: Desk, qtbot: Any) -> None:
    task_id = desk.start_keep_running(qtbot)
    desk.answer(qtbot, QuitChoice.CANCEL)
    assert desk.quits == [True]
    task = desk.engine.task(task_id)
    assert task.state is State.CANCELLED
    assert task.runs[-1].outcome is Outcome.CANCELLED
    assert task.runs[-1].stop_reason is StopReason.CANCELLED_BY_USER


def test_quit_finish_waits_for_the_task_then_quits(desk: Desk, qtbot: Any) -> None:
    task_id = desk.start_keep_running(qtbot)
    desk.answer(qtbot, QuitChoice.FINISH)
    assert desk.quits == [] and desk.engine.is_running(task_id)
    ui_targets.release.set()
    qtbot.waitUntil(lambda: desk.quits == [True])
    assert desk.engine.task(task_id).state is State.SUCCEEDED


def test_a_plain_window_whose_close_is_accepted_ends_its_scope(qtbot: Any, run: Any) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QWidget

    tool = QWidget()
    tool.setAttribute(Qt.WidgetAttribute.WA_QuitOnClose, False)  # the only window: closing must not quit
    qtbot.addWidget(tool)
    scope = scope_for(tool, "tool")

    async def main() -> None:
        task = scope.launch(asyncio.Event().wait())
        tool.show()
        tool.close()
        binding = binding_of(tool)
        assert binding is not None and binding.closing is not None
        await binding.closing
        assert task.cancelled()

    run(main())
    assert scope.closed
