"""The reading commands: ``list``, ``show`` and ``log``.

They read the database through ui.cli's ``_reading`` (read-only, beside any owner:
SQLite's WAL lets them), so they create, migrate and write nothing; with no database
there is nothing to list, and no such task to show.
"""

from __future__ import annotations

import sys

from engine.errors import NoSuchTaskError
from ui.cli import _reading

TYPE_CHECKING = False  # not typing's: as in ui.cli, for the command line's start-up
if TYPE_CHECKING:
    import argparse
    from pathlib import Path


def cmd_list(args: argparse.Namespace, db: Path) -> int:
    from engine.model import Kind, State
    from ui.cli import history as cli_history

    filters = {"state": State(args.state) if args.state else None, "kind": Kind(args.kind) if args.kind else None,
               "tag": args.tag, "name": args.name}
    if args.json:  # streamed, each task with its newest few runs and its totals
        with _reading(db) as store:
            cli_history.list_json(store, filters, args.runs, sys.stdout)
        return 0
    from ui.cli.render import table

    with _reading(db) as store:
        # streamed into the table's rows: no task is held (30,000 tasks held 91 MB)
        text = "" if store is None else table(store.iter_tasks(**filters))
    if text:
        print(text)
    return 0


def cmd_show(args: argparse.Namespace, db: Path) -> int:
    from ui.cli import history as cli_history

    with _reading(db) as store:
        if store is None:
            raise NoSuchTaskError(args.id)
        # the newest --runs runs, written as they are read (all: streamed)
        cli_history.show(store, args.id, args.runs, as_json=args.json, out=sys.stdout)
    return 0


def cmd_log(args: argparse.Namespace, db: Path) -> int:
    with _reading(db) as store:
        if store is None:
            raise NoSuchTaskError(args.id)
        text = store.latest_output(args.id)
    sys.stdout.write(text)
    return 0
