"""The desktop side of Workdeck in one object: lifecycle, tray, window behaviour,
reminders, settings, start at login, logging. ui/app.py builds it after the main
window::

    shell = DesktopShell(engine, window, db_path=db_path, hidden=args.hidden)
    host.activate_requested.connect(shell.show_window)   # one instance per database

Everything here talks to the engine through its facade and signals only.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow, QWidget

from engine.lifecycle import Lifecycle
from ui.autostart import Autostart, follow, launch_command
from ui.logging_setup import open_log_action
from ui.new_reminder import NewReminderDialog
from ui.notifications import ReminderPresenter
from ui.reminders_view import RemindersDock, RemindersView
from ui.settings import Settings, SettingsDialog
from ui.tray import Tray, TrayMenu, TrayModel
from ui.window_behaviour import WindowBehaviour

log = logging.getLogger(__name__)


class DesktopShell(QObject):
    def __init__(
        self,
        engine: Any,
        window: QWidget,
        *,
        settings: Settings | None = None,
        db_path: str | os.PathLike[str] | None = None,
        hidden: bool = False,
        autostart: Autostart | None = None,
        tray_available: bool | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent or window)
        app = QApplication.instance()
        if isinstance(app, QApplication):
            # The window hides to the tray and reminder windows come and go: closing the
            # last visible window is not quitting. Quit is explicit (WindowBehaviour).
            app.setQuitOnLastWindowClosed(False)
        self.engine = engine
        self.window = window
        self.settings = settings or Settings(data_location=db_path)
        self.settings.apply_to_engine(engine)
        self.lifecycle = Lifecycle(engine.clock, self)
        self.lifecycle.attach(engine)
        self.tray_model = TrayModel(engine, self)
        self.tray_menu = TrayMenu(self.tray_model)
        self.tray = Tray(self.tray_model, self.tray_menu, self)
        self.behaviour = WindowBehaviour(window, engine=engine, lifecycle=self.lifecycle, settings=self.settings,
                                         tray=self.tray, tray_available=tray_available)
        self.reminders = ReminderPresenter(engine, self.settings, tray=self.tray.icon,
                                           tray_available=tray_available, parent=self)
        self._make_window_controls(window)
        if hasattr(window, "layout_state"):
            window.restore_layout(self.settings.window_layout)  # before it first shows
            window.installEventFilter(self)
            if isinstance(app, QApplication):
                app.aboutToQuit.connect(self._save_layout)
        self.autostart = autostart or Autostart(launch_command(db_path))
        follow(self.settings, self.autostart)

        self.settings_action = QAction(self.tr("Settings…"), window)
        self.settings_action.triggered.connect(self.open_settings)
        self.open_log_action = open_log_action(window)
        self.new_reminder_action = QAction(self.tr("New reminder…"), window)
        self.new_reminder_action.triggered.connect(self.new_reminder)

        self.tray_menu.show_requested.connect(self.show_window)
        self.tray_menu.quit_requested.connect(self.behaviour.request_quit)
        self.behaviour.waiting_to_quit.connect(self.tray_model.set_quitting)
        self.behaviour.quitting.connect(lambda _choice: self.reminders.withdraw_all())
        self.tray_menu.new_reminder_requested.connect(self.new_reminder)
        self.tray_menu.task_selected.connect(self._on_task_selected)
        self.tray_menu.reminder_selected.connect(self.reminders.window.add)
        self.tray_menu.reminders_requested.connect(self.show_reminders)
        self.tray.show()
        if not hidden:
            self.show_window()
        elif not self.behaviour.tray_available:
            # --hidden with no tray to come back from would leave no way in: show it.
            log.info("no system tray: starting with the window shown despite --hidden")
            self.show_window()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Closing the window (to the tray, or to quit) is when its layout is saved; and at
        # quit (aboutToQuit), which may come without a close. Not on Hide: a window being
        # destroyed hides too, when its parts are half gone.
        if watched is getattr(self, "window", None) and event.type() == QEvent.Type.Close:  # see WindowBehaviour
            self._save_layout()
        return False

    def _save_layout(self) -> None:
        self.settings.window_layout = self.window.layout_state()  # type: ignore[attr-defined]

    def _make_window_controls(self, window: QWidget) -> None:
        """What the tray offers, in the window too: pause/resume deferred work with its
        state in the status bar, and the unanswered reminders (a dock with Snooze,
        Dismiss and Open). The main window places them (MainWindow.attach_desktop)."""
        self.pause_action = QAction(self.tr("Pause deferred work"), window)
        self.pause_action.setObjectName("pauseDeferred")
        self.pause_action.setCheckable(True)
        self.pause_action.triggered.connect(self.tray_model.set_paused)
        self.paused_label = QLabel()
        self.paused_label.setAccessibleName(self.tr("Deferred work paused or running"))
        self.tray_model.changed.connect(self._on_tray_model_changed)
        self._on_tray_model_changed()
        self.reminders_view = RemindersView(self.engine, self.reminders,
                                            default_snooze_minutes=self.settings.default_snooze_minutes)
        self.reminders_view.open_requested.connect(self._on_task_selected)
        self.reminders_dock = RemindersDock(self.reminders_view, window)
        if isinstance(window, QMainWindow):
            window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.reminders_dock)
        # Unanswered reminders from before (closed unanswered, missed while not running)
        # are in view when the window opens.
        self.reminders_dock.setVisible(bool(self.reminders_view.reminders))

    def _on_tray_model_changed(self) -> None:
        paused = self.tray_model.paused
        self.pause_action.setChecked(paused)
        self.pause_action.setText(self.tr("Resume deferred work") if paused else self.tr("Pause deferred work"))
        self.paused_label.setText(self.tr("deferred work paused") if paused else "")
        self.paused_label.setVisible(paused)

    def show_reminders(self) -> None:
        self.show_window()
        self.reminders_dock.reveal()

    def show_window(self) -> None:
        self.behaviour.show_window()

    def new_reminder(self) -> NewReminderDialog:
        dialog = NewReminderDialog(self.engine, self.window if self.window.isVisible() else None,
                                   default_minutes=self.settings.default_snooze_minutes)
        dialog.setObjectName("newReminderDialog")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.settings, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _on_task_selected(self, task_id: str) -> None:
        self.show_window()
        select = getattr(self.window, "select_task", None)  # the main window may offer it
        if callable(select):
            select(task_id)


__all__ = ["DesktopShell"]
