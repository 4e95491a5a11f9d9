"""The tray: Workdeck's face while the window is away.

:class:`TrayModel` follows the engine's signals (never polls) and knows what the tray
shows: the running tasks with their progress, the next five alarms, whether deferred
work is paused, and so the icon's state (idle, running with a count, paused, an alarm
due within five minutes). :class:`TrayMenu` is the QMenu built from it, which exists
without a system tray (so it is tested offscreen); :class:`Tray` puts both on a
QSystemTrayIcon where the desktop has a tray.
"""

from __future__ import annotations

import enum
import heapq
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QColor, QFont, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from engine.model import Kind, State
from ui.resource_files import app_icon_path

log = logging.getLogger(__name__)

ALARM_SOON = timedelta(minutes=5)
NEXT_ALARMS = 5
#: Unanswered reminders listed in the menu; the window's Reminders view has them all.
MENU_REMINDERS = 5
LABEL_MAX = 48


class IconState(enum.StrEnum):
    IDLE = "idle"
    RUNNING = "running"
    PAUSED = "paused"
    ALARM_SOON = "alarm"  # an alarm is due within five minutes: the most urgent look


@dataclass
class RunningTask:
    task_id: str
    label: str
    fraction: float | None = None
    message: str = ""

    @property
    def text(self) -> str:
        parts = [self.label]
        if self.fraction is not None:
            parts.append(f"{round(self.fraction * 100)}%")
        if self.message:
            parts.append(self.message)
        return " — ".join(parts)


@dataclass(frozen=True)
class Alarm:
    task_id: str
    at: datetime
    label: str

    @property
    def text(self) -> str:
        return f"{self.at.astimezone().strftime('%a %H:%M')}  {self.label}"


def task_label(task: Any) -> str:
    """What a person calls a task: its name, a reminder's message, or its command."""
    spec = task.spec
    text = spec.name or (spec.args[0] if spec.worker == "reminder" and spec.args else " ".join(spec.args))
    text = text or task.id
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1] + "…"


def is_paused(engine: Any) -> bool:
    paused = getattr(engine, "paused", None)
    if isinstance(paused, bool):
        return paused
    return bool(getattr(engine.dispatcher, "paused", False))


def set_paused(engine: Any, paused: bool) -> None:
    """Pause or resume deferred work: the engine's own methods if it has them (the
    deferred work may add them), else the dispatcher's flag, woken on resume."""
    method = getattr(engine, "pause" if paused else "resume", None)
    if callable(method):
        method()
        return
    engine.dispatcher.paused = paused
    if not paused:
        engine.dispatcher.wake()


class TrayModel(QObject):
    changed = Signal()  # the running set, the alarms, the unanswered reminders or the pause changed: rebuild
    progress = Signal(str)  # a running task's progress text changed (update in place)

    def __init__(self, engine: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._engine = engine
        self._clock = engine.clock
        self.running: dict[str, RunningTask] = {}
        self._alarms: dict[str, Alarm] = {}
        self.paused = is_paused(engine)
        #: How many running tasks a "Let them finish" quit still waits for (0: no quit pending).
        self.quitting = 0
        #: Reminders shown or missed and not yet snoozed or dismissed (the engine's list).
        self.unanswered: list[Any] = self._read_unanswered()
        self._soon_timer = self._clock.timer(self._on_soon)
        for task in engine.tasks(state=State.RUNNING):
            if engine.is_running(task.id):
                self.running[task.id] = RunningTask(task.id, task_label(task))
        for task in engine.tasks(kind=Kind.EXACT, state=State.SCHEDULED):
            self._track_alarm(task)
        self._top = self._smallest()
        engine.run_started.connect(self._on_run_started)
        engine.run_progress.connect(self._on_run_progress)
        engine.run_finished.connect(self._on_run_finished)
        engine.task_added.connect(self._on_task)
        engine.task_changed.connect(self._on_task)
        engine.task_removed.connect(self._on_task_removed)
        if hasattr(engine, "paused_changed"):
            engine.paused_changed.connect(self._on_paused_changed)
        if hasattr(engine, "reminders_changed"):
            engine.reminders_changed.connect(self._on_reminders_changed)
            engine.reminder.connect(self._on_reminders_changed)
        self._arm_soon()

    # -- reading --------------------------------------------------------------------

    def next_alarms(self, count: int = NEXT_ALARMS) -> list[Alarm]:
        if count <= NEXT_ALARMS:
            return self._top[:count]
        return heapq.nsmallest(count, self._alarms.values(), key=_alarm_key)

    def _smallest(self) -> list[Alarm]:
        return heapq.nsmallest(NEXT_ALARMS, self._alarms.values(), key=_alarm_key)

    @property
    def alarm_soon(self) -> bool:
        upcoming = self.next_alarms(1)
        return bool(upcoming) and upcoming[0].at - self._clock.now() <= ALARM_SOON

    @property
    def icon_state(self) -> IconState:
        if self.alarm_soon:
            return IconState.ALARM_SOON
        if self.running:
            return IconState.RUNNING
        if self.paused:
            return IconState.PAUSED
        return IconState.IDLE

    def tooltip(self) -> str:
        lines = [self.tr("Workdeck")]
        count = len(self.running)
        if count:
            lines.append(self.tr("1 task running") if count == 1 else self.tr("{n} tasks running").format(n=count))
        else:
            lines.append(self.tr("Nothing running"))
        upcoming = self.next_alarms(1)
        if upcoming:
            lines.append(self.tr("Next alarm: {alarm}").format(alarm=upcoming[0].text))
        if self.unanswered:
            count = len(self.unanswered)
            lines.append(self.tr("1 unanswered reminder") if count == 1
                         else self.tr("{n} unanswered reminders").format(n=count))
        if self.paused:
            lines.append(self.tr("Deferred work paused"))
        if self.quitting:
            lines.append(self.tr("Quits when the running task finishes") if self.quitting == 1
                         else self.tr("Quits when the {n} running tasks finish").format(n=self.quitting))
        return "\n".join(lines)

    # -- doing ----------------------------------------------------------------------

    def set_paused(self, paused: bool) -> None:
        set_paused(self._engine, paused)
        self._on_paused_changed(paused)

    def set_quitting(self, left: int) -> None:
        """A "Let them finish" quit waits for ``left`` tasks (0: it ended or was called off).
        Under Xvfb the window went away and nothing said Workdeck would follow."""
        if left != self.quitting:
            self.quitting = left
            self.changed.emit()

    # -- the engine's signals -------------------------------------------------------

    def _on_run_started(self, run: Any) -> None:
        try:
            label = task_label(self._engine.task(run.task_id, with_runs=False))
        except Exception:  # a listener never breaks the engine
            log.exception("tray: cannot read task %s", run.task_id)
            label = run.task_id
        self.running[run.task_id] = RunningTask(run.task_id, label)
        self.changed.emit()

    def _on_run_progress(self, task_id: str, fraction: float | None, message: str) -> None:
        entry = self.running.get(task_id)
        if entry is not None:
            entry.fraction, entry.message = fraction, message
            self.progress.emit(task_id)

    def _on_run_finished(self, run: Any) -> None:
        if self.running.pop(run.task_id, None) is not None:
            self.changed.emit()

    def _on_task(self, task: Any) -> None:
        before = self._alarms.get(task.id)
        self._track_alarm(task)
        after = self._alarms.get(task.id)
        if after == before:
            return
        # Only a change that touches the first five is shown: with 10,000 alarms
        # re-armed at start, the rest cost a dict write each, not a scan and a rebuild.
        top = self._top
        touches = (before is not None and before in top) or (
            after is not None and (len(top) < NEXT_ALARMS or _alarm_key(after) < _alarm_key(top[-1]))
        )
        if touches:
            self._top = self._smallest()
            self._arm_soon()
            self.changed.emit()

    def _on_task_removed(self, task_id: str) -> None:
        self.running.pop(task_id, None)
        if self._alarms.pop(task_id, None) is not None:
            self._top = self._smallest()
            self._arm_soon()
        self.changed.emit()

    def _read_unanswered(self) -> list[Any]:
        read = getattr(self._engine, "missed_reminders", None)
        if read is None:
            return []
        try:
            return list(read())
        except Exception:  # a listener never breaks the engine
            log.exception("tray: cannot read the unanswered reminders")
            return []

    def _on_reminders_changed(self, *_: Any) -> None:
        fresh = self._read_unanswered()
        if [(r.task_id, r.id) for r in fresh] != [(r.task_id, r.id) for r in self.unanswered]:
            self.unanswered = fresh
            self.changed.emit()

    def _on_paused_changed(self, paused: bool) -> None:
        if paused != self.paused:
            self.paused = paused
            self.changed.emit()

    def _track_alarm(self, task: Any) -> None:
        if task.kind is Kind.EXACT and task.state is State.SCHEDULED and task.next_run_at is not None:
            self._alarms[task.id] = Alarm(task.id, task.next_run_at, task_label(task))
        else:
            self._alarms.pop(task.id, None)

    def _arm_soon(self) -> None:
        """One timer, for the moment the earliest alarm comes within five minutes."""
        upcoming = self.next_alarms(1)
        if not upcoming:
            self._soon_timer.stop()
            return
        wait = (upcoming[0].at - ALARM_SOON - self._clock.now()).total_seconds()
        if wait > 0:
            self._soon_timer.start(wait)
        else:
            self._soon_timer.stop()

    def _on_soon(self) -> None:
        self.changed.emit()


def reminder_text(reminder: Any) -> str:
    """A reminder in a menu: when it was due, what it said, and "missed" if it never showed."""
    due = reminder.due_at.astimezone().strftime("%a %H:%M") if reminder.due_at is not None else ""
    message = reminder.message or reminder.task_id
    if len(message) > LABEL_MAX:
        message = message[: LABEL_MAX - 1] + "…"
    missed = QCoreApplication.translate("TrayMenu", " (missed)") if getattr(reminder, "missed", False) else ""
    return f"{due}  {message}{missed}".strip()


def _alarm_key(alarm: Alarm) -> tuple[datetime, str]:
    return (alarm.at, alarm.task_id)


# -- the icon ---------------------------------------------------------------------------


def render_icon(state: IconState, count: int = 0, *, paused: bool = False, size: int = 64) -> QPixmap:
    """The base icon with the state drawn on it: a count badge, pause bars, an alarm ring."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    base = QIcon(str(app_icon_path()))
    if not base.isNull():
        base.paint(painter, 0, 0, size, size)
    else:
        painter.setBrush(QColor("#1e88e5"))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.drawRoundedRect(QRectF(6, 10, size - 12, size - 20), 6, 6)
    if paused or state is IconState.PAUSED:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#455a64"))
        s = size * 0.38
        painter.drawEllipse(QRectF(0, size - s, s, s))
        painter.setBrush(QColor("white"))
        w, h = s * 0.16, s * 0.5
        painter.drawRect(QRectF(s * 0.28, size - s + s * 0.25, w, h))
        painter.drawRect(QRectF(s * 0.56, size - s + s * 0.25, w, h))
    if count > 0:
        s = size * 0.5
        rect = QRectF(size - s, 0, s, s)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor("#e53935"))
        painter.drawEllipse(rect)
        font = QFont()
        font.setBold(True)
        font.setPixelSize(int(s * (0.62 if count < 10 else 0.46)))
        painter.setFont(font)
        painter.setPen(QColor("white"))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, str(count) if count < 100 else "99+")
    if state is IconState.ALARM_SOON:
        painter.setBrush(QBrush())
        painter.setPen(QPen(QColor("#fb8c00"), size * 0.08))
        painter.drawEllipse(QPointF(size / 2, size / 2), size * 0.45, size * 0.45)
    painter.end()
    return pixmap


# -- the menu ---------------------------------------------------------------------------


class TrayMenu(QMenu):
    """Show Workdeck · running tasks · next alarms · unanswered reminders · Pause/Resume ·
    New reminder… · Quit."""

    show_requested = Signal()
    new_reminder_requested = Signal()
    quit_requested = Signal()
    task_selected = Signal(str)  # a running task or an alarm was picked: show it in the window
    reminder_selected = Signal(object)  # an unanswered reminder was picked: answer it
    reminders_requested = Signal()  # "All reminders…": the window's Reminders view

    def __init__(self, model: TrayModel, parent: Any = None) -> None:
        super().__init__(parent)
        self.model = model
        self.show_action = self.addAction(self.tr("Show Workdeck"))
        self.show_action.setObjectName("show")
        self.show_action.triggered.connect(self.show_requested)
        self.addSeparator()
        self.running_header = self._header(self.tr("Running"))
        self._running_end = self.addSeparator()
        self.alarms_header = self._header(self.tr("Next alarms"))
        self._alarms_end = self.addSeparator()
        self.reminders_header = self._header(self.tr("No unanswered reminders"))
        self.all_reminders_action = self.addAction(self.tr("All reminders…"))
        self.all_reminders_action.setObjectName("allReminders")
        self.all_reminders_action.triggered.connect(self.reminders_requested)
        self._reminders_end = self.addSeparator()
        self.pause_action = self.addAction(self.tr("Pause deferred work"))
        self.pause_action.setObjectName("pause")
        self.pause_action.setCheckable(True)
        self.pause_action.triggered.connect(lambda checked: model.set_paused(checked))
        self.new_reminder_action = self.addAction(self.tr("New reminder…"))
        self.new_reminder_action.setObjectName("newReminder")
        self.new_reminder_action.triggered.connect(self.new_reminder_requested)
        self.addSeparator()
        self.quit_action = self.addAction(self.tr("Quit"))
        self.quit_action.setObjectName("quit")
        self.quit_action.setShortcut("Ctrl+Q")
        self.quit_action.triggered.connect(self.quit_requested)
        self.running_actions: dict[str, QAction] = {}
        self.alarm_actions: list[QAction] = []
        self.reminder_actions: list[QAction] = []
        model.changed.connect(self.rebuild)
        model.progress.connect(self._on_progress)
        self.rebuild()

    def _header(self, text: str) -> QAction:
        action = self.addAction(text)
        action.setEnabled(False)
        return action

    def rebuild(self) -> None:
        for action in [*self.running_actions.values(), *self.alarm_actions, *self.reminder_actions]:
            self.removeAction(action)
            action.deleteLater()
        self.running_actions = {}
        for entry in self.model.running.values():
            action = QAction(entry.text, self)
            action.triggered.connect(lambda _=False, tid=entry.task_id: self.task_selected.emit(tid))
            self.insertAction(self._running_end, action)
            self.running_actions[entry.task_id] = action
        count = len(self.running_actions)
        self.running_header.setText(self.tr("Running ({n})").format(n=count) if count else self.tr("Nothing running"))
        self.alarm_actions = []
        for alarm in self.model.next_alarms():
            action = QAction(alarm.text, self)
            action.triggered.connect(lambda _=False, tid=alarm.task_id: self.task_selected.emit(tid))
            self.insertAction(self._alarms_end, action)
            self.alarm_actions.append(action)
        self.alarms_header.setText(self.tr("Next alarms") if self.alarm_actions else self.tr("No alarms"))
        self.reminder_actions = []
        for reminder in self.model.unanswered[:MENU_REMINDERS]:
            action = QAction(reminder_text(reminder), self)
            action.triggered.connect(lambda _=False, r=reminder: self.reminder_selected.emit(r))
            self.insertAction(self.all_reminders_action, action)
            self.reminder_actions.append(action)
        count = len(self.model.unanswered)
        self.reminders_header.setText(self.tr("Unanswered reminders ({n})").format(n=count) if count
                                      else self.tr("No unanswered reminders"))
        self.all_reminders_action.setVisible(count > 0)
        self.pause_action.setChecked(self.model.paused)
        self.pause_action.setText(self.tr("Resume deferred work") if self.model.paused else self.tr("Pause deferred work"))

    def _on_progress(self, task_id: str) -> None:
        action = self.running_actions.get(task_id)
        entry = self.model.running.get(task_id)
        if action is not None and entry is not None:
            action.setText(entry.text)


class Tray(QObject):
    """The QSystemTrayIcon, following the model. Exists (and is harmless) without a tray."""

    def __init__(self, model: TrayModel, menu: TrayMenu, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.menu = menu
        self.icon = QSystemTrayIcon(self)
        self.icon.setContextMenu(menu)
        self.icon.activated.connect(self._on_activated)
        model.changed.connect(self.refresh)
        self.refresh()

    @property
    def available(self) -> bool:
        return QSystemTrayIcon.isSystemTrayAvailable()

    def show(self) -> None:
        if self.available:
            self.icon.show()

    def refresh(self) -> None:
        state = self.model.icon_state
        count = len(self.model.running) + len(self.model.unanswered)  # both want the user's eye
        self.icon.setIcon(QIcon(render_icon(state, count, paused=self.model.paused)))
        self.icon.setToolTip(self.model.tooltip())

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        # A left click shows the window (Windows, KDE); the menu is on the right click.
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.menu.show_requested.emit()


__all__ = ["IconState", "Tray", "TrayMenu", "TrayModel", "render_icon", "set_paused", "task_label"]
