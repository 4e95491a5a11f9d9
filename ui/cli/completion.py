"""Shell completion for ``workdeck``: bash, zsh and fish, from the one argparse definition.

``workdeck completion SHELL`` prints the script to load (argcomplete's shell code); the
shell then runs ``workdeck`` with ``_ARGCOMPLETE`` set on every Tab, and :func:`complete`
answers from the parser itself, so a new command or option completes with no second
list to keep. Task ids complete from the database, read-only and with one indexed query.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
from pathlib import Path
from typing import Any, NoReturn

SHELLS = ("bash", "zsh", "fish")
#: At most this many ids are offered: a shell shows more as a wall nobody reads.
MAX_IDS = 200


def add_completion_command(subparsers: Any) -> None:
    completion = subparsers.add_parser(
        "completion", help="print the shell completion script (e.g. in ~/.bashrc: "
        "eval \"$(workdeck completion bash)\"; fish: workdeck completion fish | source)")
    completion.add_argument("shell", choices=SHELLS, metavar="SHELL", help="bash, zsh or fish")
    completion.set_defaults(func=_print_script)


def _print_script(args: argparse.Namespace) -> int:
    import argcomplete

    print(argcomplete.shellcode(["workdeck"], shell=args.shell), end="")
    return 0


def complete(parser: argparse.ArgumentParser, db_path: Any) -> NoReturn:
    """Answer the shell's completion request and exit (argcomplete's protocol).

    ``db_path(option)`` turns a ``--db`` value (or None) into the database's path."""
    import argcomplete

    def task_ids(prefix: str, parsed_args: argparse.Namespace, **_: Any) -> list[str]:
        from engine.errors import WorkdeckError

        try:
            db = db_path(getattr(parsed_args, "db", None))[0]
        except WorkdeckError:  # a --db that is a folder, or empty: nothing to offer
            return []
        return _ids(Path(db), prefix)

    for action in _positionals_named(parser, "id"):
        action.completer = task_ids  # type: ignore[attr-defined]
    argcomplete.autocomplete(parser, exit_method=os._exit)
    os._exit(1)  # not a completion request after all (argcomplete returned): say nothing


def _positionals_named(parser: argparse.ArgumentParser, dest: str) -> list[argparse.Action]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += _positionals_named(sub, dest)
        elif not action.option_strings and action.dest == dest:
            found.append(action)
    return found


def _ids(db: Path, prefix: str) -> list[str]:
    """Ids starting with ``prefix``, in order; nothing (never an error) when the
    database is missing or unreadable. Opened read-only: completing writes nothing."""
    if not db.is_file():
        return []
    from engine.errors import WorkdeckError
    from engine.store_faults import connect_for_reading

    try:
        # Not a bare mode=ro: on a WAL database nobody has open, that leaves -wal and
        # -shm files behind (engine.store_faults explains the choice).
        con = connect_for_reading(str(db), 200)
        try:
            rows = con.execute("SELECT id FROM tasks WHERE id >= ? AND id < ? ORDER BY id LIMIT ?",
                               (prefix, prefix + "\uffff", MAX_IDS)).fetchall()
        finally:
            con.close()
    except (sqlite3.Error, WorkdeckError):
        return []
    return [row[0] for row in rows]
