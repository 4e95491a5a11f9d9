"""The New Task dialog: the seed's decision tree as plain questions, then the kind's form.

The questions come from :mod:`engine.classify` (the same tree the command line's
documentation follows); the answer picks the kind and says why in one sentence.
Editing a task opens the same dialog on the form page with the task's spec loaded.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from engine.classify import CONTEXT as CLASSIFY_CONTEXT
from engine.classify import QUESTIONS, Decision, decide
from engine.engine import Engine
from engine.errors import BadInputError
from engine.model import Task, TaskSpec
from ui import style
from ui.task_form import TaskForm
from ui.refusals import form_refusal


def _classify_text(text: str) -> str:
    """A question, kind or reason of engine.classify (marked there), in the user's language."""
    return QCoreApplication.translate(CLASSIFY_CONTEXT, text)


_ARROWS = (Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down)


class DecisionPage(QWidget):
    """Yes/no questions, each shown once the answers before it leave the kind open.

    Keyboard: Tab walks the questions; an arrow key on Yes or No moves to the other answer
    *and picks it* (a radio group's usual behaviour, which Qt's buttons in one grid lack)."""

    def __init__(self, on_change: object, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        intro = QLabel(self.tr("Answer a few questions and Workdeck picks the right kind of work."))
        intro.setWordWrap(True)
        layout.addWidget(intro)
        grid = QGridLayout()
        self.groups: dict[str, QButtonGroup] = {}
        self.yes: dict[str, QRadioButton] = {}
        self.no: dict[str, QRadioButton] = {}
        self._rows: dict[str, list[QWidget]] = {}
        for i, (key, english) in enumerate(QUESTIONS):
            question = _classify_text(english)
            label = QLabel(self.tr("{number}. {question}").format(number=i + 1, question=question))
            label.setWordWrap(True)
            yes, no = QRadioButton(self.tr("Yes")), QRadioButton(self.tr("No"))
            yes.setAccessibleName(self.tr("{question} Yes").format(question=question))
            no.setAccessibleName(self.tr("{question} No").format(question=question))
            yes.setAccessibleDescription(self.tr("Answer yes to question {number}; arrow keys choose the other answer")
                                         .format(number=i + 1))
            no.setAccessibleDescription(self.tr("Answer no to question {number}; arrow keys choose the other answer")
                                        .format(number=i + 1))
            for button in (yes, no):
                button.installEventFilter(self)
            group = QButtonGroup(self)
            group.addButton(yes)
            group.addButton(no)
            group.buttonToggled.connect(lambda *_: on_change())  # type: ignore[operator]
            grid.addWidget(label, i, 0)
            grid.addWidget(yes, i, 1)
            grid.addWidget(no, i, 2)
            self.groups[key], self.yes[key], self.no[key] = group, yes, no
            self._rows[key] = [label, yes, no]
        grid.setColumnStretch(0, 1)
        layout.addLayout(grid)
        self.answer = QLabel()
        self.answer.setWordWrap(True)
        self.answer.setAccessibleName(self.tr("The kind picked and why"))
        self.answer.setAccessibleDescription(self.tr("Which kind of work your answers lead to, and why"))
        layout.addWidget(self.answer)
        layout.addStretch()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and event.key() in _ARROWS:
            for key in self.yes:
                if watched in (self.yes[key], self.no[key]):
                    other = self.no[key] if watched is self.yes[key] else self.yes[key]
                    other.setChecked(True)
                    other.setFocus(Qt.FocusReason.TabFocusReason)
                    return True
        return super().eventFilter(watched, event)

    def decision(self) -> Decision | None:
        """The kind, once the questions answered so far decide it; shows only the questions still needed."""
        answers: dict[str, bool] = {}
        decided: Decision | None = None
        for index, (key, _) in enumerate(QUESTIONS):
            show = decided is None and len(answers) == index  # every question before it answered
            for widget in self._rows[key]:
                widget.setVisible(show)
            if show and (self.yes[key].isChecked() or self.no[key].isChecked()):
                answers[key] = self.yes[key].isChecked()
                decided = decide(answers)
        if decided is None:
            self.answer.setText("")
        else:
            self.answer.setText(self.tr("<b>{kind}.</b> {reason}").format(
                kind=_classify_text(decided.label).capitalize(), reason=_classify_text(decided.reason)))
        return decided

    def first_open_answer(self) -> QRadioButton:
        """Where the keyboard starts: the first shown question's answer (Yes if unanswered)."""
        for key, _ in QUESTIONS:
            if self.yes[key].isVisible() and not (self.yes[key].isChecked() or self.no[key].isChecked()):
                return self.yes[key]
        key = QUESTIONS[0][0]
        return self.no[key] if self.no[key].isChecked() else self.yes[key]


class NewTaskDialog(QDialog):
    """Create a task (decision page, then form) or, given ``spec``, edit one (form only)."""

    def __init__(
        self, engine: Engine, parent: QWidget | None = None, *, spec: TaskSpec | None = None, mode: str = "new",
        decision: Decision | None = None,
    ) -> None:
        """``mode``: "new" (questions first), "edit" (save ``spec``'s changes: the caller
        applies them) or "duplicate" (a new task from ``spec``, form first)."""
        super().__init__(parent)
        self.engine = engine
        self.mode = mode
        self.editing = mode == "edit"
        self.created: Task | None = None
        self.spec: TaskSpec | None = None
        self.setWindowTitle({"new": self.tr("New task"), "edit": self.tr("Edit task"),
                             "duplicate": self.tr("Duplicate task")}[mode])
        self.setWindowIcon(style.icon("new"))
        self.setAccessibleName(self.windowTitle())
        # At most the screen, its frame included: on an 800x600 screen a 640-pixel dialog
        # put Create and Cancel below the bottom edge (the form scrolls instead).
        screen = (parent.screen() if parent is not None else self.screen()).availableGeometry()
        self.resize(min(620, screen.width() - 24), min(640, screen.height() - 48))
        layout = QVBoxLayout(self)
        self.pages = QStackedWidget()
        self.decide = DecisionPage(self._on_decision_changed)
        self.form = TaskForm(engine)
        self.form.changed.connect(self._update_buttons)
        scroll = QScrollArea()
        scroll.setAccessibleName(self.tr("Task details form"))
        scroll.setAccessibleDescription(self.tr("The fields of the task: what it runs, when, and under which conditions"))
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        self.pages.addWidget(self.decide)
        self.pages.addWidget(scroll)
        layout.addWidget(self.pages)
        buttons = QHBoxLayout()
        self.back = QPushButton(self.tr("Back"))
        self.next = QPushButton(self.tr("Next"))
        self.create = QPushButton(self.tr("Save") if self.editing else self.tr("Create"))
        self.cancel = QPushButton(self.tr("Cancel"))
        for button in (self.back, self.cancel):
            button.setAutoDefault(False)  # Return means Next or Create, never Back or Cancel
        for button in (self.back, self.next, self.create, self.cancel):
            button.setAccessibleName(button.text())
        self.back.setAccessibleDescription(self.tr("Back to the questions"))
        self.next.setAccessibleDescription(self.tr("On to the task's details (Return)"))
        self.create.setAccessibleDescription(self.tr("Save the changes (Return)") if self.editing
                                             else self.tr("Create the task (Return)"))
        self.cancel.setAccessibleDescription(self.tr("Close without creating anything (Escape)"))
        buttons.addStretch()
        for button in (self.back, self.next, self.create, self.cancel):
            buttons.addWidget(button)
        layout.addLayout(buttons)
        self.back.clicked.connect(lambda: self._go(0))
        self.next.clicked.connect(lambda: self._go(1))
        self.create.clicked.connect(self._on_create)
        self.cancel.clicked.connect(self.reject)
        # Ctrl+Return creates from anywhere, even from the multi-line arguments field.
        create_keys = QShortcut(QKeySequence(Qt.KeyboardModifier.ControlModifier | Qt.Key.Key_Return), self)
        create_keys.activated.connect(lambda: self.create.isVisible() and self.create.isEnabled() and self._on_create())
        if spec is not None:
            self.form.load(spec)
            self._go(1)
        elif decision is not None:  # the kind was chosen already (the empty window's buttons)
            self.form.set_kind(decision.kind, scoped=decision.scoped)
            self._go(1)
        else:
            self._go(0)

    def _on_decision_changed(self) -> None:
        decision = self.decide.decision()
        if decision is not None:
            self.form.set_kind(decision.kind, scoped=decision.scoped)
        self._update_buttons()

    def _go(self, page: int) -> None:
        self.pages.setCurrentIndex(page)
        self._update_buttons()
        first = self.form.first_field() if page == 1 else self.decide.first_open_answer()
        first.setFocus(Qt.FocusReason.TabFocusReason)  # never left on the button that was pressed

    def _update_buttons(self) -> None:
        on_form = self.pages.currentIndex() == 1
        self.back.setVisible(on_form and self.mode == "new")
        self.next.setVisible(not on_form)
        self.next.setEnabled(self.decide.decision() is not None)
        self.create.setVisible(on_form)
        self.create.setEnabled(on_form and self.form.error is None)
        # Return presses the page's forward button.
        self.next.setDefault(not on_form)
        self.create.setDefault(on_form)

    def _on_create(self) -> None:
        try:
            spec = self.form.build_spec()
            if not self.editing:
                self.created = self.engine.enqueue(spec)
        except BadInputError as exc:
            self.form.error_label.setText(form_refusal(str(exc)))
            return
        self.spec = spec
        self.accept()
