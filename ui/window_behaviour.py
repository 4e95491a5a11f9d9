"""How Workdeck's window behaves as a tray app, installed on the main window with one call.

- Showing, hiding and minimizing the window feed :class:`engine.lifecycle.Lifecycle`.
- Closing hides the window to the tray (when there is a tray and the setting is on);
  the first time, a message says so and how to quit, and that it was said is
  remembered in the settings. Without a tray, closing is quitting: a window hidden
  with no tray icon to bring it back would strand the user.
- Quit (the tray's Quit, Ctrl+Q) with tasks running asks what to do with them:
  let them finish (quit when the last one ends; no new deferred work starts meanwhile),
  stop them and resume them at the next start (``engine.stop()``: they are recorded as
  interrupted and run again), or cancel them. Quitting never loses a task: each choice
  leaves every task recorded in the database, finished, resumable or cancelled.

::

    behaviour = WindowBehaviour(window, engine=engine, lifecycle=lifecycle, settings=settings, tray=tray)
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton, QSystemTrayIcon, QWidget

from engine.model import State
from ui.on_screen import StayOnScreen
from ui.scoped import end_scoped_work

log = logging.getLogger(__name__)

HIDDEN_TITLE = QT_TRANSLATE_NOOP("WindowBehaviour", "Workdeck is still running")
#: The tray balloon closes itself: left up, it sits over the tray icon and takes its clicks.
HIDDEN_MESSAGE_MS = 8000
HIDDEN_TEXT = QT_TRANSLATE_NOOP(
    "WindowBehaviour",
    "Closing the window keeps Workdeck running in the tray, so your tasks and reminders go on "
    "(work scoped to the window has stopped). "
    "To quit, choose Quit in the tray icon's menu or press Ctrl+Q in the window.")


class QuitChoice(enum.StrEnum):
    FINISH = "finish"  # let running tasks finish, then quit
    STOP = "stop"  # stop them now; they resume at the next start
    CANCEL = "cancel"  # cancel them; they are recorded as cancelled
    ABORT = "abort"  # do not quit


class WindowBehaviour(QObject):
    hidden_to_tray = Signal(bool)  # True the first time (when the explaining message is shown)
    quit_prompted = Signal(object)  # the QMessageBox, for tests and tools
    quitting = Signal(str)  # the QuitChoice taken ("" with nothing running)
    waiting_to_quit = Signal(int)  # "let them finish": how many still run (0: the wait was called off)

    def __init__(
        self,
        window: QWidget,
        *,
        engine: Any,
        lifecycle: Any,
        settings: Any,
        tray: Any = None,
        tray_available: bool | None = None,
        quit_app: Callable[[], None] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent or window)
        self.window = window
        self._engine = engine
        self._lifecycle = lifecycle
        self._settings = settings
        self._tray = tray
        self._tray_available = tray_available
        self._quit_app = quit_app or QApplication.quit
        self._quitting = False
        self._waiting = False
        self._paused_before_wait: bool | None = None
        self.prompt: QMessageBox | None = None
        self._choice_buttons: dict[QPushButton, QuitChoice] = {}

        self.quit_action = QAction(self.tr("Quit"), window)
        self.quit_action.setObjectName("quitWorkdeck")
        self.quit_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Quit))
        if self.quit_action.shortcut().isEmpty():  # some platforms map Quit to nothing
            self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.quit_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.quit_action.triggered.connect(self.request_quit)
        window.addAction(self.quit_action)
        window.installEventFilter(self)
        # A geometry restored from the settings may be from another monitor or scale.
        self.stay_on_screen = StayOnScreen(window)
        if window.isVisible():
            self._on_state(window)

    # -- the window's events ----------------------------------------------------------

    @property
    def tray_available(self) -> bool:
        if self._tray_available is not None:
            return self._tray_available
        return self._tray is not None and QSystemTrayIcon.isSystemTrayAvailable()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # A window deleted later (deleteLater) than its Python side was collected still
        # sends its last events here, through a bare wrapper with no attributes.
        if watched is not getattr(self, "window", None):
            return False
        kind = event.type()
        if kind in (QEvent.Type.Show, QEvent.Type.Hide, QEvent.Type.WindowStateChange):
            self._on_state(self.window)
        elif kind == QEvent.Type.Close and not self._quitting:
            event.ignore()
            if self._settings.close_to_tray and self.tray_available:
                self._hide_to_tray()
            else:
                self.request_quit()
            return True
        return False

    def _on_state(self, window: QWidget) -> None:
        key = id(window)
        if not window.isVisible():
            self._lifecycle.window_hidden(key)
        elif window.isMinimized():
            self._lifecycle.window_minimized(key)
        else:
            self._lifecycle.window_shown(key)

    def _hide_to_tray(self) -> None:
        # Closing to the tray is closing as the user sees it: the window's scoped work
        # (its Scope bindings, and its scoped tasks) ends, as the wizard says; keep-running,
        # deferred and exact work goes on. The seed: scoped work "should end when the user
        # leaves a certain scope", and the user has left the window.
        end_scoped_work(self.window)
        self.window.hide()
        first = not self._settings.close_message_shown
        if first:
            self._settings.close_message_shown = True
            icon = getattr(self._tray, "icon", self._tray)
            if isinstance(icon, QSystemTrayIcon) and QSystemTrayIcon.supportsMessages():
                icon.showMessage(self.tr(HIDDEN_TITLE), self.tr(HIDDEN_TEXT), QSystemTrayIcon.MessageIcon.Information, HIDDEN_MESSAGE_MS)
                close_balloons_after(HIDDEN_MESSAGE_MS, self)
            else:
                box = QMessageBox(QMessageBox.Icon.Information, self.tr(HIDDEN_TITLE), self.tr(HIDDEN_TEXT),
                                  QMessageBox.StandardButton.Ok)
                box.setObjectName("hiddenToTrayMessage")
                box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
                box.open()
        self.hidden_to_tray.emit(first)

    def show_window(self) -> None:
        """Bring the window forward: the tray's Show, a second start's "activate".

        While "Let them finish" waits, this is the user coming back: the wait ends. Under
        Xvfb the window came back as if nothing were pending, deferred work stayed paused
        with Pause unchecked, Quit did nothing, and the window vanished when the last run
        ended."""
        if self._waiting:
            self._stop_waiting()
        if self.window.isMinimized():
            self.window.showNormal()
        else:
            self.window.show()
        self.window.raise_()
        self.window.activateWindow()

    # -- quitting ---------------------------------------------------------------------

    def running_tasks(self) -> list[Any]:
        return [t for t in self._engine.tasks(state=State.RUNNING) if self._engine.is_running(t.id)]

    def request_quit(self) -> None:
        """Quit, asking first if tasks are running. Never blocks: the prompt is window-modal."""
        if self._waiting or self._quitting:
            return
        running = self.running_tasks()
        if not running:
            self._quit("")
            return
        if self.prompt is not None:
            self.prompt.raise_()
            return
        self.show_window()
        self.prompt = self._make_prompt(len(running))
        StayOnScreen(self.prompt)
        self.prompt.open()
        self.quit_prompted.emit(self.prompt)

    def _make_prompt(self, count: int) -> QMessageBox:
        many = count != 1
        box = QMessageBox(self.window)
        box.setObjectName("quitPrompt")
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(self.tr("Quit Workdeck"))
        box.setText(self.tr("{n} tasks are still running.").format(n=count) if many else self.tr("1 task is still running."))
        box.setInformativeText(self.tr(
            "Let them finish and quit afterwards, stop them now and resume them when Workdeck starts "
            "again, or cancel them. Scheduled and deferred work stays scheduled either way."
        ))
        choices = [
            (self.tr("Let them finish") if many else self.tr("Let it finish"), QuitChoice.FINISH,
             QMessageBox.ButtonRole.AcceptRole),
            (self.tr("Stop, resume at next start"), QuitChoice.STOP, QMessageBox.ButtonRole.AcceptRole),
            (self.tr("Cancel them") if many else self.tr("Cancel it"), QuitChoice.CANCEL,
             QMessageBox.ButtonRole.DestructiveRole),
            (self.tr("Don't quit"), QuitChoice.ABORT, QMessageBox.ButtonRole.RejectRole),
        ]
        self._choice_buttons = {}
        for text, choice, role in choices:
            button = box.addButton(text, role)
            button.setObjectName(f"quit_{choice.value}")
            self._choice_buttons[button] = choice
        by_choice = {c: b for b, c in self._choice_buttons.items()}
        box.setDefaultButton(by_choice[QuitChoice.FINISH])
        box.setEscapeButton(by_choice[QuitChoice.ABORT])
        box.buttonClicked.connect(self._on_prompt_answer)
        box.finished.connect(self._on_prompt_closed)
        return box

    def _on_prompt_answer(self, button: Any) -> None:
        self.choose(self._choice_buttons.get(button, QuitChoice.ABORT))

    def _on_prompt_closed(self) -> None:
        if self.prompt is not None:
            self.prompt.deleteLater()
            self.prompt = None

    def choose(self, choice: QuitChoice) -> None:
        """Carry out an answer to the quit prompt."""
        if choice is QuitChoice.ABORT:
            return
        if choice is QuitChoice.STOP:
            self._quit(choice)
        elif choice is QuitChoice.CANCEL:
            for task in self.running_tasks():
                self._engine.cancel(task.id)
            # engine.stop() below waits for the cancelled runs and records them as
            # cancelled: a cancel's reason wins over the shutdown's.
            self._quit(choice)
        elif choice is QuitChoice.FINISH:
            self._wait_then_quit()

    def _wait_then_quit(self) -> None:
        self._waiting = True
        dispatcher = getattr(self._engine, "dispatcher", None)
        self._paused_before_wait = None
        if dispatcher is not None:
            self._paused_before_wait = dispatcher.paused
            dispatcher.paused = True  # nothing new from the deferred queue while we wait
        self.window.hide()
        self._engine.run_finished.connect(self._on_run_finished_while_waiting)
        self._on_run_finished_while_waiting(None)

    def _stop_waiting(self) -> None:
        """No quit after all: deferred work as it was before the wait, and Quit asks again."""
        self._waiting = False
        self._engine.run_finished.disconnect(self._on_run_finished_while_waiting)
        dispatcher = getattr(self._engine, "dispatcher", None)
        if dispatcher is not None and self._paused_before_wait is False:
            resume = getattr(dispatcher, "resume", None)  # starts what fell due meanwhile
            if callable(resume):
                resume()
            else:
                dispatcher.paused = False
        log.info("quitting called off: the window was shown again")
        self.waiting_to_quit.emit(0)

    def _on_run_finished_while_waiting(self, _run: Any) -> None:
        left = len(self.running_tasks())
        if left:
            self.waiting_to_quit.emit(left)
            return
        self._engine.run_finished.disconnect(self._on_run_finished_while_waiting)
        self._quit(QuitChoice.FINISH)

    def _quit(self, choice: str) -> None:
        self._quitting = True
        log.info("quitting (%s)", choice or "nothing running")
        self.quitting.emit(str(choice))
        try:
            # Graceful: whatever still runs is recorded as interrupted and resumed at
            # the next start. Before the window closes, so nothing is left unrecorded.
            self._engine.stop()
        finally:
            self.window.close()
            self._quit_app()


def close_balloons_after(ms: int, parent: QObject) -> QTimer:
    """Close Qt's own tray balloon (XEmbed trays) once ``ms`` have passed and the pointer
    is off it. Qt checks the pointer once, at the timeout, and never again: a balloon
    that had the pointer on it then stayed up until clicked, over the tray icon (under
    Xvfb, 16 s after closing a window whose close button lies under it)."""
    timer = QTimer(parent)
    timer.setInterval(1000)

    def sweep() -> None:
        tips = [w for w in QApplication.topLevelWidgets()
                if w.metaObject().className() == "QBalloonTip" and w.isVisible()]
        for tip in tips:
            if not tip.underMouse():
                tip.close()
        if not any(tip.isVisible() for tip in tips):
            timer.stop()
            timer.deleteLater()

    timer.timeout.connect(sweep)
    QTimer.singleShot(ms + 250, timer, timer.start)  # after Qt's own check, then each second
    return timer


__all__ = ["QuitChoice", "WindowBehaviour", "close_balloons_after"]
