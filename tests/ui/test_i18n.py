"""The window's words go through Qt's translator: the pseudo-locale ``xx`` (every text
in brackets) shows on real widgets, and the committed catalogue matches the sources."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication

from engine.model import State
from ui import text
from ui import i18n
from ui.i18n import LANG_ENV, install_translator
from ui.resource_files import resource

ROOT = Path(__file__).parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import translations  # noqa: E402  (tools/ is no package: the script make translations runs)

sys.path.remove(str(ROOT / "tools"))


@pytest.fixture(autouse=True)
def this_checkouts_catalogues(monkeypatch) -> None:
    """The catalogues of the tree under test. An editable install made from another
    checkout (the shared venv of a git worktree) maps ui.resources to that checkout;
    tests/packaging/test_layout.py proves the packaged lookup itself."""
    here = ROOT / "resources" / "translations"
    if Path(str(resource("translations"))) != here:
        monkeypatch.setattr(i18n, "translations_dir", lambda: str(here))


@pytest.fixture
def pseudo(qapp, monkeypatch) -> Iterator[None]:
    """The bracketed pseudo-translation, chosen as a user would: through WORKDECK_LANG."""
    monkeypatch.setenv(LANG_ENV, "xx")
    translator = install_translator(qapp)
    assert translator is not None, "resources/translations/workdeck_xx.qm did not load"
    yield
    qapp.removeTranslator(translator)
    translator.deleteLater()


def _visible_texts(window) -> list[str]:
    menus = [a.text() for a in window.menuBar().actions()]
    actions = [a.text() for m in window.menuBar().actions() for a in m.menu().actions() if not a.isSeparator()]
    empty = [b.text() for b in window.empty_state.buttons.values()]
    return menus + actions + empty


def test_the_pseudo_locale_reaches_menus_actions_and_the_empty_state(qtbot, engine, pseudo) -> None:
    from ui.main_window import MainWindow

    window = MainWindow(engine)
    qtbot.addWidget(window)
    assert window.windowTitle() == "[Workdeck]"
    texts = _visible_texts(window)
    assert "[&File]" in texts and "[&New task…]" in texts and "[Run something now…]" in texts
    untranslated = [t for t in texts if not (t.startswith("[") and t.endswith("]"))]
    assert not untranslated, f"texts that skip the translator: {untranslated}"
    assert window.tag_filter.itemText(0) == "[All tags]"
    assert window.running_label.text() == "[{n} running]".format(n=0)


def test_word_tables_translate_at_lookup_not_at_import(qapp, pseudo) -> None:
    assert text.STATE_WORDS[State.ENQUEUED.value] == "[waiting]"
    assert text.CONSTRAINT_WORDS["ac-power"] == "[Plugged into power]"


def test_without_a_catalogue_the_english_source_shows(qtbot, engine, qapp, monkeypatch) -> None:
    from ui.main_window import MainWindow

    monkeypatch.setenv(LANG_ENV, "zz")  # no workdeck_zz.qm
    assert install_translator(qapp) is None
    window = MainWindow(engine)
    qtbot.addWidget(window)
    assert window.windowTitle() == "Workdeck" and text.STATE_WORDS["enqueued"] == "waiting"
    assert QCoreApplication.translate("MainWindow", "&File") == "&File"


def test_the_committed_catalogue_matches_the_sources(tmp_path) -> None:
    if translations.tool("pyside6-lupdate") is None:
        pytest.skip("pyside6-lupdate is not installed (it comes with PySide6's tools)")
    fresh = tmp_path / "fresh.ts"
    translations.lupdate(fresh)
    found = translations.messages(fresh)
    assert len(found) > 100, "lupdate found (almost) nothing: the sources' texts are not marked"
    # lupdate's Python parser misnames the context of a self.tr() that follows a
    # QCoreApplication.translate() in the same function: such texts would never translate.
    assert not [m for m in found if m[0].startswith("QCoreApplication")]
    committed = translations.messages(translations.SOURCE_TS)
    assert found == committed, ("resources/translations is stale: run `make translations` "
                                f"(new: {sorted(found - committed)[:5]}, gone: {sorted(committed - found)[:5]})")
    assert translations.messages(translations.PSEUDO_TS) == committed
    for ts in (translations.SOURCE_TS, translations.PSEUDO_TS):  # the .qm compiled from the .ts as committed
        copy = tmp_path / ts.name
        shutil.copy(ts, copy)
        translations.lrelease(copy)
        assert copy.with_suffix(".qm").read_bytes() == ts.with_suffix(".qm").read_bytes(), f"{ts.name}: stale .qm"


def test_the_wizard_asks_the_engines_questions_in_the_users_language(qtbot, engine, pseudo) -> None:
    from ui.new_task import NewTaskDialog

    dialog = NewTaskDialog(engine)
    qtbot.addWidget(dialog)
    assert dialog.windowTitle() == "[New task]" and dialog.next.text() == "[Next]"
    assert dialog.decide.yes["exact"].text() == "[Yes]"
    dialog.decide.yes["exact"].setChecked(True)
    answer = dialog.decide.answer.text()
    assert "[It must happen at a set time" in answer and "[at a set time]" in answer  # engine.classify's texts


def _unbracketed(root) -> list[str]:
    """Every fixed text a person (or a screen reader) meets under ``root`` that is not
    the pseudo-translation: labels, buttons, group titles, placeholders, combo entries,
    accessible names and descriptions."""
    from PySide6.QtWidgets import QAbstractButton, QComboBox, QGroupBox, QLabel, QLineEdit, QWidget

    texts: list[str] = []
    for widget in [root, *root.findChildren(QWidget)]:
        if widget.metaObject().className() in _QTS_OWN or _standard_button(widget):
            continue
        texts += [widget.accessibleName(), widget.accessibleDescription(), widget.toolTip()]
        if isinstance(widget, (QLabel, QAbstractButton)):
            texts.append(widget.text())
        if isinstance(widget, QGroupBox):
            texts.append(widget.title())
        if isinstance(widget, QLineEdit):
            texts.append(widget.placeholderText())
        if isinstance(widget, QComboBox):
            texts += [widget.itemText(i) for i in range(widget.count())]
    return [t for t in texts if t.strip() and t not in _NOT_WORDS and not (t.startswith("[") and t.endswith("]"))]


#: Qt's own parts, translated by Qt's catalogue (qtbase_*.qm), not Workdeck's.
_QTS_OWN = {"QDockWidgetTitleButton"}


def _standard_button(widget) -> bool:
    from PySide6.QtWidgets import QDialogButtonBox

    box = widget.parent()
    return isinstance(box, QDialogButtonBox) and box.standardButton(widget) != QDialogButtonBox.StandardButton.NoButton


#: Examples of syntax, the same in every language.
_NOT_WORDS = {"/usr/bin/rsync", "package.module:function"}


def test_every_text_of_the_task_form_translates(qtbot, engine, pseudo) -> None:
    from engine.model import Kind
    from ui.task_form import TaskForm

    form = TaskForm(engine)
    qtbot.addWidget(form)
    for kind in Kind:
        form.set_kind(kind, scoped=False)
        # The refusal shown is translated too (ui/refusals.py).
        assert form.error_label.text().startswith("["), form.error_label.text()
        left = _unbracketed(form)
        assert left == [], left


def test_the_tray_menu_and_tooltip_translate(qtbot, clock, pseudo) -> None:
    from tests.ui.fake_engine import FakeEngine
    from ui.tray import TrayMenu, TrayModel

    model = TrayModel(FakeEngine(clock))
    menu = TrayMenu(model)
    qtbot.addWidget(menu)
    texts = [a.text() for a in menu.actions() if not a.isSeparator()]
    assert texts[0] == "[Show Workdeck]" and all(t.startswith("[") and t.endswith("]") for t in texts), texts
    assert model.tooltip().splitlines() == ["[Workdeck]", "[Nothing running]"]


def test_the_whole_window_with_its_desktop_shell_translates(qtbot, engine, tmp_path, qapp, pseudo) -> None:
    """File menu, toolbar and status bar as the app builds them (ui/app.py): the window,
    the tray's model, the settings and reminders the shell adds; then its dialogs."""
    from ui.autostart import Autostart
    from ui.desktop import DesktopShell
    from ui.main_window import MainWindow
    from ui.settings import Settings

    window = MainWindow(engine)
    qtbot.addWidget(window)
    settings = Settings.at(tmp_path / "s.ini", data_location=tmp_path / "w.db")
    autostart = Autostart(["workdeck", "--hidden"], platform="linux", env={"XDG_CONFIG_HOME": str(tmp_path)},
                          home=tmp_path)
    before = qapp.quitOnLastWindowClosed()
    shell = DesktopShell(engine, window, settings=settings, autostart=autostart, tray_available=False)
    window.attach_desktop(shell)
    try:
        texts = _visible_texts(window)
        assert "[Settings…]" in texts and "[Open log]" in texts and "[Pause deferred work]" in texts
        assert [t for t in texts if not (t.startswith("[") and t.endswith("]"))] == []
        assert _unbracketed(shell.reminders_dock) == []
        settings_dialog = shell.open_settings()
        # The data location is a path, the same in every language.
        assert [t for t in _unbracketed(settings_dialog) if t != str(tmp_path / "w.db")] == []
        settings_dialog.reject()
        reminder_dialog = shell.new_reminder()
        assert _unbracketed(reminder_dialog) == []
        reminder_dialog.reject()
    finally:
        qapp.setQuitOnLastWindowClosed(before)
        shell.reminders.window.close()
        window.hide()


def test_spans_read_in_the_users_language(pseudo) -> None:
    from datetime import datetime, timedelta, timezone

    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert text.relative(now + timedelta(seconds=8), now) == "[in {span}]".format(span="[{s} s]".format(s=8))
    assert text.in_words(2 * 3600 + 300) == "[{h} h {min} min]".format(h=2, min=5)


_SYSTEM_LOCALE_PROBE = """
import sys
from pathlib import Path
from PySide6.QtCore import QCoreApplication
from ui import i18n
i18n.translations_dir = lambda: sys.argv[1]
app = QCoreApplication([])
print("loaded" if i18n.install_translator(app) is not None else "none")
print(QCoreApplication.translate("MainWindow", "&File"))
"""


@pytest.mark.parametrize(("lc_all", "expected"), [("en_GB.UTF-8", "loaded"), ("de_DE.UTF-8", "none"), ("C", "none")])
def test_the_system_locale_picks_the_catalogue(lc_all, expected) -> None:
    """In a fresh process, as the app starts: QLocale.system() comes from LC_ALL/LANG."""
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if k not in (LANG_ENV, "LANGUAGE", "LC_MESSAGES")}
    env.update(LC_ALL=lc_all, LANG=lc_all, PYTHONPATH=str(ROOT), QT_QPA_PLATFORM="offscreen")
    out = subprocess.run([sys.executable, "-c", _SYSTEM_LOCALE_PROBE, str(ROOT / "resources" / "translations")],
                         env=env, capture_output=True, text=True, timeout=60, check=True).stdout.split("\n")
    assert out[:2] == [expected, "&File"]  # English is the source: its catalogue changes no text


def test_the_form_shows_a_refusal_in_the_users_language(qtbot, engine, pseudo) -> None:
    from engine.errors import BadInputError
    from engine.model import Kind
    from engine.timeparse import parse_duration
    from ui.task_form import TaskForm

    form = TaskForm(engine)
    qtbot.addWidget(form)
    form.set_kind(Kind.DEFERRED, scoped=False)
    assert form.error_label.text() == "[A shell task needs a command: fill in Program]"
    qtbot.keyClicks(form.program, "rsync")
    qtbot.keyClicks(form.delay, "10x")
    assert form.error_label.text() == ("[“10x” is not a length of time: write a number and a unit "
                                       "(ms, s, m, h, d), e.g. 90s or 1h30m]")
    # The engine itself stays English: the command line prints its own words.
    with pytest.raises(BadInputError, match="^malformed duration '10x'"):
        parse_duration("10x")


def test_the_table_the_details_the_runs_and_the_timeline_translate(qtbot, engine, runner, clock, pseudo) -> None:
    """The window's data views: column titles, state and outcome words, the details pane
    (its header, its spec table, its tabs), the runs' headers and the timeline's lanes,
    hover texts and accessible texts all go through the translator."""
    from PySide6.QtCore import Qt

    from engine.model import Kind, Outcome, RetryPolicy, TaskSpec
    from tests.ui.helpers import run_task
    from ui.main_window import MainWindow
    from ui.timeline import lane_key, task_key

    failed = run_task(engine, runner, clock, 20, Outcome.FAILED, name="backup", retry=RetryPolicy(max_retries=0))
    engine.enqueue(TaskSpec("shell", ("true",), kind=Kind.DEFERRED, name="later", retry=RetryPolicy(max_retries=2)))
    window = MainWindow(engine)
    window.resize(1200, 800)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)

    def bracketed(value: str) -> bool:
        return value.startswith("[") and value.endswith("]")

    model = window.table.model()
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers and all(bracketed(h) for h in headers), headers
    window.select_task(failed.id)
    details = window.details
    assert [details.tabs.tabText(i) for i in range(details.tabs.count())] == ["[Output]", "[Runs]", "[Spec]"]
    assert "[{id} · {kind} · {state} · attempts {attempts}]".split("{")[0] in details.subtitle.text()
    runs = details.history
    run_headers = [runs.headerData(c, Qt.Orientation.Horizontal) for c in range(1, runs.columnCount())]
    assert all(bracketed(h) for h in run_headers), run_headers
    assert runs.index(0, 4).data() == "[failed]"
    assert "<b>[runs]</b>" in details.spec.text() and "<b>[kind]</b>" in details.spec.text()
    own = [details, details.title, details.subtitle, details.why, details.chain, details.progress, details.tabs,
           details.spec, details.runs, details.output]
    spoken = [t for w in own for t in (w.accessibleName(), w.accessibleDescription())]
    assert all(bracketed(t) for t in spoken), [t for t in spoken if not bracketed(t)]
    window.select_task(engine.tasks()[-1].id)
    assert "[{n} times, first after {span}]".split("{")[0] in details.spec.text()

    view = window.timeline_view
    assert bracketed(view.accessibleName()) and bracketed(view.accessibleDescription())
    lane = next(row for row in view.rows() if row.key == lane_key(Kind.IMMEDIATE))
    assert lane.label == "[Immediate]"
    view.timeline.expanded.add(Kind.IMMEDIATE)
    view.timeline.rows_changed.emit()
    qtbot.waitUntil(lambda: view.row_rect(task_key(failed.id)) is not None)
    (run,) = engine.task(failed.id).runs
    from engine.clock import to_us
    rect = view.row_rect(task_key(failed.id))
    x = round((view.x_for(to_us(run.started_at)) + view.x_for(to_us(run.ended_at))) / 2)
    tip = view.hover_text(rect.center().__class__(x, rect.center().y())) or ""
    assert "[started {time}]".split("{")[0] in tip and "[outcome: {outcome}]".split("{")[0] in tip, tip
