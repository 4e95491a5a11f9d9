"""The manifest as text: where a key sits (for error lines) and writing TOML back.

:mod:`tomllib` gives values but no positions, and a message without a line number
sends the user hunting. Rather than take on tomlkit (a second, slower parser whose
only job here would be line numbers), :class:`KeyLines` scans the text once for
table headers and ``key =`` lines. It follows TOML closely enough for the files
people write: headers, ``[[arrays]]``, dotted and quoted keys, multi-line strings
and arrays. Keys it cannot place (inside inline tables) fall back to the nearest
enclosing table that it can, so a line is always given, never a wrong key.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time
from typing import Any

PathKey = tuple[str | int, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'[^\']*\'')
_KEY_LINE = re.compile(r"""^\s*((?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*'))*)\s*=(.*)$""")


def split_key(text: str) -> list[str]:
    """``a."b.c".d`` -> ``["a", "b.c", "d"]``."""
    parts: list[str] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        while pos < len(text) and text[pos] in " \t.":
            pos += 1
        if pos >= len(text):
            break
        if text[pos] in "\"'":
            match = _STRING.match(text, pos)
            if match is None:
                return parts
            raw = match.group(0)
            parts.append(json.loads(raw) if raw[0] == '"' else raw[1:-1])
            pos = match.end()
        else:
            match = _BARE_KEY.match(text, pos)
            if match is None:
                return parts
            parts.append(match.group(0))
            pos = match.end()
    return parts


class KeyLines:
    """Line numbers (1-based) of the tables and keys in a TOML text."""

    def __init__(self, text: str) -> None:
        self._lines: dict[PathKey, int] = {}
        self._scan(text)

    def _scan(self, text: str) -> None:
        table: PathKey = ()
        array_counts: dict[PathKey, int] = {}
        in_string: str | None = None  # the closing delimiter of a multi-line string
        depth = 0  # open brackets of a multi-line array or inline table
        for number, line in enumerate(text.splitlines(), start=1):
            if in_string is not None:
                if line.count(in_string) % 2 == 1:
                    in_string = None
                continue
            if depth > 0:
                depth = max(0, depth + _bracket_balance(line))
                continue
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if stripped.startswith("[["):
                end = stripped.find("]]")
                name = tuple(split_key(stripped[2:end]))
                index = array_counts.get(name, 0)
                array_counts[name] = index + 1
                table = (*_resolve(name, array_counts), index)
                self._lines.setdefault(name, number)
                self._lines[table] = number
                continue
            if stripped.startswith("["):
                end = stripped.find("]")
                table = _resolve(tuple(split_key(stripped[1:end])), array_counts)
                for i in range(1, len(table) + 1):
                    self._lines.setdefault(table[:i], number)
                continue
            match = _KEY_LINE.match(line)
            if match is None:
                continue
            key = (*table, *split_key(match.group(1)))
            for i in range(len(table) + 1, len(key) + 1):
                self._lines.setdefault(key[:i], number)
            value = match.group(2)
            for delim in ('"""', "'''"):
                if value.count(delim) % 2 == 1:
                    in_string = delim
                    break
            else:
                depth = max(0, _bracket_balance(value))

    def line(self, path: PathKey) -> int:
        """The line of ``path`` or of its nearest known ancestor; 1 if none is known."""
        for end in range(len(path), 0, -1):
            found = self._lines.get(path[:end])
            if found is not None:
                return found
        return 1


def _resolve(name: PathKey, array_counts: dict[PathKey, int]) -> PathKey:
    """``[receivers.options]`` inside the 3rd ``[[receivers]]`` is ``receivers[2].options``."""
    resolved: list[str | int] = []
    for part in name:
        resolved.append(part)
        count = array_counts.get(tuple(p for p in resolved if isinstance(p, str)))
        if count and tuple(resolved) != name:
            resolved.append(count - 1)
    return tuple(resolved)


def _bracket_balance(text: str) -> int:
    code = _strip_comment(text)
    return code.count("[") + code.count("{") - code.count("]") - code.count("}")


def _strip_comment(text: str) -> str:
    """The code of a line: strings emptied, the comment cut (a ``#`` in a string stays)."""
    out: list[str] = []
    pos = 0
    while pos < len(text):
        match = _STRING.match(text, pos)
        if match:
            out.append('""')
            pos = match.end()
            continue
        if text[pos] == "#":
            break
        out.append(text[pos])
        pos += 1
    return "".join(out)


def format_key(path: Sequence[str | int]) -> str:
    """``("tasks", "backup", "run")`` -> ``tasks.backup.run``; indexes as ``[2]``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            text = part if _BARE_KEY.fullmatch(part) else json.dumps(part)
            out += f".{text}" if out else text
    return out


# ---------------------------------------------------------------- writing


def toml_value(value: Any) -> str:
    """One TOML value. Strings use basic-string escapes, which JSON's match."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, dict):
        inner = ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items() if v is not None)
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, Iterable):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def toml_key(key: str) -> str:
    return key if _BARE_KEY.fullmatch(key) else json.dumps(key, ensure_ascii=False)
