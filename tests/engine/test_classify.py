from __future__ import annotations

import pytest

from engine.classify import QUESTIONS, classify, decide
from engine.model import Kind


@pytest.mark.parametrize(
    ("answers", "kind", "scoped"),
    [
        ({"exact": True}, Kind.EXACT, False),
        ({"exact": False, "start_now": False}, Kind.DEFERRED, False),
        ({"exact": False, "start_now": True, "survive": True}, Kind.IMMEDIATE, False),
        ({"exact": False, "start_now": True, "survive": False}, Kind.IMMEDIATE, True),
    ],
)
def test_the_four_paths(answers: dict[str, bool], kind: Kind, scoped: bool) -> None:
    decision = decide(answers)
    assert decision is not None and decision == classify(**answers)
    assert decision.kind is kind
    assert decision.scoped is scoped
    assert decision.reason.endswith(".") and decision.reason.count(". ") == 0  # one sentence


def test_run_this_now_never_lands_in_the_queue() -> None:
    # The old third question was two in one: "No" to "start now and survive a restart"
    # sent work the user wanted now to the deferred queue.
    assert classify(exact=False, start_now=True, survive=False).kind is Kind.IMMEDIATE


def test_open_questions_decide_nothing_and_the_first_decisive_answer_wins() -> None:
    assert decide({}) is None
    assert decide({"exact": False}) is None
    assert decide({"exact": False, "start_now": True}) is None
    assert decide({"exact": True, "start_now": True, "survive": False}).kind is Kind.EXACT
    assert decide({"exact": False, "start_now": False, "survive": True}).kind is Kind.DEFERRED


def test_labels_are_plain_words_and_questions_ask_one_thing_each() -> None:
    assert [k for k, _ in QUESTIONS] == ["exact", "start_now", "survive"]
    assert all(q.count("?") == 1 and " and continue " not in q for _, q in QUESTIONS)
    labels = {classify(exact=True).label, classify(exact=False).label,
              classify(exact=False, start_now=True, survive=True).label,
              classify(exact=False, start_now=True).label}
    assert len(labels) == 4
    assert not any(word in label for label in labels for word in ("enqueued", "keep-running", "scoped", "deferred"))


def test_the_wizard_says_closing_to_the_tray_ends_scoped_work() -> None:
    # ui/window_behaviour.py ends a window's scoped work when it is closed to the tray.
    reason = classify(exact=False, start_now=True, survive=False).reason
    assert "close the window" in reason and "tray" in reason
