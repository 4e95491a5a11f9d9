"""The manifest checker's vocabulary: typed values, and the wording of every finding.

Each finding names the file, the line and the key (:class:`~engine.manifest.model.Problem`);
:meth:`Checker.error` records one and returns :class:`Invalid` to raise, which stops
compiling the table at hand while the rest of the document is still checked
(:mod:`engine.manifest.schema`), so one ``workdeck manifest check`` shows all that is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time
from typing import Any

from engine.errors import BadInputError
from engine.manifest.model import Problem, UnsetVariableError, expand
from engine.manifest.text import KeyLines, PathKey, format_key
from engine.model import MAX_SECONDS
from engine.timeparse import parse_duration

_TYPE_NAMES = {
    str: "a string", int: "an integer", float: "a number", bool: "true or false", list: "an array",
    dict: "a table", datetime: "a date-time", time: "a time",
}
_MISSING = object()


def type_name(value: Any) -> str:
    for python_type, name in _TYPE_NAMES.items():
        if type(value) is python_type:
            return name
    return type(value).__name__


class Invalid(Exception):
    """A value already reported; stop compiling this table."""


class Checker:
    """One document's check: where findings go (``problems``), how to find their lines,
    and the typed reads of a table's keys, each reporting a wrong value in its words."""

    def __init__(
        self, file: str, lines: KeyLines, problems: list[Problem], now: datetime, env: Mapping[str, str]
    ) -> None:
        self.file, self.lines, self.problems, self.now, self.env = file, lines, problems, now, env
        self.declared: set[str] = set()

    def error(self, path: PathKey, message: str) -> Invalid:
        self.problems.append(Problem(self.file, self.lines.line(path), format_key(path), message))
        return Invalid()

    # ------------------------------------------------------------ typed values

    def typed(self, table: Mapping[str, Any], key: str, path: PathKey, kinds: tuple[type, ...], what: str) -> Any:
        value = table.get(key, _MISSING)
        if value is _MISSING:
            return None
        # bool is an int in Python; TOML keeps them apart, so do we.
        if isinstance(value, bool) and bool not in kinds or not isinstance(value, kinds):
            raise self.error((*path, key), f"must be {what}, not {type_name(value)}")
        return value

    def string(self, table: Mapping[str, Any], key: str, path: PathKey) -> str | None:
        value = self.typed(table, key, path, (str,), "a string")
        if value is not None and not value.strip():
            raise self.error((*path, key), "must not be empty")
        return value  # type: ignore[no-any-return]

    def strings(self, table: Mapping[str, Any], key: str, path: PathKey, *, one_ok: bool = False) -> list[str] | None:
        value = table.get(key, _MISSING)
        if value is _MISSING:
            return None
        if one_ok and isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            wanted = "a string or an array of strings" if one_ok else "an array of strings"
            raise self.error((*path, key), f"must be {wanted}, not {_describe(value)}")
        return value

    def duration(self, table: Mapping[str, Any], key: str, path: PathKey, *, positive: bool = True) -> float | None:
        value = self.typed(table, key, path, (str, int, float), 'a duration such as "90s" or "1h30m"')
        if value is None:
            return None
        try:
            seconds = float(value) if not isinstance(value, str) else parse_duration(value)
        except BadInputError as exc:
            raise self.error((*path, key), str(exc)) from None
        if not seconds >= 0 or (positive and seconds == 0):  # NaN included
            raise self.error((*path, key), f"must be {'positive' if positive else 'zero or more'}")
        if seconds > MAX_SECONDS:
            raise self.error((*path, key), "must be at most 100 years (36525d)")
        return seconds

    def choice(self, table: Mapping[str, Any], key: str, path: PathKey, enum_type: type[Any]) -> Any:
        value = self.string(table, key, path)
        if value is None:
            return None
        try:
            return enum_type(value)
        except ValueError:
            choices = ", ".join(m.value for m in enum_type)
            raise self.error((*path, key), f"unknown value {value!r} (choose from {choices})") from None

    def expanded(self, text: str, path: PathKey) -> str:
        try:
            return expand(text, self.env)
        except UnsetVariableError as exc:
            raise self.error(path, str(exc)) from None

    def unknown_keys(self, table: Mapping[str, Any], allowed: set[str], path: PathKey, what: str) -> None:
        for key in table:
            if key not in allowed:
                raise self.error((*path, key), f"unknown key in {what} (known: {', '.join(sorted(allowed))})")


def _describe(value: Any) -> str:
    if isinstance(value, list):
        bad = next((v for v in value if not isinstance(v, str)), None)
        return f"an array holding {type_name(bad)}" if bad is not None else "an array"
    return type_name(value)


def or_default(value: float | None, default: float) -> float:
    """A duration the table may leave out: ``default`` when it did."""
    return default if value is None else value
