"""History on the command line: ``show``/``list`` bounded and streamed, ``prune`` and
``retention`` (the global policy). Imports nothing heavy at module top.

``show ID --json`` carries the newest ``--runs N`` runs (default 20; ``all`` streams
every one, oldest first) and ``totals`` (every run the task ever ended, from the
counters on its row). ``list --json`` carries ``"runs": []`` and the totals (``--runs N``
adds each task's newest N): never a history; 10,000 tasks with their newest 3 runs
cost twice as much as without. Both write as they read, so memory stays flat
however many runs or tasks there are: ``show`` indents the task's keys and puts one
run per line; ``list`` puts one task per line (an array that ``jq`` reads the same).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import IO, Any

from ui.cli import spec as cli_spec

_RUNS_MARK = "\u0000runs\u0000"
#: WAL pages between SQLite's checkpoints while ``workdeck prune`` runs.
PRUNE_AUTOCHECKPOINT = 1000


def runs_count(text: str) -> int | None:
    """``--runs``: a number of newest runs, or ``all`` (None)."""
    if text.strip().lower() == "all":
        return None
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number or 'all'") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 or more, or 'all'")
    # More than SQLite's LIMIT takes (it overflowed, a traceback): more than any task has, so every one
    return None if value > _MAX_LIMIT else value


_MAX_LIMIT = 2**63 - 1


def add_runs_option(parser: argparse.ArgumentParser, default: int, what: str) -> None:
    parser.add_argument("--runs", type=runs_count, default=default, metavar="N|all",
                        help=f"{what} (default {default}; 'all' streams every one)")


def write_task_json(out: IO[str], data: dict[str, Any], runs: Iterable[dict[str, Any]], *, indent: bool = True) -> None:
    """``data`` (a task's JSON without its runs) with ``runs`` written one at a time,
    one run per line. ``indent``: the task's own keys indented as ``engine.serialize.dumps``
    does (``show``); else the task on one line (``list``: 10,000 tasks in well under a
    second; Python's C encoder does not indent)."""
    data = {**data, "runs": _RUNS_MARK}
    text = json.dumps(data, indent=2 if indent else None, ensure_ascii=False)
    head, tail = text.split(json.dumps(_RUNS_MARK), 1)
    out.write(head)
    first = True
    pad = "\n    " if indent else ""
    for run in runs:
        out.write("[" + pad if first else "," + pad)
        out.write(json.dumps(run, ensure_ascii=False))
        first = False
    out.write("[]" if first else ("\n  ]" if indent else "]"))
    out.write(tail)


def show(store: Any, task_id: str, count: int | None, *, as_json: bool, out: IO[str]) -> None:
    from engine.history.reads import newest_runs
    from engine.serialize import run_json, task_json

    task = store.task(task_id, with_runs=False)
    runs = newest_runs(store, task_id, count)
    if as_json:
        write_task_json(out, task_json(task), (run_json(r) for r in runs))
        out.write("\n")
        return
    from ui.cli.render import details_lines

    for line in details_lines(task, runs, shown_newest=count):  # written as read, as the JSON is
        out.write(line + "\n")


def list_json(store: Any, filters: dict[str, Any], count: int | None, out: IO[str]) -> None:
    from engine.history.reads import newest_runs
    from engine.serialize import run_json, task_json

    out.write("[")
    first = True
    tasks = store.iter_tasks(**filters) if store is not None else ()
    for task in tasks:
        out.write("\n" if first else ",\n")
        write_task_json(out, task_json(task), (run_json(r) for r in newest_runs(store, task.id, count)), indent=False)
        first = False
    out.write("]\n" if first else "\n]\n")


# ---------------------------------------------------------------- prune, retention


def add_history_commands(sub: Any, *, db_path: Callable[[argparse.Namespace], tuple[Path, bool]],
                         reading: Callable[..., AbstractContextManager[Any]]) -> None:
    prune = sub.add_parser("prune", help="remove the history retention no longer keeps, now")
    prune.add_argument("--dry-run", action="store_true", help="say what would go; change nothing")
    prune.add_argument("--json", action="store_true")
    prune.set_defaults(func=lambda args: _prune(args, db_path(args)[0], reading))

    retention = sub.add_parser("retention", help="show or set the global history retention policy")
    cli_spec.add_retention_options(retention, default="default: 100 runs, 30d, 1M+64K")
    retention.add_argument("--json", action="store_true")
    retention.set_defaults(func=lambda args: _retention(args, *db_path(args), reading))


def _say(message: str) -> None:
    print(f"workdeck: {message}", file=sys.stderr)


def _prune(args: argparse.Namespace, db: Path, reading: Callable[..., AbstractContextManager[Any]]) -> int:
    from engine.clock import SystemClock
    from engine.history import prune
    from engine.history.limits import format_size
    from engine.history.policy import load_policy

    with reading(db, write=not args.dry_run) as store:
        if store is None:
            result, before, after = prune.PruneResult(), 0, 0
        else:
            before = os.path.getsize(db)
            policy = load_policy(store.conn)
            # SQLite's own checkpoints, off in the store for the owner's latency (engine.store):
            # nothing waits on this command, and a year's sweep without them left its whole
            # worth in the WAL (91 MB beside a 16 MB database).
            store.conn.execute(f"PRAGMA wal_autocheckpoint = {PRUNE_AUTOCHECKPOINT}")
            result = prune.prune_all(store.conn, policy, SystemClock().now_us(), dry_run=args.dry_run)
            if not args.dry_run:
                prune.switch_to_incremental_vacuum(store.conn, store.path, _say)
                prune.shrink(store.conn)
                store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            after = os.path.getsize(db)
    if args.json:
        print(json.dumps({**result.to_json(), "dry_run": args.dry_run, "db_bytes_before": before,
                          "db_bytes_after": after}, indent=2))
        return 0
    verb = "would remove" if args.dry_run else "removed"
    print(f"{verb} {result.runs:,} runs, {format_size(result.output_bytes)} of output, {result.tasks:,} finished tasks"
          + (f"; database {format_size(before)} -> {format_size(after)}" if not args.dry_run and before else ""))
    for task_id in result.removed_tasks:
        print(f"  task {task_id}")
    return 0


def _retention(args: argparse.Namespace, db: Path, is_default: bool,
               reading: Callable[..., AbstractContextManager[Any]]) -> int:
    from engine.history.policy import RetentionPolicy, load_policy, save_policy

    changes = {k: getattr(args, k) for k in ("keep_runs", "keep_for", "output_limit") if getattr(args, k) is not None}
    if changes and is_default:
        db.parent.mkdir(parents=True, exist_ok=True)
    if changes and not db.exists():
        from engine.store import Store

        Store(db).close()  # a new database, with the schema the policy lives in
    with reading(db, write=bool(changes)) as store:
        if store is None:
            policy = RetentionPolicy()
        elif changes:
            with store.transaction():
                policy = save_policy(store.conn, load_policy(store.conn), **changes)
        else:
            policy = load_policy(store.conn)
    if args.json:
        print(json.dumps(policy.to_json(), indent=2))
    else:
        print(policy.describe())
    return 0
