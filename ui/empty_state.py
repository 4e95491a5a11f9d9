"""What the window shows before there is any task: what Workdeck does, and a way in.

GNOME's and KDE's guidelines call this an empty-state page: say what the place is for
and offer the first step, instead of an empty table and a blank timeline. It offers the
three kinds of work as buttons (each opens the New Task form for that kind; Ctrl+N asks
the questions instead) and a set of harmless example tasks, tagged ``example`` so the
Help menu can take them away again with one click.
"""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from engine.classify import Decision, classify
from engine.engine import Engine
from engine.model import Kind, Schedule, Task, TaskSpec
from ui import style

EXAMPLE_TAG = "example"


def example_specs(engine: Engine) -> list[TaskSpec]:
    """One task of each kind that is safe to run on any machine."""
    now = engine.clock.now()
    tags = (EXAMPLE_TAG,)
    return [
        TaskSpec("shell", ("uptime",), kind=Kind.IMMEDIATE, tags=tags,
                 name=QCoreApplication.translate("Examples", "Example: how long this computer has been up")),
        TaskSpec("shell", ("df", "-h"), kind=Kind.DEFERRED, tags=tags,
                 name=QCoreApplication.translate("Examples", "Example: free disk space, every day"),
                 schedule=Schedule(every=timedelta(days=1).total_seconds())),
        TaskSpec("reminder", (QCoreApplication.translate("Examples", "Stand up and stretch (an example reminder)"),),
                 kind=Kind.EXACT, tags=tags, run_at=now + timedelta(minutes=30),
                 name=QCoreApplication.translate("Examples", "Example: a reminder in 30 minutes")),
    ]


def add_examples(engine: Engine) -> list[Task]:
    return [engine.enqueue(spec) for spec in example_specs(engine)]


def remove_examples(engine: Engine) -> int:
    """Cancel and delete every example task; returns how many went."""
    examples = engine.tasks(tag=EXAMPLE_TAG)
    for task in examples:
        if not engine.task(task.id).state.finished:
            engine.cancel(task.id)
    gone = 0
    for task in examples:
        if not engine.is_running(task.id):  # a cancelled run ends first; Remove again later takes it
            engine.delete(task.id)
            gone += 1
    return gone


#: The widest the introduction's lines get, in pixels: a readable measure, however wide the window.
READABLE_WIDTH = 560


class EmptyState(QWidget):
    """The page shown in place of the task table while there are no tasks."""

    create = Signal(object)  # the Decision (kind) the user picked
    add_examples = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName(self.tr("Getting started"))
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        heading = QLabel(self.tr("<h2>Nothing scheduled yet</h2>"))
        heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        intro = QLabel(self.tr(
            "Workdeck runs your background work without getting in your way: now, later when the time "
            "and conditions are right, or at an exact time with a reminder. Everything it runs will "
            "appear on a live timeline in this window. Press Ctrl+N to be asked a few questions, or pick the kind here:"
        ))
        intro.setWordWrap(True)
        intro.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(heading)
        intro.setMaximumWidth(READABLE_WIDTH)
        layout.addWidget(intro, 0, Qt.AlignmentFlag.AlignHCenter)
        self._intro = intro
        self.buttons: dict[str, QPushButton] = {}
        column = QVBoxLayout()  # one above the other: fits a narrow window as well as a wide one
        for key, label, icon, description, decision in (
            ("now", self.tr("Run something now…"), "immediate",
             self.tr("A command that starts at once and keeps going in the background"),
             classify(exact=False, start_now=True, survive=True)),
            ("later", self.tr("Queue something for later…"), "deferred",
             self.tr("Work that waits for a delay, a repeat or conditions such as mains power"),
             classify(exact=False)),
            ("alarm", self.tr("Set an alarm or reminder…"), "exact",
             self.tr("Something that must happen at an exact time"), classify(exact=True)),
        ):
            button = QPushButton(style.icon(icon), label)
            button.setAccessibleName(label.replace("…", ""))
            button.setAccessibleDescription(description)
            button.setToolTip(description)
            button.clicked.connect(lambda _=False, d=decision: self._pick(d))
            self.buttons[key] = button
            column.addWidget(button)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addLayout(column)
        row.addStretch(1)
        layout.addLayout(row)
        examples = QPushButton(self.tr("Add example tasks"))
        examples.setAccessibleName(self.tr("Add example tasks"))
        examples.setAccessibleDescription(self.tr("Adds one harmless task of each kind; Help ▸ Remove example tasks "
                                                  "takes them away"))
        examples.setToolTip(examples.accessibleDescription())
        examples.setFlat(True)
        examples.clicked.connect(self.add_examples.emit)
        self.buttons["examples"] = examples
        centre = QHBoxLayout()
        centre.addStretch(1)
        centre.addWidget(examples)
        centre.addStretch(1)
        layout.addLayout(centre)
        layout.addStretch(2)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        # A layout asks an aligned word-wrapped label its height at the layout's full
        # width, but gives it only its own: it lost its last lines (seen at 800x600).
        # Its height is set for the width it will really get.
        margins = self.layout().contentsMargins()
        width = min(self._intro.sizeHint().width(), event.size().width() - margins.left() - margins.right())
        self._intro.setMinimumHeight(self._intro.heightForWidth(max(1, width)))
        super().resizeEvent(event)

    def _pick(self, decision: Decision) -> None:
        self.create.emit(decision)
