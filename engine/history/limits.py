"""The retention settings' bounds and the SIZE syntax, shared by the command line,
the manifest, the spec and the global policy. Imports nothing of Workdeck but its
errors: engine.model checks a spec's fields with it."""

from __future__ import annotations

import re

from engine.errors import BadSpecError

KIB = 1024
MIB = 1024 * KIB
GIB = 1024 * MIB
DAY = 86400.0

#: The defaults (the README's promise): every run of the last 30 days and at least the
#: newest 100 of each task, whichever keeps more; the first 64 KiB and the last 1 MiB
#: of each run's output.
DEFAULT_KEEP_RUNS = 100
DEFAULT_KEEP_FOR = 30 * DAY
OUTPUT_HEAD = 64 * KIB
DEFAULT_OUTPUT_LIMIT = OUTPUT_HEAD + MIB

#: Past these a value is a typo, not a wish (and ``keep_runs`` is an OFFSET in an index
#: walk: a million is still milliseconds).
MAX_KEEP_RUNS = 1_000_000
MAX_KEEP_FOR = 10 * 366 * DAY
MIN_OUTPUT_LIMIT = 4 * KIB
MAX_OUTPUT_LIMIT = GIB

_SIZE = re.compile(r"^(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?$")
_UNIT = {None: 1, "b": 1, "k": KIB, "kb": KIB, "kib": KIB, "m": MIB, "mb": MIB, "mib": MIB, "g": GIB, "gb": GIB,
         "gib": GIB}


def parse_size(text: str) -> int:
    """``65536``, ``64K``, ``64KiB``, ``1.5M``, ``1G`` -> bytes (units are binary: K = 1024)."""
    match = _SIZE.match(text.strip().lower())
    if match is None:
        raise BadSpecError(f"malformed size {text!r}: use a number with an optional unit (K M G), e.g. 512K or 2M")
    return int(float(match.group(1)) * _UNIT[match.group(2)])


def format_size(size: int) -> str:
    """Bytes for a person: ``1.0 MiB``, ``64.0 KiB``, ``12 B``."""
    for unit, scale in (("GiB", GIB), ("MiB", MIB), ("KiB", KIB)):
        if abs(size) >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} B"


def check_keep_runs(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadSpecError(f"keep-runs must be a whole number, not {value!r}")
    if not 0 <= value <= MAX_KEEP_RUNS:
        raise BadSpecError(f"keep-runs must be between 0 and {MAX_KEEP_RUNS:,}, not {value:,}")
    return value


def check_keep_for(seconds: float) -> float:
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds != seconds:
        raise BadSpecError(f"keep-for must be a duration, not {seconds!r}")
    if not 0 <= seconds <= MAX_KEEP_FOR:
        raise BadSpecError(f"keep-for must be between 0s and {int(MAX_KEEP_FOR // DAY)}d, not {seconds:g}s")
    return float(seconds)


def check_output_limit(size: int) -> int:
    if isinstance(size, bool) or not isinstance(size, int):
        raise BadSpecError(f"output-limit must be a size in bytes, not {size!r}")
    if not MIN_OUTPUT_LIMIT <= size <= MAX_OUTPUT_LIMIT:
        raise BadSpecError(
            f"output-limit must be between {format_size(MIN_OUTPUT_LIMIT)} and {format_size(MAX_OUTPUT_LIMIT)}, "
            f"not {format_size(size)}"
        )
    return size


def check_retention(keep_runs: int | None, keep_for: float | None, output_limit: int | None) -> None:
    """Raise BadSpecError (one line) for a value out of bounds; None means 'the global policy'."""
    if keep_runs is not None:
        check_keep_runs(keep_runs)
    if keep_for is not None:
        check_keep_for(keep_for)
    if output_limit is not None:
        check_output_limit(output_limit)


def split_output_limit(limit: int) -> tuple[int, int]:
    """(head, tail) bytes of a run's output kept under ``limit``: the first 64 KiB (at
    most half the limit), the rest from the end."""
    head = min(OUTPUT_HEAD, limit // 2)
    return head, limit - head
