"""Creating each kind through the New Task dialog by clicking and typing real widgets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QDateTime, Qt

from engine.errors import BadInputError
from engine.model import Constraint, Kind, Schedule, State, TaskSpec
from engine.timeparse import parse_duration
from ui.new_task import NewTaskDialog
from ui.task_form import SCOPED_TAG
from ui.refusals import form_refusal


@pytest.fixture
def dialog(qtbot, engine):
    dlg = NewTaskDialog(engine)
    qtbot.addWidget(dlg)
    dlg.show()
    return dlg


def answer(qtbot, dlg: NewTaskDialog, *answers: bool) -> None:
    for key, yes in zip(("exact", "start_now", "survive"), answers):
        button = dlg.decide.yes[key] if yes else dlg.decide.no[key]
        assert button.isVisible(), f"question {key} should be asked"
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert dlg.next.isEnabled()
    qtbot.mouseClick(dlg.next, Qt.MouseButton.LeftButton)
    assert dlg.pages.currentIndex() == 1


def create(qtbot, dlg: NewTaskDialog) -> None:
    assert dlg.form.error is None, dlg.form.error
    assert dlg.create.isEnabled()
    qtbot.mouseClick(dlg.create, Qt.MouseButton.LeftButton)
    assert dlg.created is not None


@pytest.mark.parametrize(
    ("answers", "label", "kind"),
    [
        ((True,), "At a set time.", Kind.EXACT),
        ((False, True, False), "Now, while this window is open.", Kind.IMMEDIATE),
        ((False, True, True), "Now, and keep going.", Kind.IMMEDIATE),
        ((False, False), "Later, in the queue.", Kind.DEFERRED),
    ],
)
def test_the_decision_trees_four_paths(qtbot, dialog, answers, label, kind) -> None:
    assert not dialog.next.isEnabled()
    assert not dialog.decide.yes["start_now"].isVisible()  # asked only after a "no"
    for key, yes in zip(("exact", "start_now", "survive"), answers):
        qtbot.mouseClick(dialog.decide.yes[key] if yes else dialog.decide.no[key], Qt.MouseButton.LeftButton)
    answer_text = dialog.decide.answer.text()
    assert label in answer_text
    assert answer_text.split("</b> ", 1)[1].count(". ") == 0  # the kind, then one sentence why
    assert dialog.next.isEnabled()
    assert dialog.form.kind is kind
    if answers[0]:
        assert not dialog.decide.yes["start_now"].isVisible()  # the first "yes" decides


def test_create_keep_running_command(qtbot, dialog, engine, runner) -> None:
    answer(qtbot, dialog, False, True, True)
    form = dialog.form
    assert not dialog.create.isEnabled()  # no command yet
    assert "needs a command" in form.error_label.text()
    qtbot.keyClicks(form.program, "/bin/echo")
    qtbot.keyClicks(form.arguments, "hello world")
    form.arguments.appendPlainText("two")
    assert form.argv_preview.text() == "/bin/echo 'hello world' two"
    qtbot.keyClicks(form.name, "greet")
    qtbot.keyClicks(form.tags, "a, b")
    create(qtbot, dialog)
    task = engine.task(dialog.created.id)
    assert task.kind is Kind.IMMEDIATE and task.spec.args == ("/bin/echo", "hello world", "two")
    assert task.name == "greet" and task.spec.tags == ("a", "b")
    assert task.state is State.RUNNING and task.id in runner.jobs


def test_create_scoped_python_callable(qtbot, dialog, engine) -> None:
    answer(qtbot, dialog, False, True, False)
    form = dialog.form
    form.worker.setCurrentIndex(form.worker.findData("python"))
    assert form.callable.isVisible() and not form.program.isVisible()
    qtbot.keyClicks(form.callable, "not a callable")
    assert not dialog.create.isEnabled()
    form.callable.clear()
    qtbot.keyClicks(form.callable, "json:dumps")
    create(qtbot, dialog)
    task = engine.task(dialog.created.id)
    assert task.spec.worker == "python" and task.spec.args == ("json:dumps",)
    assert SCOPED_TAG in task.spec.tags


def test_create_exact_reminder_with_repeat(qtbot, dialog, engine, clock) -> None:
    answer(qtbot, dialog, True)
    form = dialog.form
    assert form.at.isVisible() and not form.delay.isVisible()
    form.worker.setCurrentIndex(form.worker.findData("reminder"))
    qtbot.keyClicks(form.message, "stand up")
    when = datetime(2026, 1, 5, 14, 30, tzinfo=UTC)
    form.at.setDateTime(QDateTime.fromMSecsSinceEpoch(int(when.timestamp() * 1000)))
    form.repeat.setCurrentIndex(form.repeat.findData("every"))
    assert not dialog.create.isEnabled()  # an interval is needed now
    qtbot.keyClicks(form.repeat_value, "1d")
    create(qtbot, dialog)
    task = engine.task(dialog.created.id)
    assert task.kind is Kind.EXACT and task.state is State.SCHEDULED
    assert task.spec.run_at == when and task.spec.schedule.every == 86400
    assert task.spec.args == ("stand up",)


def test_create_deferred_with_constraints_retries_and_cron(qtbot, dialog, engine, clock) -> None:
    answer(qtbot, dialog, False, False)
    form = dialog.form
    assert form.delay.isVisible() and form.constraints[Constraint.NETWORK].isVisible()
    qtbot.keyClicks(form.program, "rsync")
    qtbot.keyClicks(form.delay, "10m")
    qtbot.mouseClick(form.constraints[Constraint.AC_POWER], Qt.MouseButton.LeftButton)
    form.retries.setValue(3)
    form.backoff_delay.clear()
    qtbot.keyClicks(form.backoff_delay, "1m")
    form.repeat.setCurrentIndex(form.repeat.findData("cron"))
    qtbot.keyClicks(form.repeat_value, "0 8 * * 1-5")
    qtbot.keyClicks(form.timeout, "1h")
    create(qtbot, dialog)
    task = engine.task(dialog.created.id)
    assert task.kind is Kind.DEFERRED and task.state is State.ENQUEUED
    assert task.spec.run_at == clock.now() + timedelta(minutes=10)
    assert task.spec.constraints == (Constraint.AC_POWER,)
    assert task.spec.retry.max_retries == 3 and task.spec.retry.delay == 60
    assert task.spec.schedule.cron == "0 8 * * 1-5" and task.spec.timeout == 3600


@pytest.mark.parametrize(
    ("field", "typed", "expected"),
    [
        ("delay", "10x", lambda: parse_duration("10x")),
        ("timeout", "0s", lambda: TaskSpec("shell", ("x",), timeout=parse_duration("0s"))),
        ("repeat_value", "not cron", None),
    ],
)
def test_refuses_what_the_engine_refuses_with_its_words(qtbot, dialog, engine, field, typed, expected) -> None:
    answer(qtbot, dialog, False, False)
    form = dialog.form
    qtbot.keyClicks(form.program, "rsync")
    assert dialog.create.isEnabled()
    if field == "repeat_value":
        form.repeat.setCurrentIndex(form.repeat.findData("cron"))
    qtbot.keyClicks(getattr(form, field), typed)
    assert not dialog.create.isEnabled()
    if expected is None:
        spec = TaskSpec("shell", ("rsync",), kind=Kind.DEFERRED, schedule=Schedule(cron=typed))
        with pytest.raises(BadInputError) as refused:
            engine.validate(spec)
    else:
        with pytest.raises(BadInputError) as refused:
            expected()
    assert form.error_label.text() == form_refusal(str(refused.value)) != str(refused.value)
    assert engine.tasks() == []  # nothing written


@pytest.mark.parametrize(("answers", "worker", "expected"), [
    ((False, False), "shell", "A shell task needs a command: fill in Program"),
    ((True,), "reminder", "A reminder needs a message"),
])
def test_the_form_refuses_in_its_own_words(qtbot, dialog, answers, worker, expected) -> None:
    answer(qtbot, dialog, *answers)
    dialog.form.worker.setCurrentIndex(dialog.form.worker.findData(worker))
    shown = dialog.form.error_label.text()
    assert shown == expected
    assert "--" not in shown and "workdeck" not in shown
    assert not dialog.create.isEnabled()
    assert dialog.form.retries.minimum() == 0  # a negative count cannot even be typed


def test_each_kind_shows_only_the_fields_it_uses(qtbot, dialog) -> None:
    answer(qtbot, dialog, False, True, False)  # now, with this window
    form = dialog.form
    assert form.worker.findData("reminder") == -1, "a reminder is an alarm: not offered for work that runs now"
    shown = lambda widget: widget.isVisibleTo(form)  # noqa: E731 - whichever page is current
    assert not shown(form.retries) and not shown(form.constraints_row) and not shown(form.when_box)
    dialog._go(0)
    qtbot.mouseClick(dialog.decide.yes["survive"], Qt.MouseButton.LeftButton)  # now, and keep going
    assert shown(form.retries) and form.worker.findData("reminder") == -1
    qtbot.mouseClick(dialog.decide.yes["exact"], Qt.MouseButton.LeftButton)
    assert form.worker.findData("reminder") >= 0 and shown(form.at)


def test_edit_reuses_the_form(qtbot, engine, clock) -> None:
    spec = TaskSpec("shell", ("rsync", "-a"), kind=Kind.DEFERRED, run_at=clock.now() + timedelta(minutes=30),
                    name="sync", tags=("t",), constraints=(Constraint.NETWORK,))
    old = engine.enqueue(spec)
    dlg = NewTaskDialog(engine, spec=spec, mode="edit")
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.pages.currentIndex() == 1 and not dlg.back.isVisible()
    form = dlg.form
    assert form.program.text() == "rsync" and form.arguments.toPlainText() == "-a"
    assert form.delay.text() == "30m" and form.constraints[Constraint.NETWORK].isChecked()
    assert form.name.text() == "sync" and form.tags.text() == "t"
    form.arguments.setPlainText("-av")
    qtbot.mouseClick(dlg.create, Qt.MouseButton.LeftButton)
    assert dlg.created is None  # the caller applies an edit
    assert dlg.spec.args == ("rsync", "-av") and dlg.spec.constraints == (Constraint.NETWORK,)
    assert engine.task(old.id).state is State.ENQUEUED


def test_the_wizard_by_keyboard_alone(qtbot, dialog, engine) -> None:
    from PySide6.QtWidgets import QApplication

    dialog.activateWindow()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is dialog.decide.yes["exact"], timeout=2_000)
    focus = QApplication.focusWidget
    # An arrow key picks the other answer, as in any radio group.
    qtbot.keyClick(focus(), Qt.Key.Key_Right)
    assert dialog.decide.no["exact"].isChecked() and focus() is dialog.decide.no["exact"]
    qtbot.keyClick(focus(), Qt.Key.Key_Tab)
    assert focus() in (dialog.decide.yes["start_now"], dialog.decide.no["start_now"])
    qtbot.keyClick(focus(), Qt.Key.Key_Down)
    assert dialog.decide.no["start_now"].isChecked() != dialog.decide.yes["start_now"].isChecked()
    if dialog.decide.yes["start_now"].isChecked():
        qtbot.keyClick(focus(), Qt.Key.Key_Up)
    assert dialog.decide.no["start_now"].isChecked()
    assert dialog.form.kind is Kind.DEFERRED
    # Return presses Next; the form starts at its first field, not on a button.
    qtbot.keyClick(focus(), Qt.Key.Key_Return)
    assert dialog.pages.currentIndex() == 1
    assert focus() is dialog.form.program
    qtbot.keyClicks(focus(), "make")
    qtbot.keyClick(focus(), Qt.Key.Key_Tab)
    assert focus().accessibleName() == "Choose a program file"  # Browse…, beside the program
    qtbot.keyClick(focus(), Qt.Key.Key_Tab)
    assert focus() is dialog.form.arguments
    qtbot.keyClicks(focus(), "all")
    qtbot.keyClick(focus(), Qt.Key.Key_Tab)  # leaves the multi-line field, types no tab
    assert focus() is not dialog.form.arguments
    assert dialog.form.arguments.toPlainText() == "all"
    qtbot.keyClick(focus(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    (task,) = engine.tasks()
    assert task.kind is Kind.DEFERRED and task.spec.args == ("make", "all")
    assert not dialog.isVisible()


def test_return_in_the_form_creates_and_never_cancels(qtbot, dialog, engine) -> None:
    answer(qtbot, dialog, False, False)
    qtbot.keyClicks(dialog.form.program, "true")
    dialog.form.delay.setFocus()
    qtbot.keyClicks(dialog.form.delay, "5m")
    qtbot.keyClick(dialog.form.delay, Qt.Key.Key_Return)
    assert dialog.created is not None and engine.task(dialog.created.id).spec.args == ("true",)


def test_run_after_picks_parents_by_name_and_makes_a_chain(qtbot, dialog, engine, clock) -> None:
    build = engine.enqueue(TaskSpec("shell", ("make",), kind=Kind.DEFERRED, name="build the site",
                                    run_at=clock.now() + timedelta(hours=1)))
    engine.enqueue(TaskSpec("shell", ("true",), kind=Kind.DEFERRED, name="unrelated",
                            run_at=clock.now() + timedelta(hours=1)))
    answer(qtbot, dialog, False, False)
    form = dialog.form
    assert form.after.isVisible()
    qtbot.keyClicks(form.program, "publish")
    qtbot.keyClicks(form.after.search.lineEdit(), "the site")
    qtbot.mouseClick(form.after.add, Qt.MouseButton.LeftButton)
    assert form.after.parents() == (build.id,)
    assert "build the site" in form.after.list.item(0).text()
    create(qtbot, dialog)
    child = engine.task(dialog.created.id)
    assert child.spec.after == (build.id,) and child.state is State.BLOCKED


def test_edit_shows_the_parents_by_name(qtbot, engine, clock) -> None:
    parent = engine.enqueue(TaskSpec("shell", ("make",), kind=Kind.DEFERRED, name="build",
                                     run_at=clock.now() + timedelta(hours=1)))
    spec = TaskSpec("shell", ("publish",), kind=Kind.DEFERRED, after=(parent.id,))
    engine.enqueue(spec)
    dlg = NewTaskDialog(engine, spec=spec, mode="edit")
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.form.after.parents() == (parent.id,)
    assert dlg.form.after.list.item(0).text().startswith("build")
    dlg.form.after.list.setCurrentRow(0)
    qtbot.mouseClick(dlg.form.after.remove, Qt.MouseButton.LeftButton)
    assert dlg.form.after.parents() == ()
