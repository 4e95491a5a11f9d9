"""Run inside a real X display (tests/desktop/test_screenshots.py starts it there): the
window as ``workdeck`` builds it (ui/app.py: the owner of a database, MainWindow, the
desktop shell with its tray) on the xcb platform, put into a few states; each state is
captured from the X server by ImageMagick's ``import`` and described in a JSON file
beside the pictures, in device pixels of the captured window: where the now-line, a
failed and a running bar, the details pane and the form's fields lie, and the colours
they should have there. The test compares the pictures with that description.

    python -m tests.desktop.window_shots DB OUT_DIR PREFIX [--maximized | --size WxH]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, QPoint, QTimer
from PySide6.QtWidgets import (
    QAbstractButton, QApplication, QComboBox, QLabel, QLineEdit, QPlainTextEdit, QWidget,
)

from engine.model import Kind, Schedule, State, TaskSpec


def wait(condition: Callable[[], bool], timeout: float = 20.0, what: str = "") -> None:
    """Run the event loop until ``condition`` holds (looked at every 20 ms): the window
    takes the X server's events as they come, not after a sleep."""
    if condition():
        return
    loop = QEventLoop()
    look = QTimer()
    look.timeout.connect(lambda: condition() and loop.quit())
    look.start(20)
    QTimer.singleShot(round(timeout * 1000), loop.quit)
    loop.exec()
    look.stop()
    if not condition():
        raise SystemExit(f"timed out waiting for {what}")


def settle(seconds: float = 0.6) -> None:
    """Let the window manager place and the X server draw what was just shown (and, for
    longer waits, the real clock move the timeline): the event loop runs meanwhile."""
    loop = QEventLoop()
    QTimer.singleShot(round(seconds * 1000), loop.quit)
    loop.exec()


def rect_in(widget: QWidget, top: QWidget, dpr: float) -> list[int]:
    """``widget``'s rectangle in ``top``'s device pixels: x, y, width, height."""
    origin = widget.mapTo(top, QPoint(0, 0))
    return [round(v * dpr) for v in (origin.x(), origin.y(), widget.width(), widget.height())]


def rgb(color: Any) -> list[int]:
    return [color.red(), color.green(), color.blue()]


class Shooter:
    def __init__(self, out: Path, prefix: str) -> None:
        self.out, self.prefix = out, prefix
        self.facts: dict[str, Any] = {}

    def shoot(self, name: str, top: QWidget, facts: dict[str, Any] | Callable[[], dict[str, Any]]) -> None:
        """Capture ``top`` from the X server; ``facts`` (or what it returns, read right
        before the capture: the now-line moves) describe the picture."""
        settle()
        if callable(facts):
            facts = facts()
        path = self.out / f"{self.prefix}-{name}.png"
        subprocess.run(["import", "-window", hex(int(top.winId())), str(path)], check=True, timeout=60)
        dpr = top.devicePixelRatioF()
        self.facts[name] = {"file": path.name, "size": [round(top.width() * dpr), round(top.height() * dpr)],
                            "dpr": dpr, **facts}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("out")
    parser.add_argument("prefix")
    parser.add_argument("--size", default=None)
    args = parser.parse_args()

    from ui.desktop import DesktopShell
    from ui.i18n import install_translator
    from ui.instance import open_for_window
    from ui.main_window import MainWindow
    from ui.timeline import lane_key, task_key
    from ui.workers import register_gui_workers

    app = QApplication(sys.argv)
    app.setApplicationName("Workdeck")
    install_translator(app)
    register_gui_workers()
    host = open_for_window(args.db)
    assert host is not None
    engine = host.engine
    window = MainWindow(engine)
    shell = DesktopShell(engine, window, db_path=args.db)
    window.attach_desktop(shell)
    host.start()
    out = Path(args.out)
    shots = Shooter(out, args.prefix)
    screen = app.primaryScreen().availableGeometry()
    try:
        if args.size:
            width, height = (int(v) for v in args.size.split("x"))
            window.resize(width, height)
            window.show()
        else:
            window.showMaximized()
        wait(lambda: window.isVisible() and window.windowHandle().isExposed(), what="the window")
        if not args.size:  # the window manager maximizes it after it first shows
            wait(lambda: window.width() >= 0.95 * screen.width(), what="the window maximized")
        dpr = window.devicePixelRatioF()
        common = {"screen": [screen.width(), screen.height()]}

        # 1. Empty: the getting-started page.
        heading = next(label for label in window.empty_state.findChildren(QLabel) if "<h2>" in label.text())
        intro = next(label for label in window.empty_state.findChildren(QLabel) if label.wordWrap())
        # Read right before the capture: under load the window manager's maximize can land
        # while the shooter settles, and the layout moves the heading (seen once at load 66).
        shots.shoot("empty", window, lambda: {
            **common, "empty_state": rect_in(window.empty_state, window, dpr),
            "empty_heading": rect_in(heading, window, dpr),
            # a word-wrapped label given less height than it needs loses lines
            "intro_fits": intro.height() >= intro.heightForWidth(intro.width())})

        # 2. Tasks of each kind, a running one, a failed one.
        now = engine.clock.now()
        failed = engine.enqueue(TaskSpec("shell", ("sh", "-c", "sleep 2; exit 3"), name="sync photos"))
        wait(lambda: engine.task(failed.id, with_runs=False).state is State.FAILED, what="the failing task")
        settle(6.0)  # its bar well left of the now-line
        running = engine.enqueue(TaskSpec("shell", ("sleep", "600"), name="encode video"))
        engine.enqueue(TaskSpec("shell", ("true",), name="clean cache"))
        backup = engine.enqueue(TaskSpec("shell", ("true",), kind=Kind.DEFERRED, name="backup home",
                                         run_at=now + timedelta(minutes=10)))
        engine.enqueue(TaskSpec("shell", ("true",), kind=Kind.DEFERRED, name="upload backup", after=(backup.id,)))
        engine.enqueue(TaskSpec("reminder", ("Stand up and stretch",), kind=Kind.EXACT,
                                run_at=now + timedelta(minutes=3)))
        engine.enqueue(TaskSpec("shell", ("true",), kind=Kind.EXACT, name="fetch mail",
                                schedule=Schedule(every=3600)))
        wait(lambda: engine.task(running.id, with_runs=False).state is State.RUNNING, what="the running task")
        view = window.timeline_view
        view.timeline.expanded.add(Kind.IMMEDIATE)  # its rows first, near the top of a short timeline
        view.timeline.rows_changed.emit()
        settle(2.0)  # the running bar a few seconds long
        # Three minutes in view, as a user zooms in to look at what just ran.
        view.set_range(view.timeline.now_us() - 120_000_000, 180_000_000, follow=False)
        settle(0.3)
        wait(lambda: view.row_rect(task_key(failed.id)) is not None, what="the failed task's row")
        (run,) = engine.task(failed.id).runs
        origin = view.mapTo(window, QPoint(0, 0))

        def at(us: float, key: tuple[str, str]) -> list[int]:
            row = view.row_rect(key)
            return [round((origin.x() + view.x_for(us)) * dpr), round((origin.y() + row.center().y()) * dpr)]

        from engine.clock import to_us

        colors = view.palette()
        from ui import style
        outcome = style.outcome_colors(colors)
        # The lane's own row: every run of its kind, and the top row of a short timeline.
        lane = lane_key(Kind.IMMEDIATE)
        failed_at = at((to_us(run.started_at) + to_us(run.ended_at)) / 2, lane)

        def tasks_facts() -> dict[str, Any]:
            now_us = view.timeline.now_us()
            return {
                **common,
                "timeline": rect_in(view, window, dpr),
                "plot_left": round((origin.x() + view.plot_left) * dpr),
                "rows_top": round((origin.y() + view.AXIS_HEIGHT + view.BAND_HEIGHT + 2) * dpr),
                "rows_bottom": round((origin.y() + view.height() - view.LEGEND_HEIGHT - 2) * dpr),
                "legend_shown": view.legend_shown,
                "now_x": round((origin.x() + view.x_for(now_us)) * dpr),
                "now_color": rgb(view.now_color()),
                "failed_bar": failed_at, "failed_color": rgb(outcome["failed"]),
                "running_bar": at(now_us - 1_500_000, lane), "running_color": rgb(outcome["running"]),
                "table": rect_in(window.table, window, dpr),
            }

        shots.shoot("tasks", window, tasks_facts)

        # 3. The details pane of the failed task.
        window.select_task(failed.id)
        details = window.details
        shots.shoot("details", window, lambda: {  # read once laid out: a narrow window shows the pane only now
            **common, "details": rect_in(details, window, dpr), "details_title": rect_in(details.title, window, dpr),
            "title_text": details.title.text(), "subtitle": details.subtitle.text(),
            "buttons": [rect_in(b, window, dpr) for b in details.buttons.values() if b.isVisible()],
        })

        # 4. The wizard's questions, then the form of deferred work (the fullest).
        dialog = window.new_task()
        wait(lambda: dialog.isVisible() and dialog.windowHandle().isExposed(), what="the wizard")
        ddpr = dialog.devicePixelRatioF()
        frame = dialog.frameGeometry()
        shots.shoot("wizard", dialog, {**common, "dialog_frame": [frame.x(), frame.y(), frame.width(),
                                                                   frame.height()],
                                       "radios": [rect_in(b, dialog, ddpr) for b in dialog.findChildren(
                                           QAbstractButton) if b.isVisible()]})
        dialog.decide.no["exact"].click()
        dialog.decide.no["start_now"].click()
        dialog.next.click()
        form = dialog.form
        wait(lambda: form.isVisible(), what="the form")
        settle()
        scroll = form.parentWidget().parentWidget()  # the scroll area's viewport, then the area
        viewport = form.parentWidget()
        fields = [w for w in form.findChildren(QWidget)
                  if isinstance(w, (QAbstractButton, QLineEdit, QComboBox, QPlainTextEdit)) and w.isVisibleTo(form)]
        frame = dialog.frameGeometry()
        shots.shoot("form", dialog, {
            **common,
            "dialog_frame": [frame.x(), frame.y(), frame.width(), frame.height()],
            "viewport": rect_in(viewport, dialog, ddpr),
            "horizontal_scrollbar": scroll.horizontalScrollBar().isVisible(),
            "fields": {f"{type(w).__name__}:{w.accessibleName()}": rect_in(w, dialog, ddpr) for w in fields},
            "buttons": [rect_in(b, dialog, ddpr) for b in (dialog.back, dialog.create, dialog.cancel)],
        })
        dialog.reject()
    finally:
        (out / f"{args.prefix}.json").write_text(json.dumps(shots.facts, indent=1))
        window.close()
        host.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
