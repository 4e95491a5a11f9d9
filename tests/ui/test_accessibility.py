"""Every control a person can reach is named and described for assistive technology:
checked through Qt's own accessibility tree (what a screen reader reads over AT-SPI), not
widget flags. And no outcome is told by colour alone: the table and the runs carry an
icon per outcome, the timeline a dark edge on failures and a hatch on missed alarms."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible
from PySide6.QtWidgets import QWidget

from tests.ui.helpers import run_task
from ui.main_window import MainWindow
from ui.new_task import NewTaskDialog

INTERACTIVE = {
    QAccessible.Role.PushButton, QAccessible.Role.CheckBox, QAccessible.Role.RadioButton,
    QAccessible.Role.ComboBox, QAccessible.Role.EditableText, QAccessible.Role.SpinBox, QAccessible.Role.Table,
    QAccessible.Role.Tree, QAccessible.Role.PageTabList, QAccessible.Role.Slider, QAccessible.Role.ButtonMenu,
}


def _interactive(node) -> bool:
    """A control: an interactive role, or any widget that takes keyboard focus (the
    timeline, a label whose links are reachable by keyboard)."""
    if node.state().invisible:
        return False
    if node.role() in INTERACTIVE:
        return True
    obj = node.object()
    return isinstance(obj, QWidget) and obj.focusPolicy() != Qt.FocusPolicy.NoFocus and obj.isEnabled()


def _unnamed(root: QAccessible, *, at_least: int = 1,
             text: QAccessible.Text = QAccessible.Text.Name) -> list[str]:
    """The reachable controls without a name (or ``text``: a description). ``at_least``:
    how many controls the walk must meet, so a tree that stopped being walked cannot
    pass by finding nothing."""
    missing, stack, seen = [], [QAccessible.queryAccessibleInterface(root)], 0
    while stack:
        node = stack.pop()
        if node is None or not node.isValid():
            continue
        interactive = _interactive(node)
        seen += interactive
        if node.role() is QAccessible.Role.PageTabList and text is QAccessible.Text.Description:
            # Qt's tab bar gives itself no description: each tab must have one (its tooltip).
            tabs = [node.child(i) for i in range(node.childCount())]
            tabs = [t for t in tabs if t is not None and t.role() is QAccessible.Role.PageTab]
            missing += [f"PageTab {t.text(QAccessible.Text.Name)}" for t in tabs if not t.text(text).strip()]
            assert tabs, "a tab bar without tabs in the accessibility tree"
            continue
        if interactive and not node.text(text).strip():
            obj = node.object()
            missing.append(f"{node.role().name} {type(obj).__name__} {obj.objectName() if obj else ''}")
        if node.role() in (QAccessible.Role.Table, QAccessible.Role.Tree):
            continue  # cells are named by their text
        stack.extend(node.child(i) for i in range(node.childCount()))
    assert seen >= at_least, f"only {seen} controls found in the accessibility tree"
    return missing


def test_every_control_of_the_window_has_a_name(qtbot, engine, runner, clock) -> None:
    named = run_task(engine, runner, clock, 1, name="named")
    window = MainWindow(engine)
    qtbot.addWidget(window)
    window.show()
    window.select_task(named.id)  # the details pane shows a selected task at any width
    qtbot.waitUntil(window.details.isVisible, timeout=2_000)
    assert _unnamed(window, at_least=15) == []
    assert _unnamed(window, at_least=15, text=QAccessible.Text.Description) == []


@pytest.mark.parametrize("answers", [("exact",), ("start_now",), ()])
def test_every_control_of_the_new_task_dialog_has_a_name(qtbot, engine, answers) -> None:
    dialog = NewTaskDialog(engine)
    qtbot.addWidget(dialog)
    dialog.show()
    assert _unnamed(dialog) == []
    assert _unnamed(dialog, text=QAccessible.Text.Description) == []
    for key in ("exact", "start_now"):
        (dialog.decide.yes if key in answers else dialog.decide.no)[key].click()
        if key in answers:
            break
    dialog.next.click()
    assert _unnamed(dialog, at_least=6) == []
    assert _unnamed(dialog, at_least=6, text=QAccessible.Text.Description) == []


def _shape(icon, size: int = 32) -> list[tuple[bool, bool]]:
    """Where an icon is opaque, and where it is white: its shape, whatever its colour."""
    image = icon.pixmap(size, size).toImage()
    pixels = [image.pixelColor(x, y) for y in range(image.height()) for x in range(image.width())]
    return [(c.alpha() > 128, c.alpha() > 128 and c.lightness() > 220) for c in pixels]


def test_each_outcome_has_its_own_shape_in_the_table_and_the_runs(qtbot, engine, runner, clock) -> None:
    from engine.model import Outcome
    from ui import style
    from ui.run_history import OUTCOME
    from ui.task_table import LAST_OUTCOME, TASK_ID_ROLE

    shapes = {key: _shape(style.outcome_icon(key)) for key in style.OUTCOME_LABELS}
    assert all(any(a for a, _ in s) for s in shapes.values())
    keys = list(shapes)
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            differ = sum(x != y for x, y in zip(shapes[a], shapes[b]))
            assert differ > 40, f"{a} and {b} differ only by colour ({differ} pixels of shape)"
    ok = run_task(engine, runner, clock, 1, Outcome.SUCCEEDED, name="ok")
    bad = run_task(engine, runner, clock, 1, Outcome.FAILED, name="bad")
    window = MainWindow(engine)
    qtbot.addWidget(window)
    model = window.table.model()
    shown = {}
    for row in range(model.rowCount()):
        index = model.index(row, LAST_OUTCOME)
        shown[index.siblingAtColumn(0).data(TASK_ID_ROLE)] = index.data(Qt.ItemDataRole.DecorationRole)
    assert _shape(shown[ok.id]) == shapes["succeeded"] and _shape(shown[bad.id]) == shapes["failed"]
    window.select_task(bad.id)
    icon = window.details.history.index(0, OUTCOME).data(Qt.ItemDataRole.DecorationRole)
    assert _shape(icon) == shapes["failed"]


def test_a_failed_bar_differs_from_a_succeeded_one_in_grayscale(qtbot, engine, runner, clock) -> None:
    """The timeline: a failed run carries a dark top edge, so it reads without colour."""
    from engine.clock import to_us
    from engine.model import Kind, Outcome
    from ui.timeline import task_key
    from ui.timeline.density import MARK_HEIGHT

    ok = run_task(engine, runner, clock, 30, Outcome.SUCCEEDED, name="ok")
    bad = run_task(engine, runner, clock, 30, Outcome.FAILED, name="bad")
    clock.advance(5)
    window = MainWindow(engine)
    window.resize(1100, 750)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    view = window.timeline_view
    view.timeline.expanded.add(Kind.IMMEDIATE)
    view.timeline.rows_changed.emit()
    qtbot.waitUntil(lambda: view.row_rect(task_key(bad.id)) is not None)
    image = view.grab().toImage()

    def gray(task, dy: int) -> int:
        (run,) = engine.task(task.id).runs
        x = round((view.x_for(to_us(run.started_at)) + view.x_for(to_us(run.ended_at))) / 2)
        top = view.row_rect(task_key(task.id)).top() + 3  # a task row's bars start 3 px below its top
        return image.pixelColor(x, top + dy).lightness()

    assert gray(bad, 0) < gray(bad, MARK_HEIGHT + 2) - 40  # a dark edge over the failed bar
    assert abs(gray(ok, 0) - gray(ok, MARK_HEIGHT + 2)) < 10  # none on the succeeded one


def test_every_control_of_the_empty_window_has_a_name_and_a_description(qtbot, engine) -> None:
    window = MainWindow(engine)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(window.empty_state.isVisible, timeout=2_000)
    assert _unnamed(window, at_least=8) == []
    assert _unnamed(window, at_least=8, text=QAccessible.Text.Description) == []
