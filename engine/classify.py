"""The seed's decision tree: which kind of work a task is (DESIGN.md).

A pure function over plain answers, so the New Task wizard, the command line and
their tests all follow the same questions in the same order. The seed's third question
("must it start now and continue even if the user leaves, quits or restarts?") is two
questions here, each answerable on its own: *start now?* and *keep going through a
close, a quit or a restart?*. Work that starts now but need not outlive the window is
the seed's scoped work; work that need not start now is deferred.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from engine.model import Kind

# The translation context of the texts below. They are marked for Qt's extraction
# (tools/translations.py) and stay English here; the window translates them as it shows them.
CONTEXT = "Classify"


def QT_TRANSLATE_NOOP(context: str, text: str) -> str:  # noqa: N802 (the name pyside6-lupdate looks for)
    """Qt's marker, typed and without Qt: the engine needs no translator."""
    return text


#: The questions, asked in this order until the answers decide.
QUESTIONS: tuple[tuple[str, str], ...] = (
    ("exact", QT_TRANSLATE_NOOP("Classify", "Must it happen at an exact time, like an alarm?")),
    ("start_now", QT_TRANSLATE_NOOP("Classify", "Should it start right away?")),
    ("survive", QT_TRANSLATE_NOOP("Classify", "Must it keep going if you close this window, quit Workdeck or restart the computer?")),
)


@dataclass(frozen=True)
class Decision:
    """The kind picked for a task and why, in one sentence for the user."""

    kind: Kind
    scoped: bool  # immediate work that ends with its scope (never persisted as such)
    reason: str

    @property
    def label(self) -> str:
        """The kind in plain words (the machine words stay in --json and the contract)."""
        if self.kind is Kind.IMMEDIATE:
            return QT_TRANSLATE_NOOP("Classify", "now, while this window is open") if self.scoped else QT_TRANSLATE_NOOP("Classify", "now, and keep going")
        if self.kind is Kind.EXACT:
            return QT_TRANSLATE_NOOP("Classify", "at a set time")
        return QT_TRANSLATE_NOOP("Classify", "later, in the queue")


def classify(*, exact: bool, start_now: bool = False, survive: bool = False) -> Decision:
    """Walk the tree. Later answers are ignored once earlier ones decided."""
    if exact:
        return Decision(
            Kind.EXACT, False,
            QT_TRANSLATE_NOOP("Classify", "It must happen at a set time, so it is an alarm that goes off then, even with the window closed."),
        )
    if not start_now:
        return Decision(
            Kind.DEFERRED, False,
            QT_TRANSLATE_NOOP("Classify", "It can wait, so it joins the queue and runs when its time and conditions come, even after a restart."),
        )
    if survive:
        return Decision(
            Kind.IMMEDIATE, False,
            QT_TRANSLATE_NOOP("Classify", "It starts at once and keeps going when you close the window, and resumes after a quit or a restart."),
        )
    return Decision(
        Kind.IMMEDIATE, True,
        QT_TRANSLATE_NOOP("Classify", "It belongs to this window, so it starts at once and stops when you close the window (to the tray too)."),
    )


def decide(answers: Mapping[str, bool]) -> Decision | None:
    """The decision the answers given so far make, or None while a question is still open."""
    if "exact" not in answers:
        return None
    if answers["exact"]:
        return classify(exact=True)
    if "start_now" not in answers:
        return None
    if not answers["start_now"]:
        return classify(exact=False)
    if "survive" not in answers:
        return None
    return classify(exact=False, start_now=True, survive=answers["survive"])
