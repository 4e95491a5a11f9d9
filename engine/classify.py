"""The seed's decision tree: which kind of work a task is (DESIGN.md).

A pure function over plain answers, so the New Task wizard, the command line and
their tests all follow the same four questions in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.model import Kind

#: The questions, asked in this order; the first "yes" decides.
QUESTIONS: tuple[tuple[str, str], ...] = (
    ("exact", "Must it run at an exact point in time?"),
    ("scoped", "Must it finish while you are in this window, and may it stop when you leave it?"),
    ("keep_running", "Must it start now and continue even if you hide the window, quit, or the machine restarts?"),
)


@dataclass(frozen=True)
class Decision:
    """The kind picked for a task and why, in one sentence for the user."""

    kind: Kind
    scoped: bool  # immediate work that ends with its scope (never persisted as such)
    reason: str

    @property
    def label(self) -> str:
        if self.kind is Kind.IMMEDIATE:
            return "immediate, scoped" if self.scoped else "immediate, keep-running"
        return self.kind.value


def classify(*, exact: bool, scoped: bool = False, keep_running: bool = False) -> Decision:
    """Walk the tree. Later answers are ignored once an earlier question said yes."""
    if exact:
        return Decision(
            Kind.EXACT, False,
            "It must happen at a set time, so it is an exact alarm that fires then, even with the window closed.",
        )
    if scoped:
        return Decision(
            Kind.IMMEDIATE, True,
            "It belongs to what you are doing now, so it runs at once and stops when you leave this window.",
        )
    if keep_running:
        return Decision(
            Kind.IMMEDIATE, False,
            "It must start now and survive hiding, quitting or a restart, so it runs at once and is resumed if stopped.",
        )
    return Decision(
        Kind.DEFERRED, False,
        "It can run any time later, so it waits in the persistent queue for its delay and conditions.",
    )
