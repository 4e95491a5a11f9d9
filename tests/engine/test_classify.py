from __future__ import annotations

import pytest

from engine.classify import QUESTIONS, classify
from engine.model import Kind


@pytest.mark.parametrize(
    ("answers", "kind", "scoped"),
    [
        ({"exact": True}, Kind.EXACT, False),
        ({"exact": False, "scoped": True}, Kind.IMMEDIATE, True),
        ({"exact": False, "scoped": False, "keep_running": True}, Kind.IMMEDIATE, False),
        ({"exact": False, "scoped": False, "keep_running": False}, Kind.DEFERRED, False),
    ],
)
def test_the_four_paths(answers: dict[str, bool], kind: Kind, scoped: bool) -> None:
    decision = classify(**answers)
    assert decision.kind is kind
    assert decision.scoped is scoped
    assert decision.reason.endswith(".") and decision.reason.count(". ") == 0  # one sentence


def test_the_first_yes_decides() -> None:
    assert classify(exact=True, scoped=True, keep_running=True).kind is Kind.EXACT
    assert classify(exact=False, scoped=True, keep_running=True).scoped is True


def test_labels_and_questions() -> None:
    assert [k for k, _ in QUESTIONS] == ["exact", "scoped", "keep_running"]
    assert classify(exact=False, keep_running=True).label == "immediate, keep-running"
    assert classify(exact=False, scoped=True).label == "immediate, scoped"
    assert classify(exact=False).label == "deferred"
