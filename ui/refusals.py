"""The engine's refusals as the New Task form shows them: in the user's language.

The engine speaks English (its messages are the command line's, and the contract's),
and names no error codes: each refusal is one sentence with the offending value in it.
The form recognises the refusals it can meet by their fixed words (:data:`REFUSALS`:
a pattern, and the translatable sentence it becomes, the captured values filled in);
tests/ui/test_refusals.py makes the engine refuse each one for real, so a reworded engine
message fails a test instead of silently falling back. A refusal not in the table reads
as :func:`ui.text.plain_refusal` makes it: English, but without command-line syntax.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from ui.text import plain_refusal

CONTEXT = "Refusals"

#: (what the engine says, as a regex with named groups; what the form says, a template).
REFUSALS: tuple[tuple[str, str], ...] = (
    (r"^malformed duration '(?P<text>.*)': use a number with a unit",
     QT_TRANSLATE_NOOP("Refusals", "“{text}” is not a length of time: write a number and a unit "
                                   "(ms, s, m, h, d), e.g. 90s or 1h30m")),
    (r"^duration '(?P<text>.*)' is too long",
     QT_TRANSLATE_NOOP("Refusals", "“{text}” is too long: at most 100 years")),
    (r"^(?P<what>.+) of (?P<seconds>[0-9.e+]+)s is too long",
     QT_TRANSLATE_NOOP("Refusals", "That is too long: at most 100 years")),
    (r"^(?P<what>.+) must be positive, not",
     QT_TRANSLATE_NOOP("Refusals", "A length of time here must be more than zero")),
    (r"^(?P<what>.+) must be zero or more, not",
     QT_TRANSLATE_NOOP("Refusals", "A length of time here must not be negative")),
    (r"^invalid cron expression '(?P<text>.*)'",
     QT_TRANSLATE_NOOP("Refusals", "“{text}” is not a cron rule: five fields (minute hour day month weekday), "
                                   "e.g. 0 8 * * 1-5")),
    (r"^(?P<time>\S+) has passed \(it is (?P<now>\S+)\)",
     QT_TRANSLATE_NOOP("Refusals", "{time} has passed (it is {now}): choose a later time")),
    (r"^the repeat rule has no occurrence after now",
     QT_TRANSLATE_NOOP("Refusals", "The repeat rule never happens again: check when it ends")),
    (r"^a repeat interval must be at least (?P<least>\S+), not (?P<given>\S+)",
     QT_TRANSLATE_NOOP("Refusals", "Repeat every {least} or more, not every {given}")),
    (r"^a shell task needs a command",
     QT_TRANSLATE_NOOP("Refusals", "A shell task needs a command: fill in Program")),
    (r"^a shell task's command must not be empty",
     QT_TRANSLATE_NOOP("Refusals", "A shell task needs a command: fill in Program")),
    (r"^a python task takes one 'package\.module:function'",
     QT_TRANSLATE_NOOP("Refusals", "Fill in Function as package.module:function")),
    (r"^a reminder needs a message",
     QT_TRANSLATE_NOOP("Refusals", "A reminder needs a message")),
    (r"^a task's unique name must not be empty",
     QT_TRANSLATE_NOOP("Refusals", "A name must not be only spaces")),
    (r"^--after (?P<id>\S+): no such task",
     QT_TRANSLATE_NOOP("Refusals", "Run after: task {id} no longer exists")),
    (r"^--after (?P<id>\S+): that task repeats and never finishes",
     QT_TRANSLATE_NOOP("Refusals", "Run after: task {id} repeats and never finishes; choose one-time work")),
    (r"^--after (?P<id>\S+): a task cannot wait for itself",
     QT_TRANSLATE_NOOP("Refusals", "Run after: a task cannot wait for itself")),
    (r"^--after (?P<id>\S+): that would make a cycle",
     QT_TRANSLATE_NOOP("Refusals", "Run after: task {id} already waits for this one")),
    (r"^--policy \S+: periodic work cannot be appended",
     QT_TRANSLATE_NOOP("Refusals", "Repeating work cannot run after a task of the same name: "
                                   "choose keep it, replace it or update it")),
    (r"^(?P<what>.+) '?(?P<value>.*?)'? contains a NUL byte",
     QT_TRANSLATE_NOOP("Refusals", "A text here contains a NUL character: remove it")),
)

_COMPILED = tuple((re.compile(pattern), template) for pattern, template in REFUSALS)


def match(message: str) -> tuple[str, dict[str, str]] | None:
    """The template and the captured values of the first refusal ``message`` is, or None."""
    for pattern, template in _COMPILED:
        found = pattern.search(message)
        if found is not None:
            return template, found.groupdict()
    return None


def form_refusal(message: str) -> str:
    """An engine refusal as the form shows it: translated when it is a known one."""
    known = match(message)
    if known is None:
        return plain_refusal(message)
    template, values = known
    return QCoreApplication.translate(CONTEXT, template).format(**values)


__all__ = ["REFUSALS", "form_refusal", "match"]
