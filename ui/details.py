"""The details pane: one task's spec, why it waits, its runs, its live output and progress."""

from __future__ import annotations

import json
from html import escape

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QAction, QFont, QTextCursor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QStyle,
    QTabWidget,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from engine.engine import Engine
from engine.errors import NoSuchTaskError
from engine.model import Run, State, Task
from ui import style, text
from ui.run_history import ATTEMPT, DURATION, ENDED, EXIT, OUTCOME, STARTED, RunHistoryModel

#: A run column's room beside its words: the view's margins either side, and a little air.
CELL_PADDING = 12


class DetailsPane(QWidget):
    """Follows one task: reloads its header when the engine says it changed, pages in its
    runs as the user scrolls (:class:`ui.run_history.RunHistoryModel`), takes a run that
    starts or ends as one row, appends output as it arrives."""

    #: A parent or child link was clicked: select that task.
    task_selected = Signal(str)

    def __init__(self, engine: Engine, actions: list[QAction], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.task_id: str | None = None
        self.task: Task | None = None
        self.setAccessibleName(self.tr("Task details"))
        self.setAccessibleDescription(self.tr("The selected task: what it is, why it waits, its output, runs and spec."))
        layout = QVBoxLayout(self)
        self.title = QLabel(self.tr("No task selected"))
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.title.setAccessibleName(self.tr("Task name"))
        self.title.setAccessibleDescription(self.tr("The name of the selected task, or what it runs."))
        layout.addWidget(self.title)
        self.subtitle = QLabel()
        self.subtitle.setAccessibleName(self.tr("Task id, kind and state"))
        self.subtitle.setAccessibleDescription(self.tr("Its id, kind of work, state, attempts and next run."))
        self.subtitle.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.subtitle)
        self.why = QLabel()
        self.why.setWordWrap(True)
        self.why.setAccessibleName(self.tr("Why it waits"))
        self.why.setAccessibleDescription(self.tr("What the task is waiting for before it can run."))
        layout.addWidget(self.why)
        self.chain = QLabel()
        self.chain.setWordWrap(True)
        self.chain.setAccessibleName(self.tr("Runs after and before"))
        self.chain.setAccessibleDescription(self.tr("The tasks this one waits for and the tasks that wait for it; "
                                                    "each name is a link that selects it."))
        self.chain.setTextInteractionFlags(Qt.TextInteractionFlag.LinksAccessibleByMouse
                                           | Qt.TextInteractionFlag.LinksAccessibleByKeyboard)
        self.chain.linkActivated.connect(self._on_link)
        layout.addWidget(self.chain)
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Progress"))
        self.progress.setAccessibleDescription(self.tr("How far the running task has come, as it reports it."))
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        layout.addWidget(self.progress)
        buttons = QHBoxLayout()
        self.buttons: dict[str, QToolButton] = {}
        for action in actions:
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setAccessibleName(action.text().replace("&", ""))
            button.setAccessibleDescription(action.toolTip() if action.toolTip() != action.text()
                                            else action.statusTip() or action.text().replace("&", ""))
            buttons.addWidget(button)
            self.buttons[action.objectName()] = button
        buttons.addStretch()
        layout.addLayout(buttons)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName(self.tr("Task details tabs"))
        self.tabs.setAccessibleDescription(self.tr("Output of the latest run, every run, and the task's spec."))
        self.spec = QLabel()
        self.spec.setWordWrap(True)
        self.spec.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.spec.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.spec.setAccessibleName(self.tr("Task spec"))
        self.spec.setAccessibleDescription(self.tr("Everything the task was created with, in plain words."))
        self.history = RunHistoryModel(engine.runs_page, engine.clock.now, self)
        self.history.palette = self.palette
        self.runs = QTreeView()
        self.runs.setModel(self.history)
        self.runs.setRootIsDecorated(False)
        self.runs.setUniformRowHeights(True)  # no per-row size query: paging stays cheap
        self.history.shown = self.runs.isVisible
        self.runs.setAlternatingRowColors(True)
        self.runs.setAccessibleName(self.tr("Runs"))
        self.runs.setAccessibleDescription(self.tr("Every run of the task, newest first: when, how long, "
                                                   "how it ended and its exit code."))
        # The exit code next to the outcome and "#" narrow: both readable without scrolling.
        header = self.runs.header()
        header.moveSection(header.visualIndex(EXIT), header.visualIndex(OUTCOME) + 1)
        header.setMinimumSectionSize(28)
        header.resizeSection(ATTEMPT, 32)
        header.resizeSection(EXIT, 44)
        header.setSectionResizeMode(EXIT, QHeaderView.ResizeMode.Fixed)
        # Wide enough for their words in this font (fixed pixels elided "succeeded" to
        # "succeed…" under Xvfb); "#" grows with the task's attempts in _fit_attempts.
        fm = self.runs.fontMetrics()
        icon = self.runs.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize) + 4
        stamp = max(fm.horizontalAdvance(sample) for sample in ("2026-12-31 23:59", "Wed 23:59:59"))
        outcome = icon + max(fm.horizontalAdvance(word) for word in style.OUTCOME_LABELS.values())
        header.resizeSection(DURATION, 80)
        for column, width in ((STARTED, stamp), (ENDED, stamp), (OUTCOME, outcome)):
            header.resizeSection(column, width + CELL_PADDING)
        self.output = QPlainTextEdit()
        self.output.setReadOnly(True)
        self.output.setMaximumBlockCount(20_000)  # a chatty task must not eat the window's memory
        self.output.setFont(QFont("monospace"))
        self.output.setAccessibleName(self.tr("Output of the latest run"))
        self.output.setAccessibleDescription(self.tr("What the latest run printed, as it prints it."))
        self.tabs.addTab(self.output, self.tr("Output"))
        self.tabs.addTab(self.runs, self.tr("Runs"))
        self.tabs.addTab(self.spec, self.tr("Spec"))
        # A tab's tooltip is its description for a screen reader (Qt's tab bar has none of its own).
        for tab, widget in enumerate((self.output, self.runs, self.spec)):
            self.tabs.setTabToolTip(tab, widget.accessibleDescription())
        layout.addWidget(self.tabs, 1)
        engine.task_changed.connect(self._on_task_changed)
        engine.task_removed.connect(self._on_task_removed)
        engine.run_started.connect(self._on_run_started)
        engine.run_finished.connect(self._on_run_finished)
        engine.run_output.connect(self._on_run_output)
        engine.run_progress.connect(self._on_run_progress)
        self.show_task(None)

    # ------------------------------------------------------------ showing a task

    def show_task(self, task_id: str | None) -> None:
        self.task_id = task_id
        if task_id is None:
            self.task = None
            self.title.setText(self.tr("No task selected"))
            self.subtitle.setText(self.tr("Select a task in the table or on the timeline."))
            self.why.hide()
            self.chain.hide()
            self.progress.hide()
            self.spec.clear()
            self.history.set_task(None)
            self.output.clear()
            return
        self.history.set_task(task_id)
        self._reload()
        try:
            log = self.engine.log(task_id)
        except NoSuchTaskError:
            log = ""
        self.output.setPlainText(log)
        self.output.moveCursor(QTextCursor.MoveOperation.End)

    def _reload(self, task: Task | None = None) -> None:
        """Show the task's header: ``task`` as the engine just reported it, else as stored."""
        if self.task_id is None:
            return
        if task is None:
            try:
                task = self.engine.task(self.task_id, with_runs=False)
            except NoSuchTaskError:
                self.show_task(None)
                return
        self.task = task
        self._fit_attempts(task.attempts)
        self.title.setText(text.task_title(task))
        kind = text.KIND_WORDS.get(task.kind.value, task.kind.value)
        state = text.STATE_WORDS.get(task.state.value, task.state.value)
        subtitle = self.tr("{id} · {kind} · {state} · attempts {attempts}").format(
            id=task.id, kind=kind, state=state, attempts=task.attempts)
        if task.next_run_at:
            subtitle += self.tr(" · next run {when}").format(when=text.when(task.next_run_at, self.engine.clock.now()))
        self.subtitle.setText(subtitle)
        self._show_why(task)
        self._show_chain(task)
        self.progress.setVisible(task.state is State.RUNNING)
        if task.state is State.RUNNING and self.progress.maximum() and self.progress.value() <= 0:
            self.progress.setRange(0, 0)  # busy until the first report
        self.spec.setText(_spec_html(task))

    def _fit_attempts(self, attempts: int) -> None:
        """The "#" column as wide as the task's newest attempt number: at 32 px a periodic
        task's run 10040 read "1…". Grows only (a column the user widened stays)."""
        header = self.runs.header()
        need = self.runs.fontMetrics().horizontalAdvance(str(attempts)) + CELL_PADDING
        if need > header.sectionSize(ATTEMPT):
            header.resizeSection(ATTEMPT, need)

    def _show_why(self, task: Task) -> None:
        why = getattr(self.engine, "why", None)  # the scheduler's explanation, once it offers one
        reason = None
        if why is not None and task.state in (State.ENQUEUED, State.BLOCKED, State.SCHEDULED):
            try:
                reason = why(task.id)
            except Exception:  # an explanation must never break the pane
                reason = None
        if reason is None and task.state is State.BLOCKED:
            reason = self.tr("for the tasks it runs after to succeed")
        label = self.tr("Waiting")
        if task.unreadable:  # a quarantined row (engine.quarantine): say why, it never runs
            label = self.tr("Unreadable")
            reason = self.tr("{why}; Workdeck skips this task (export keeps its row)").format(why=task.unreadable)
        self.why.setVisible(bool(reason))
        self.why.setText(f"<i>{label}:</i> {escape(str(reason))}" if reason else "")

    def _show_chain(self, task: Task) -> None:
        """Parents and children by name, each a link that selects it."""
        child_ids = self.engine.chain_children(task.id)
        parts = []
        for label, ids in ((self.tr("Runs after: {tasks}"), task.spec.after),
                           (self.tr("Then runs: {tasks}"), child_ids)):
            if ids:
                parts.append(label.format(tasks=", ".join(self._link(i) for i in ids)))
        self.chain.setVisible(bool(parts))
        self.chain.setText("<br>".join(parts))

    def _link(self, task_id: str) -> str:
        try:
            title = text.task_title(self.engine.task(task_id, with_runs=False))
        except NoSuchTaskError:
            return escape(self.tr("{id} (deleted)").format(id=task_id))
        return f'<a href="task:{escape(task_id)}">{escape(title)}</a>'

    def _on_link(self, href: str) -> None:
        if href.startswith("task:"):
            self.task_selected.emit(href[len("task:"):])

    # ------------------------------------------------------------ engine signals

    def _on_task_changed(self, task: Task) -> None:
        if task.id == self.task_id:
            self._reload(task)

    def _on_task_removed(self, task_id: str) -> None:
        if task_id == self.task_id:
            self.show_task(None)

    def _on_run_started(self, run: Run) -> None:
        if run.task_id == self.task_id:
            self.output.clear()  # the pane shows the latest run's output
            self.progress.setRange(0, 0)
            self.history.add_or_update(run)

    def _on_run_finished(self, run: Run) -> None:
        if run.task_id == self.task_id:
            self.progress.setRange(0, 1000)
            self.history.add_or_update(run)

    def _on_run_output(self, task_id: str, chunk: str) -> None:
        if task_id != self.task_id:
            return
        bar = self.output.verticalScrollBar()
        following = bar.value() >= bar.maximum() - 4
        cursor = QTextCursor(self.output.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        cursor.insertText(chunk)
        if following:  # follow new lines unless the user scrolled up to read
            bar.setValue(bar.maximum())

    def _on_run_progress(self, task_id: str, fraction: float | None, message: str) -> None:
        if task_id != self.task_id:
            return
        self.progress.show()
        if fraction is None:
            self.progress.setRange(0, 0)
        else:
            self.progress.setRange(0, 1000)
            self.progress.setValue(int(fraction * 1000))
        self.progress.setFormat(f"%p% {message}".strip())


def _spec_html(task: Task) -> str:
    spec = task.spec
    policy = text.POLICY_WORDS.get(spec.policy.value, spec.policy.value)
    rows = [
        (QCoreApplication.translate("DetailsPane", "runs"), f"{spec.worker}: {text.command_text(task)}"),
        (QCoreApplication.translate("DetailsPane", "kind"), text.KIND_WORDS.get(spec.kind.value, spec.kind.value)),
        (QCoreApplication.translate("DetailsPane", "name"),
         QCoreApplication.translate("DetailsPane", "{name} (if a task with this name exists: {policy})")
         .format(name=spec.name, policy=policy) if spec.name else "—"),
        (QCoreApplication.translate("DetailsPane", "tags"), ", ".join(spec.tags) or "—"),
        (QCoreApplication.translate("DetailsPane", "created"), text.full_time(task.created_at)),
        (QCoreApplication.translate("DetailsPane", "first due"),
         text.full_time(spec.run_at) if spec.run_at else QCoreApplication.translate("DetailsPane", "at once")),
    ]
    if spec.schedule:
        rule = spec.schedule.cron or spec.schedule.rrule or (
            QCoreApplication.translate("DetailsPane", "every {span}").format(span=text.duration(spec.schedule.every))
            if spec.schedule.every else "")
        rows.append((QCoreApplication.translate("DetailsPane", "repeats"), rule))
    if spec.constraints:
        rows.append((QCoreApplication.translate("DetailsPane", "only when"),
                     ", ".join(text.CONSTRAINT_WORDS.get(c.value, c.value) for c in spec.constraints)))
    if spec.retry.max_retries:
        growth = text.BACKOFF_WORDS.get(spec.retry.backoff.value)
        retry = (QCoreApplication.translate("DetailsPane", "once, after {span}") if spec.retry.max_retries == 1
                 else QCoreApplication.translate("DetailsPane", "{n} times, first after {span}")).format(
            n=spec.retry.max_retries, span=text.in_words(spec.retry.delay))
        if growth:
            retry += QCoreApplication.translate("DetailsPane", ", then {growth}").format(growth=growth)
        rows.append((QCoreApplication.translate("DetailsPane", "retry after failure"), retry))
    if spec.timeout:
        rows.append((QCoreApplication.translate("DetailsPane", "timeout"), text.duration(spec.timeout)))
    if spec.kind.value == "exact":
        rows.append((QCoreApplication.translate("DetailsPane", "if missed"),
                     QCoreApplication.translate("DetailsPane", "{policy} (up to {span} late)").format(
                         policy=text.MISSED_WORDS.get(spec.missed.value, spec.missed.value),
                         span=text.in_words(spec.grace))))
    if spec.input:
        rows.append((QCoreApplication.translate("DetailsPane", "input"), json.dumps(spec.input)[:500]))
    if task.output:
        rows.append((QCoreApplication.translate("DetailsPane", "output"), json.dumps(task.output)[:500]))
    body = "".join(f"<tr><td><b>{escape(k)}</b>&nbsp;&nbsp;</td><td>{escape(v)}</td></tr>" for k, v in rows)
    return f"<table>{body}</table>"
