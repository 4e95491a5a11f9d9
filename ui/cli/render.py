"""Human-readable ``list`` and ``show``: local times, a compact table, no colours."""

from __future__ import annotations

import shlex
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from itertools import chain

from engine.model import Run, Task
from engine.serialize import why
from engine.timeparse import format_duration

_COLUMNS = ("ID", "KIND", "STATE", "NEXT RUN", "TRIES", "NAME/TAGS", "COMMAND")


def local(instant: datetime | None, *, seconds: bool = True) -> str:
    if instant is None:
        return "-"
    return instant.astimezone().strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(char: str) -> str:
    return _ESCAPES.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def _control(char: str) -> bool:
    return ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 or char in "\u2028\u2029"


def one_line(text: str) -> str:
    """``text`` with its control characters (a newline, a tab, ESC) escaped as in Python
    (``\\n``, ``\\t``, ``\\x1b``): output read a line a task (``list``, ``reminders``)
    stays one line a task, and a name cannot move the terminal's cursor."""
    if not any(_control(c) for c in text):
        return text
    return "".join(_escaped(c) if _control(c) else c for c in text)


def _shell_word(arg: str) -> str:
    """shlex.quote, or bash's ``$'...'`` for an argument with control characters (which
    a quoted newline would spread over lines)."""
    if not any(_control(c) for c in arg):
        return shlex.quote(arg)
    return "$'" + one_line(arg.replace("\\", "\\\\").replace("'", "\\'")) + "'"


def what(task: Task) -> str:
    """The command line, or a reminder's message in quotes; one line."""
    if task.unreadable:
        return one_line(f"unreadable: {task.unreadable}")
    spec = task.spec
    if spec.worker == "reminder":
        return f"remind: {spec.args[0]!r}" if spec.args else "remind"
    if spec.worker == "shell":
        return " ".join(_shell_word(a) for a in spec.args)
    return one_line(f"{spec.worker}: {' '.join(spec.args)}")


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def table(tasks: Iterable[Task]) -> str:
    """The tasks as aligned columns under a header, each task taken in as a row of
    strings; empty without tasks."""
    rows = [_COLUMNS]
    for task in tasks:
        label = task.name or ""
        if task.spec.tags:
            label = (label + " " if label else "") + ",".join(f"#{t}" for t in task.spec.tags)
        label = one_line(label)
        rows.append((
            task.id, str((task.raw or {}).get("kind") or "?") if task.unreadable else task.kind.value,
            task.state.value, local(task.next_run_at), str(task.attempts),
            _clip(label, 24) or "-", _clip(what(task), 60),
        ))
    if len(rows) == 1:
        return ""
    widths = [max(len(r[i]) for r in rows) for i in range(len(_COLUMNS) - 1)]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(row[:-1], widths, strict=True)) + "  " + row[-1]
        for row in rows
    )


def _schedule(task: Task) -> str | None:
    schedule = task.spec.schedule
    if schedule is None or not schedule.repeats:
        return None
    if schedule.every is not None:
        text = f"every {format_duration(schedule.every)}"
    elif schedule.cron is not None:
        text = f"cron {schedule.cron!r}"
    else:
        text = f"rrule {schedule.rrule}"
    return text + (f" ({schedule.tz})" if schedule.tz else "")


def _retry(task: Task) -> str | None:
    retry = task.spec.retry
    if retry.max_retries == 0:
        return None
    return f"{retry.max_retries} retries, {retry.backoff.value} backoff from {format_duration(retry.delay)}"


def _run_line(run: Run) -> str:
    outcome = run.outcome.value if run.outcome is not None else "running"
    parts = [f"#{run.attempt}", local(run.started_at), "->", local(run.ended_at), outcome]
    if run.exit_code is not None:
        parts.append(f"exit {run.exit_code}")
    if run.stop_reason is not None:
        parts.append(f"({run.stop_reason.value})")
    if run.detail:
        parts.append(f"- {run.detail}")
    return "  " + " ".join(parts)


def _totals(task: Task, shown: int, newest: int | None) -> str:
    totals = task.totals
    if not totals.total:
        return "runs:      none yet" if not shown else "runs:"
    text = f"runs:      {totals.total:,} ({totals.succeeded:,} succeeded, {totals.failed:,} failed"
    if totals.last_outcome is not None:
        text += f", last {totals.last_outcome.value} {local(totals.last_ended_at)}"
    text += ")"
    if newest is not None and shown < totals.total:
        text += f"; the newest {shown:,} (--runs N or all for more, if kept):"
    return text


def details(task: Task, *, shown_newest: int | None = None) -> str:
    return "\n".join(details_lines(task, task.runs, shown_newest=shown_newest))


def details_lines(task: Task, runs: Iterable[Run], *, shown_newest: int | None = None) -> Iterator[str]:
    """:func:`details` line by line, taking ``runs`` one at a time as it writes them:
    ``show ID --runs all`` streams a history of millions (it held them all: 1 GB of
    memory for 1.5 million runs)."""
    shown = len(runs) if isinstance(runs, Sequence) else None
    rest = iter(runs)
    first = next(rest, None)
    if shown is None:  # streamed (all of them): the count is not said, only whether there are any
        shown = int(first is not None)
    runs = chain([first], rest) if first is not None else iter(())
    if task.unreadable:
        yield from _unreadable_details(task, first is not None)
        yield from (_run_line(r) for r in runs)
        return
    spec = task.spec
    state = task.state.value
    reason = why(task)
    fields: list[tuple[str, str | None]] = [
        ("id", task.id),
        ("name", one_line(spec.name) if spec.name else None),
        ("kind", spec.kind.value),
        ("state", f"{state} ({reason})" if reason else state),
        ("message" if spec.worker == "reminder" else "command", one_line(spec.args[0]) if spec.worker == "reminder"
         and spec.args else what(task)),
        ("tags", one_line(", ".join(spec.tags)) or None),
        ("after", ", ".join(spec.after) or None),
        ("repeats", _schedule(task)),
        ("retry", _retry(task)),
        ("timeout", format_duration(spec.timeout) if spec.timeout else None),
        ("requires", ", ".join(c.value for c in spec.constraints) or None),
        ("attempts", str(task.attempts)),
        ("created", local(task.created_at)),
        ("next run", local(task.next_run_at) if task.next_run_at else None),
    ]
    yield from (f"{key + ':':<10} {value}" for key, value in fields if value is not None)
    yield _totals(task, shown, shown_newest)
    yield from (_run_line(r) for r in runs)


def _unreadable_details(task: Task, any_runs: bool) -> Iterator[str]:
    """A quarantined row: the reason, the row as stored, and what can be done with it."""
    yield f"{'id:':<10} {task.id}"
    yield f"{'state:':<10} unreadable ({task.unreadable})"
    yield from (f"  {column} = {value!r}" for column, value in (task.raw or {}).items())
    yield "Workdeck skips this task. `workdeck export` keeps its row; `workdeck cancel` stops it for good."
    yield "runs:" if any_runs else "runs:      none"
