"""Whether the main window is seen (visible) or not (background): the timeline records it
and ticks only while seen. With a desktop shell attached (ui/desktop.py: tray,
lifecycle, the quit prompt) the lifecycle decides, and the shell's actions take their
place in the window's File menu, toolbar and status bar."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QToolBar

if TYPE_CHECKING:
    from PySide6.QtGui import QAction, QHideEvent, QShowEvent
    from PySide6.QtWidgets import QLabel, QMenu

    from engine.engine import Engine
    from ui.timeline import Timeline, TimelineView


class WindowVisibility:
    """Mixed into :class:`ui.main_window.MainWindow`, a QMainWindow."""

    engine: Engine
    visible_state: bool | None
    _lifecycle: Any
    timeline: Timeline
    timeline_view: TimelineView
    visibility_label: QLabel
    act_quit: QAction
    file_menu: QMenu

    def refresh_alarm_tick(self) -> None: ...  # MainWindow's: the status bar's countdown

    def attach_desktop(self, shell: Any) -> None:
        """Hand quitting and the visible/background state to the desktop shell
        (ui/desktop.py: tray, lifecycle, the quit prompt), so each has one owner."""
        self.act_quit.triggered.disconnect(self.close)
        self.act_quit.triggered.connect(shell.behaviour.request_quit)
        self.removeAction(shell.behaviour.quit_action)  # one Ctrl+Q, not two ambiguous ones
        for action in (shell.new_reminder_action, shell.settings_action, shell.open_log_action):
            self.file_menu.insertAction(self.act_quit, action)
        self.file_menu.insertSeparator(self.act_quit)
        # Pause/resume and the unanswered reminders, here as in the tray.
        toolbar = self.findChild(QToolBar, "main toolbar")
        toolbar.addSeparator()
        for action in (shell.pause_action, shell.reminders_dock.toggle):
            toolbar.addAction(action)
            self.file_menu.insertAction(self.act_quit, action)
        self.file_menu.insertSeparator(self.act_quit)
        self.statusBar().addPermanentWidget(shell.paused_label)
        self._lifecycle = shell.lifecycle
        shell.lifecycle.state_changed.connect(self._on_lifecycle_state)
        self._on_lifecycle_state(str(shell.lifecycle.state))

    def _on_lifecycle_state(self, state: str) -> None:
        self.visible_state = state == "visible"
        words = {"visible": self.tr("visible"), "background": self.tr("background")}
        self.visibility_label.setText(words.get(state, state))
        self.timeline.record_visibility(self.visible_state)
        self.timeline_view.refresh_ticking()

    def _set_visible_state(self, visible: bool) -> None:
        self.refresh_alarm_tick()
        if self._lifecycle is not None:  # the lifecycle decides; the view still ticks only when seen
            self.timeline_view.refresh_ticking()
            return
        if visible == self.visible_state:
            return
        self.visible_state = visible
        self.visibility_label.setText(self.tr("visible") if visible else self.tr("background"))
        self.timeline.record_visibility(visible)
        lifecycle = getattr(self.engine, "set_visible", None)  # the lifecycle issue adds it
        if lifecycle is not None:
            lifecycle(visible)
        self.timeline_view.refresh_ticking()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        super().showEvent(event)
        self._set_visible_state(not self.isMinimized())

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802
        super().hideEvent(event)
        self._set_visible_state(False)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802
        super().changeEvent(event)
        if event.type() == QEvent.Type.WindowStateChange:
            self._set_visible_state(self.isVisible() and not self.isMinimized())
