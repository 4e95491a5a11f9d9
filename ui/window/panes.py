"""The main window's panes and their arrangement: what the user arranged, kept between
runs (``layout_state``, ``restore_layout``); the details beside the table on a wide
window, under it on a narrow one; F6 and Shift+F6 from pane to pane."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication, QWidget

from ui.timeline import FOLLOW_AT

if TYPE_CHECKING:
    from PySide6.QtWidgets import QLineEdit, QSplitter, QStackedWidget, QTableView

    from ui.details import DetailsPane
    from ui.empty_state import EmptyState
    from ui.timeline import TimelineView

#: Below this width of the panes the details go under the table instead of beside it.
NARROW_WIDTH = 1000


class WindowPanes:
    """Mixed into :class:`ui.main_window.MainWindow`, a QMainWindow, which makes the panes."""

    timeline_view: TimelineView
    table: QTableView
    search: QLineEdit
    details: DetailsPane
    table_pages: QStackedWidget
    empty_state: EmptyState
    panes: tuple[QWidget, ...]
    _splitters: tuple[QSplitter, QSplitter]
    _narrow: bool

    def layout_state(self) -> dict[str, Any]:
        """What the user arranged, for the next run: size and place, the splitters, the
        table's columns and sort, the timeline's zoom and Follow-now."""
        upper, lower = self._splitters
        start, end = self.timeline_view.visible_range()
        return {
            "geometry": self.saveGeometry(),
            "splitter_upper": upper.saveState(),
            "splitter_lower": lower.saveState(),
            "table_header": self.table.horizontalHeader().saveState(),
            "timeline_span": end - start,
            "follow_now": self.timeline_view.follow_now,
        }

    def restore_layout(self, state: dict[str, Any]) -> None:
        """Apply what :meth:`layout_state` gave; a missing or unreadable part keeps its default."""
        upper, lower = self._splitters
        for key, restore in (("geometry", self.restoreGeometry), ("splitter_upper", upper.restoreState),
                             ("splitter_lower", lower.restoreState),
                             ("table_header", self.table.horizontalHeader().restoreState)):
            if isinstance(state.get(key), QByteArray):
                restore(state[key])
        span = state.get("timeline_span")
        if isinstance(span, (int, float)) and span > 0:
            view = self.timeline_view
            follow = bool(state.get("follow_now", True))
            start = view.timeline.now_us() - span * FOLLOW_AT if follow else view.visible_range()[0]
            view.set_range(start, span, follow=follow)

    def focus_pane(self, step: int) -> QWidget | None:
        """Focus the next (+1) or previous (-1) pane after the one holding the focus."""
        focused = QApplication.focusWidget()
        current = next((i for i, pane in enumerate(self.panes)
                        if focused is not None and (focused is pane or pane.isAncestorOf(focused))), -1)
        for offset in range(1, len(self.panes) + 1):
            target = _focusable_in(self.panes[(current + step * offset) % len(self.panes)])
            if target is not None:
                target.setFocus(Qt.FocusReason.OtherFocusReason)
                return target
        return None

    def _focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        # The panes' own width, not the window's: a dock beside them (the Reminders dock
        # opens at start with an unanswered reminder) left a 1280 px window's table
        # 390 px, scrolling sideways beside an empty details pane (seen under Xvfb).
        # A window deleted later than its Python side still sends its last events, through
        # a bare wrapper with no attributes (as ui/window_behaviour.py found).
        splitters = getattr(self, "_splitters", None)
        if splitters is not None and watched is splitters[0] and event.type() == QEvent.Type.Resize:
            self._fit_width(splitters[0].width())
        return super().eventFilter(watched, event)  # type: ignore[misc]

    def _fit_width(self, width: int) -> None:
        """Narrow panes stack the details under the table and show the details'
        buttons as icons (their names stay as tooltips and accessible names), so the
        window works down to 640 px wide, side by side on a wide one."""
        narrow = width < NARROW_WIDTH
        self._narrow = narrow
        self._fit_details()
        lower = self._splitters[1]
        wanted = Qt.Orientation.Vertical if narrow else Qt.Orientation.Horizontal
        if lower.orientation() != wanted:
            lower.setOrientation(wanted)
            # The sizes it had were heights (or widths): kept as the other, a window
            # maximized from stacked panes gave the table 400 px of 1290 beside an empty
            # details pane (seen under Xvfb). Back to the 3:2 it starts with.
            lower.setSizes([3000, 2000])
        style_ = Qt.ToolButtonStyle.ToolButtonIconOnly if narrow else Qt.ToolButtonStyle.ToolButtonTextBesideIcon
        for button in self.details.buttons.values():
            button.setToolButtonStyle(style_)

    def _fit_details(self) -> None:
        """No details pane in the empty window; stacked under the table, it shows only
        with a task to show: at 800x600 its "No task selected" took the rows the
        timeline and the table need (side by side it explains itself instead)."""
        empty = self.table_pages.currentWidget() is self.empty_state
        self.details.setVisible(not empty and (not self._narrow or self.details.task_id is not None))


def _focusable_in(pane: QWidget) -> QWidget | None:
    """The pane itself if it takes focus, else its first child in the focus chain that does."""
    if pane.isVisible() and pane.isEnabled() and pane.focusPolicy() & Qt.FocusPolicy.TabFocus:
        return pane
    widget = pane.nextInFocusChain()
    while widget is not pane and pane.isAncestorOf(widget):
        if widget.isVisible() and widget.isEnabled() and widget.focusPolicy() & Qt.FocusPolicy.TabFocus:
            return widget
        widget = widget.nextInFocusChain()
    # Children need not follow their pane in the chain: look at them in layout order.
    for child in pane.findChildren(QWidget):
        if child.isVisible() and child.isEnabled() and child.focusPolicy() & Qt.FocusPolicy.TabFocus:
            return child
    return None
