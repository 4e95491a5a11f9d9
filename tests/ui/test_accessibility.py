"""Every control a person can reach is named for assistive technology: checked through
Qt's own accessibility tree (what a screen reader reads over AT-SPI), not widget flags."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QAccessible

from tests.ui.helpers import run_task
from ui.main_window import MainWindow
from ui.new_task import NewTaskDialog

INTERACTIVE = {
    QAccessible.Role.PushButton, QAccessible.Role.CheckBox, QAccessible.Role.RadioButton,
    QAccessible.Role.ComboBox, QAccessible.Role.EditableText, QAccessible.Role.SpinBox, QAccessible.Role.Table,
    QAccessible.Role.Tree, QAccessible.Role.PageTabList, QAccessible.Role.Slider, QAccessible.Role.ButtonMenu,
}


def _unnamed(root: QAccessible, *, at_least: int = 1) -> list[str]:
    """The reachable controls without a name. ``at_least``: how many controls the walk
    must meet, so a tree that stopped being walked cannot pass by finding nothing."""
    missing, stack, seen = [], [QAccessible.queryAccessibleInterface(root)], 0
    while stack:
        node = stack.pop()
        if node is None or not node.isValid():
            continue
        state = node.state()
        seen += node.role() in INTERACTIVE and not state.invisible
        if node.role() in INTERACTIVE and not state.invisible and not node.text(QAccessible.Text.Name).strip():
            obj = node.object()
            missing.append(f"{node.role().name} {type(obj).__name__} {obj.objectName() if obj else ''}")
        if node.role() in (QAccessible.Role.Table, QAccessible.Role.Tree):
            continue  # cells are named by their text
        stack.extend(node.child(i) for i in range(node.childCount()))
    assert seen >= at_least, f"only {seen} controls found in the accessibility tree"
    return missing


def test_every_control_of_the_window_has_a_name(qtbot, engine, runner, clock) -> None:
    run_task(engine, runner, clock, 1, name="named")
    window = MainWindow(engine)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(window.details.isVisible, timeout=2_000)
    assert _unnamed(window, at_least=15) == []


@pytest.mark.parametrize("answers", [("exact",), ("start_now",), ()])
def test_every_control_of_the_new_task_dialog_has_a_name(qtbot, engine, answers) -> None:
    dialog = NewTaskDialog(engine)
    qtbot.addWidget(dialog)
    dialog.show()
    assert _unnamed(dialog) == []
    for key in ("exact", "start_now"):
        (dialog.decide.yes if key in answers else dialog.decide.no)[key].click()
        if key in answers:
            break
    dialog.next.click()
    assert _unnamed(dialog, at_least=6) == []
