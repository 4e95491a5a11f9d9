"""The task form: what a task runs and when, for one kind of work. New Task and Edit use it.

The form never re-implements the engine's rules: :meth:`TaskForm.build_spec` turns the
fields into a :class:`TaskSpec` (whose constructor checks itself) and asks
``engine.validate`` — the same checks ``enqueue`` runs — so the form refuses exactly
what the engine would refuse, with the engine's own message.
"""

from __future__ import annotations

import shlex
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QT_TRANSLATE_NOOP, QDateTime, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from engine.engine import Engine
from engine.errors import BadInputError
from engine.model import Backoff, Constraint, Kind, MissedPolicy, RetryPolicy, Schedule, TaskSpec, UniquePolicy
from engine.timeparse import format_duration, parse_duration
from ui.chain_picker import ChainPicker
from ui.refusals import form_refusal
from ui.text import BACKOFF_WORDS, CONSTRAINT_WORDS, MISSED_WORDS, POLICY_WORDS

#: Scoped immediate work is enqueued as immediate work with this tag; the window that
#: launched it cancels it when it closes.
SCOPED_TAG = "scoped"

# Marked for extraction; TaskForm translates them (self.tr) as it fills its lists.
WORKERS = (("shell", QT_TRANSLATE_NOOP("TaskForm", "Command")),
           ("python", QT_TRANSLATE_NOOP("TaskForm", "Python callable")),
           ("reminder", QT_TRANSLATE_NOOP("TaskForm", "Reminder message")))
REPEATS = (("none", QT_TRANSLATE_NOOP("TaskForm", "Does not repeat")),
           ("every", QT_TRANSLATE_NOOP("TaskForm", "Every (interval)")),
           ("cron", QT_TRANSLATE_NOOP("TaskForm", "Cron expression")))


def _named(widget: QWidget, name: str, description: str = "") -> QWidget:
    widget.setAccessibleName(name)
    if description:
        widget.setAccessibleDescription(description)
        widget.setToolTip(description)
    return widget


class TaskForm(QWidget):
    """Fields for one task; ``changed`` fires on every edit, ``error`` holds the current refusal."""

    changed = Signal()

    def __init__(self, engine: Engine, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.kind = Kind.IMMEDIATE
        self.scoped = False
        self.error: str | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

        what = QGroupBox(self.tr("What it runs"))
        form = QFormLayout(what)
        self.worker = QComboBox()
        for key, label in WORKERS:
            self.worker.addItem(self.tr(label), key)
        form.addRow(self.tr("Type"), _named(self.worker, self.tr("Work type"),
                                                 self.tr("What the task does: run a program, call Python, show a reminder")))
        self.program = QLineEdit()
        self.program.setPlaceholderText("/usr/bin/rsync")
        browse = QPushButton(self.tr("Browse…"))
        browse.clicked.connect(self._on_browse)
        _named(browse, self.tr("Choose a program file"), self.tr("Pick the program to run from a file dialog"))
        row = QHBoxLayout()
        row.addWidget(_named(self.program, self.tr("Program"), self.tr("The program to run: a path or a name on PATH")))
        row.addWidget(browse)
        self.program_row = QWidget()
        self.program_row.setLayout(row)
        row.setContentsMargins(0, 0, 0, 0)
        form.addRow(self.tr("Program"), self.program_row)
        self.arguments = QPlainTextEdit()
        self.arguments.setPlaceholderText(self.tr("one argument per line, no shell quoting needed"))
        self.arguments.setFixedHeight(70)
        self.arguments.setTabChangesFocus(True)  # Tab leaves the field; an argument never holds a tab
        form.addRow(self.tr("Arguments"), _named(self.arguments, self.tr("Arguments"), self.tr("One argument per line")))
        self.argv_preview = QLabel()
        self.argv_preview.setWordWrap(True)
        form.addRow("", _named(self.argv_preview, self.tr("Command preview"),
                                    self.tr("The command exactly as it will run, program and arguments")))
        self.callable = QLineEdit()
        self.callable.setPlaceholderText("package.module:function")
        form.addRow(self.tr("Callable"), _named(self.callable, self.tr("Python callable"), "package.module:function"))
        self.message = QLineEdit()
        form.addRow(self.tr("Message"), _named(self.message, self.tr("Reminder message"),
                                                         self.tr("The words the reminder shows")))
        self._what_form = form
        layout.addWidget(what)

        when = QGroupBox(self.tr("When"))
        wform = QFormLayout(when)
        self.at = QDateTimeEdit()
        self.at.setCalendarPopup(True)
        self.at.setDisplayFormat("yyyy-MM-dd HH:mm:ss")
        self.at.setDateTime(QDateTime.currentDateTime().addSecs(3600))
        wform.addRow(self.tr("At"), _named(self.at, self.tr("Alarm time"), self.tr("The local date and time the alarm fires")))
        self.delay = QLineEdit()
        self.delay.setPlaceholderText(self.tr("e.g. 10m or 1h30m; empty: as soon as possible"))
        wform.addRow(self.tr("Delay"), _named(self.delay, self.tr("Delay"), self.tr("How long to wait before it may run")))
        self.repeat = QComboBox()
        for key, label in REPEATS:
            self.repeat.addItem(self.tr(label), key)
        self.repeat_value = QLineEdit()
        rrow = QHBoxLayout()
        rrow.setContentsMargins(0, 0, 0, 0)
        rrow.addWidget(_named(self.repeat, self.tr("Repeat rule"), self.tr("Whether and how the task repeats")))
        rrow.addWidget(_named(self.repeat_value, self.tr("Repeat value"), self.tr("An interval such as 1h, or a cron expression")))
        self.repeat_row = QWidget()
        self.repeat_row.setLayout(rrow)
        wform.addRow(self.tr("Repeat"), self.repeat_row)
        self.missed = QComboBox()
        for policy in MissedPolicy:
            self.missed.addItem(MISSED_WORDS[policy.value], policy)
        wform.addRow(self.tr("If the computer was off"), _named(
            self.missed, self.tr("If the alarm was missed"), self.tr("What happens to alarm times that passed while Workdeck "
                    "was not running")))
        self._when_form = wform
        layout.addWidget(when)
        self.when_box = when

        self.conditions_box = QGroupBox(self.tr("Conditions and retries"))
        cform = QFormLayout(self.conditions_box)
        # Rows wrap instead of scrolling sideways: the form fits an 800x600 screen.
        cform.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        crow = QGridLayout()
        self.constraints: dict[Constraint, QCheckBox] = {}
        for i, constraint in enumerate(Constraint):
            box = QCheckBox(CONSTRAINT_WORDS[constraint.value])
            _named(box, self.tr("Only when: {condition}").format(condition=CONSTRAINT_WORDS[constraint.value]),
                   self.tr("The task runs only while this holds, and waits otherwise"))
            self.constraints[constraint] = box
            crow.addWidget(box, i // 2, i % 2)
        self.constraints_row = QWidget()
        self.constraints_row.setLayout(crow)
        crow.setContentsMargins(0, 0, 0, 0)
        cform.addRow(self.tr("Only when"), self.constraints_row)
        self.after = ChainPicker(engine)
        self.after.changed.connect(self._on_edit)
        cform.addRow(self.tr("Run after"), self.after)
        self.retries = QSpinBox()
        self.retries.setRange(0, 100)
        self.retries.setValue(0)
        self.retries.setSuffix(self.tr(" times"))
        self.retries.setSpecialValueText(self.tr("never"))
        cform.addRow(self.tr("Retry after failure"), _named(self.retries, self.tr("Retry after failure"), self.tr("How many times a "
                                                           "failed run is tried again")))
        self.backoff = QComboBox()
        for backoff in Backoff:
            self.backoff.addItem(BACKOFF_WORDS[backoff.value], backoff)
        self.backoff.setCurrentIndex(list(Backoff).index(Backoff.EXPONENTIAL))
        self.backoff_delay = QLineEdit("30s")
        self.backoff_delay.setMaximumWidth(90)
        wait_row = QHBoxLayout()
        wait_row.setContentsMargins(0, 0, 0, 0)
        wait_row.addWidget(QLabel(self.tr("first")))
        wait_row.addWidget(_named(self.backoff_delay, self.tr("First wait before a retry"),
                                    self.tr("How long to wait before the first retry, e.g. 30s")))
        wait_row.addWidget(QLabel(self.tr("then")))
        wait_row.addWidget(_named(self.backoff, self.tr("How the wait grows between retries"),
                                    self.tr("Each later retry waits a little longer, or twice as long")), 1)
        self.retry_wait_row = QWidget()
        self.retry_wait_row.setLayout(wait_row)
        cform.addRow(self.tr("Wait before retrying"), self.retry_wait_row)
        self.timeout = QLineEdit()
        self.timeout.setPlaceholderText(self.tr("empty: no limit"))
        cform.addRow(self.tr("Stop after"), _named(self.timeout, self.tr("Stop after"), self.tr("Stop a run after this long; it counts as a "
                                                  "failure")))
        self._conditions_form = cform
        layout.addWidget(self.conditions_box)

        ident = QGroupBox(self.tr("Name and tags"))
        iform = QFormLayout(ident)
        iform.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("optional; one task per name"))
        iform.addRow(self.tr("Name"), _named(self.name, self.tr("Name"), self.tr("Optional. Only one waiting task may have a name")))
        self.policy = QComboBox()
        for policy in UniquePolicy:
            self.policy.addItem(POLICY_WORDS[policy.value], policy)
        iform.addRow(self.tr("If a task with this name exists"), _named(self.policy, self.tr("If a task with this name exists"),
                                    self.tr("What to do when a waiting task already has this name")))
        self.tags = QLineEdit()
        self.tags.setPlaceholderText(self.tr("comma separated"))
        iform.addRow(self.tr("Tags"), _named(self.tags, self.tr("Tags"),
                                                   self.tr("Words to find and filter the task by, separated by commas")))
        layout.addWidget(ident)

        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: palette(link);")  # readable on light and dark
        _named(self.error_label, self.tr("Validation message"),
               self.tr("What must change before the task can be created"))
        layout.addWidget(self.error_label)
        layout.addStretch()

        for signal in (
            self.program.textChanged, self.arguments.textChanged, self.callable.textChanged,
            self.message.textChanged, self.at.dateTimeChanged, self.delay.textChanged,
            self.repeat_value.textChanged, self.retries.valueChanged, self.backoff_delay.textChanged,
            self.timeout.textChanged, self.name.textChanged, self.tags.textChanged,
        ):
            signal.connect(self._on_edit)
        for combo in (self.worker, self.repeat, self.missed, self.backoff, self.policy):
            combo.currentIndexChanged.connect(self._on_edit)
        for box in self.constraints.values():
            box.toggled.connect(self._on_edit)
        self.set_kind(Kind.IMMEDIATE)

    # ------------------------------------------------------------ layout by kind

    def set_kind(self, kind: Kind, *, scoped: bool = False) -> None:
        self.kind, self.scoped = kind, scoped
        exact, deferred = kind is Kind.EXACT, kind is Kind.DEFERRED
        self._when_form.setRowVisible(self.at, exact)
        self._when_form.setRowVisible(self.missed, exact)
        self._when_form.setRowVisible(self.delay, deferred)
        self._when_form.setRowVisible(self.repeat_row, exact or deferred)
        self.when_box.setVisible(exact or deferred)
        self._conditions_form.setRowVisible(self.constraints_row, deferred)
        self._conditions_form.setRowVisible(self.after, deferred)  # a chain waits: work for later
        # Work that belongs to a window is not retried: it ends with the window.
        self._conditions_form.setRowVisible(self.retries, not scoped)
        self._conditions_form.setRowVisible(self.retry_wait_row, not scoped)
        self.conditions_box.setTitle(self.tr("Conditions and retries") if deferred
                                     else self.tr("Retries and limits") if not scoped else self.tr("Limits"))
        self._offer_workers(exact)
        self._on_edit()

    def _offer_workers(self, exact: bool) -> None:
        """A reminder is something shown at a time: offered for alarms only."""
        has_reminder = self.worker.findData("reminder") >= 0
        if exact and not has_reminder:
            self.worker.addItem(self.tr(dict(WORKERS)["reminder"]), "reminder")
        elif not exact and has_reminder:
            if self.worker.currentData() == "reminder":
                self.worker.setCurrentIndex(0)
            self.worker.removeItem(self.worker.findData("reminder"))

    def first_field(self) -> QWidget:
        """The first field a person fills in for this kind of work (where focus starts)."""
        return {"shell": self.program, "python": self.callable, "reminder": self.message}.get(
            self.worker.currentData(), self.worker)

    def _sync_worker_rows(self) -> None:
        worker = self.worker.currentData()
        self._what_form.setRowVisible(self.program_row, worker == "shell")
        self._what_form.setRowVisible(self.arguments, worker == "shell")
        self._what_form.setRowVisible(self.argv_preview, worker == "shell")
        self._what_form.setRowVisible(self.callable, worker == "python")
        self._what_form.setRowVisible(self.message, worker == "reminder")
        self.repeat_value.setEnabled(self.repeat.currentData() != "none")
        placeholder = {"every": self.tr("e.g. 1h or 1d"), "cron": self.tr("e.g. 0 8 * * 1-5")}.get(self.repeat.currentData(), "")
        self.repeat_value.setPlaceholderText(placeholder)

    def _on_browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Choose a program"))
        if path:
            self.program.setText(path)

    def _on_edit(self) -> None:
        self._sync_worker_rows()
        self.argv_preview.setText(shlex.join(self.argv()) if self.argv() else "")
        try:
            self.build_spec()
        except BadInputError as exc:
            self.error = form_refusal(str(exc))
        else:
            self.error = None
        self.error_label.setText(self.error or "")
        self.changed.emit()

    # ------------------------------------------------------------ reading the fields

    def argv(self) -> list[str]:
        program = self.program.text().strip()
        args = [line for line in self.arguments.toPlainText().split("\n") if line != ""]
        return [program, *args] if program or args else []

    def _args(self) -> tuple[str, ...]:
        worker = self.worker.currentData()
        if worker == "shell":
            return tuple(self.argv())
        if worker == "python":
            return (self.callable.text().strip(),) if self.callable.text().strip() else ()
        return (self.message.text(),)

    def _duration(self, field: QLineEdit) -> float | None:
        value = field.text().strip()
        return parse_duration(value) if value else None

    def _schedule(self) -> Schedule | None:
        if self.kind is Kind.IMMEDIATE:
            return None
        rule, value = self.repeat.currentData(), self.repeat_value.text().strip()
        if rule == "every":
            if not value:
                raise BadInputError(self.tr("give the repeat interval, e.g. 1h"))
            return Schedule(every=parse_duration(value))
        if rule == "cron":
            if not value:
                raise BadInputError(self.tr("give the cron expression, e.g. 0 8 * * 1-5"))
            return Schedule(cron=value)
        return None

    def build_spec(self) -> TaskSpec:
        """The spec the fields describe; raises :class:`BadInputError` with the engine's reason."""
        now = self.engine.clock.now()
        run_at: datetime | None = None
        if self.kind is Kind.EXACT:
            run_at = datetime.fromtimestamp(self.at.dateTime().toMSecsSinceEpoch() / 1000, UTC)
        elif self.kind is Kind.DEFERRED:
            delay = self._duration(self.delay)
            run_at = now + timedelta(seconds=delay) if delay else None
        tags = {t.strip() for t in self.tags.text().split(",") if t.strip()}
        if self.scoped:
            tags.add(SCOPED_TAG)
        spec = TaskSpec(
            worker=self.worker.currentData(),
            args=self._args(),
            kind=self.kind,
            name=self.name.text().strip() or None,
            policy=self.policy.currentData(),
            tags=tuple(tags),
            retry=RetryPolicy(
                max_retries=self.retries.value(),
                backoff=self.backoff.currentData(),
                delay=self._duration(self.backoff_delay) or 0.0,
            ),
            timeout=self._duration(self.timeout),
            constraints=tuple(c for c, box in self.constraints.items() if box.isChecked())
            if self.kind is Kind.DEFERRED else (),
            after=self.after.parents() if self.kind is Kind.DEFERRED else (),
            run_at=run_at,
            schedule=self._schedule(),
            missed=self.missed.currentData() if self.kind is Kind.EXACT else MissedPolicy.FIRE_ONCE,
        )
        self.engine.validate(spec)
        return spec

    # ------------------------------------------------------------ edit: fill from a spec

    def load(self, spec: TaskSpec) -> None:
        self._offer_workers(spec.kind is Kind.EXACT)
        self.worker.setCurrentIndex(max(0, self.worker.findData(spec.worker)))
        if spec.worker == "shell" and spec.args:
            self.program.setText(spec.args[0])
            self.arguments.setPlainText("\n".join(spec.args[1:]))
        elif spec.worker == "python" and spec.args:
            self.callable.setText(spec.args[0])
        elif spec.worker == "reminder" and spec.args:
            self.message.setText(spec.args[0])
        now = self.engine.clock.now()
        if spec.kind is Kind.EXACT and spec.run_at:
            self.at.setDateTime(QDateTime.fromMSecsSinceEpoch(int(spec.run_at.timestamp() * 1000)))
        elif spec.kind is Kind.DEFERRED and spec.run_at and spec.run_at > now:
            self.delay.setText(format_duration((spec.run_at - now).total_seconds()))
        if spec.schedule and spec.schedule.every is not None:
            self.repeat.setCurrentIndex(1)
            self.repeat_value.setText(format_duration(spec.schedule.every))
        elif spec.schedule and spec.schedule.cron:
            self.repeat.setCurrentIndex(2)
            self.repeat_value.setText(spec.schedule.cron)
        self.missed.setCurrentIndex(list(MissedPolicy).index(spec.missed))
        for constraint, box in self.constraints.items():
            box.setChecked(constraint in spec.constraints)
        self.after.set_parents(spec.after)
        self.retries.setValue(spec.retry.max_retries)
        self.backoff.setCurrentIndex(list(Backoff).index(spec.retry.backoff))
        self.backoff_delay.setText(format_duration(spec.retry.delay) if spec.retry.delay else "")
        self.timeout.setText(format_duration(spec.timeout) if spec.timeout else "")
        self.name.setText(spec.name or "")
        self.policy.setCurrentIndex(list(UniquePolicy).index(spec.policy))
        self.tags.setText(", ".join(t for t in spec.tags if t != SCOPED_TAG))
        self.set_kind(spec.kind, scoped=SCOPED_TAG in spec.tags)
