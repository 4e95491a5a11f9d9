"""The ``workdeck`` command (CONTRACT.md is the contract; keep it exactly).

``add``, ``remind`` and ``cancel`` go to the running owner (the window or ``serve``)
over its local socket, so a task for now starts at once. With no owner they take
the owner lock for the moment they write and use an un-started Engine on the
database; the next owner finds the task there. ``list``, ``show`` and ``log`` only
read the database (SQLite's WAL lets them read beside a running owner).

A thin client on the owner's path: these commands parse their arguments, send the
request and print the answer. What needs the engine (the workers' checks of a spec,
the repeat rules) the owner does, and its refusal is printed as the same one line;
so nothing here imports Qt, the workers or httpx at module level, and each command
imports what only it needs (tests/e2e/test_cli_thin_e2e.py keeps it so).

This package's __init__ is the parser, ``main`` and the ways to the database every
command shares (``_through_owner``, ``_reading``, ``_maintaining``, ``_open_engine``).
Each command is a module of the package, imported only when that command runs:
writing (add, remind, cancel), reading (list, show, log), owning (serve, the window),
manifest (manifest check, export, import), reminders (reminders, snooze, dismiss),
retry, history (prune, retention; list/show's runs), desktop, completion; spec turns
options into a TaskSpec, render writes list and show for people, and thin is the
quick ``add`` that answers before the rest is imported.

Exit status: 0 done, 1 runtime failure, 2 bad input (one line on stderr, nothing
written), 3 no such task.
"""

from __future__ import annotations

import functools
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from engine.errors import BadInputError, NoSuchTaskError, WorkdeckError
from ui import __version__
from ui.cli.thin import OwnerRefusalError as _OwnerReplyError

# Neither argparse nor typing at import: a plain add through an owner (ui.cli.thin)
# needs neither, and they were a tenth of its start-up.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Iterator
    from typing import Any, NoReturn

    from engine.engine import Engine

PROG = "workdeck"
#: How long a command waits for an owner that is starting or stopping (it holds the
#: lock but is not listening) before it gives up.
OWNER_WAIT_SECONDS = 10.0
#: How long a direct (no-owner) write waits for SQLite's write lock.
DIRECT_BUSY_TIMEOUT_MS = 60_000


class UsageError(BadInputError):
    pass


@functools.cache
def _parser_class() -> type[argparse.ArgumentParser]:
    import argparse

    class _Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:
            # argparse prints usage and exits 2; the contract wants one line.
            command = self.prog[len(PROG) :].strip()
            raise UsageError(f"{command + ': ' if command else ''}{message} (see {self.prog} --help)")

    return _Parser


#: The commands a thin client runs: for these, only their own sub-parser is built.
_CLIENT_COMMANDS = ("add", "remind", "list", "show", "log", "cancel", "import")


def _command_of(argv: list[str]) -> str | None:
    """The sub-command ``argv`` names, if it is a thin client's (None: build them all)."""
    skip = False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("--db", "--manifest"):
            skip = True  # its value follows
        elif not arg.startswith("-"):
            # serve too: its start (the drain of a backlog counts from it) skips the other parsers' imports
            return arg if arg in _CLIENT_COMMANDS or arg == "serve" else None
    return None


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or (``only``) the top level and that one sub-command: building
    every sub-parser is a tenth of a thin client's start-up."""
    _Parser = _parser_class()  # noqa: N806  (a class)
    if only != "serve":  # serve's start (to its first due run, issue 14) needs none of these
        from engine.model import Kind, State
        from ui.cli import history as cli_history
        from ui.cli import spec as cli_spec

    def wanted(command: str) -> bool:
        return only is None or only == command

    parser = _Parser(prog=PROG, description="A desktop command centre for background work.")
    parser.add_argument("--db", metavar="PATH", help="the database (default: $WORKDECK_DB, else workdeck.db in "
                        "your user data folder)")
    parser.add_argument("--manifest", metavar="PATH", help="the manifest of receivers and standing tasks (default: "
                        "manifest.toml in your user config folder); for the window and serve")
    parser.add_argument("--hidden", action="store_true", help="start the window hidden in the tray (start at login)")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    if wanted("serve"):
        sub.add_parser("serve", help="run the engine headless until SIGTERM/SIGINT")
    if wanted("add"):
        add = sub.add_parser("add", help="create a task that runs CMD: add [OPTIONS] -- CMD [ARG...]",
                             usage=f"{PROG} add [OPTIONS] -- CMD [ARG...]")
        cli_spec.add_timing_options(add, remind=False)
        cli_spec.add_task_options(add)

    if wanted("remind"):
        remind = sub.add_parser("remind", help="an exact reminder shown as a tray notification")
        cli_spec.add_timing_options(remind, remind=True)
        remind.add_argument("message", nargs="*", metavar="MESSAGE")

    if wanted("list"):
        lst = sub.add_parser("list", help="list tasks")
        lst.add_argument("--json", action="store_true")
        lst.add_argument("--state", choices=[s.value for s in State])
        lst.add_argument("--tag")
        lst.add_argument("--kind", choices=[k.value for k in Kind])
        lst.add_argument("--name")
        cli_history.add_runs_option(lst, 0, "--json: each task's newest N runs; totals count them all")

    if wanted("show"):
        show = sub.add_parser("show", help="spec, state, attempts, runs")
        show.add_argument("id", metavar="ID")
        show.add_argument("--json", action="store_true")
        cli_history.add_runs_option(show, 20, "the newest N runs; totals count them all")

    if wanted("log"):
        log_ = sub.add_parser("log", help="captured stdout+stderr of the latest run")
        log_.add_argument("id", metavar="ID")

    if wanted("cancel"):
        cancel = sub.add_parser("cancel", help="cancel (ID | --tag TAG | --name NAME)")
        cancel.add_argument("id", nargs="?", metavar="ID")
        cancel.add_argument("--tag")
        cancel.add_argument("--name")
        cancel.add_argument("--json", action="store_true")

    if only is None or only in ("manifest", "export", "import"):
        from ui.cli.manifest import add_manifest_commands  # manifest check, export, import

        add_manifest_commands(
            sub, open_engine=_open_engine,
            through_owner=lambda args, request, direct, check=None: _through_owner(
                _writable(*_db_path(args.db)), request, direct, check),
        )
    if only is None:
        from ui.cli.completion import add_completion_command
        from ui.cli.desktop import add_desktop_commands
        from ui.cli.reminders import add_reminder_commands  # reminders, snooze, dismiss
        from ui.cli.retry import add_retry_command

        add_reminder_commands(
            sub, through_owner=lambda args, request, direct: _through_owner(_db_path(args.db)[0], request, direct),
            reading=lambda args: _reading(_db_path(args.db)[0]), db_exists=lambda args: _db_path(args.db)[0].exists(),
        )
        add_desktop_commands(sub)
        add_completion_command(sub)
        # prune and retention write (the policy, deletions): a writable store, not _reading's read-only one
        cli_history.add_history_commands(sub, db_path=lambda args: _db_path(args.db), reading=_maintaining)
        add_retry_command(sub, lambda args, request, direct: _existing_through_owner(args.db, args.id, request, direct))
    return parser


def main(argv: list[str] | None = None) -> int:
    _utf8_output()
    try:
        status = _main(argv)
        sys.stdout.flush()  # a closed pipe shows here, not as Python's complaint at exit
        return status
    except BrokenPipeError:
        # `workdeck list | head`: the reader has gone. Say nothing, as other tools do,
        # and exit as they would on SIGPIPE (128 + 13). Further writes go nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def _utf8_output() -> None:
    """Write UTF-8 whatever the locale's encoding (JSON is UTF-8, RFC 8259; the contract
    is the same on every platform): a name, message or output with a character the
    locale cannot encode (ASCII, cp1252 into a pipe on Windows) was a UnicodeEncodeError
    traceback from list, show, log and every --json."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
        if encoding and encoding != "utf8" and hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8", errors="backslashreplace")


def _main(argv: list[str] | None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        from ui.cli.thin import add_through_owner

        quick = add_through_owner(argv)  # a plain add a running owner answers (issue 14); else None
        return _run(argv) if quick is None else quick
    except SystemExit as exc:  # --help, --version
        return exc.code if isinstance(exc.code, int) else 0
    except KeyboardInterrupt:
        return 130
    except WorkdeckError as exc:
        _say(str(exc))
        return exc.exit_status
    except BrokenPipeError:
        raise
    except Exception as exc:  # a bug: say so plainly, with the traceback for the report
        import traceback

        traceback.print_exc()
        _say(f"internal error: {type(exc).__name__}: {exc}")
        return 1


def _say(message: str) -> None:
    print(f"{PROG}: " + " ".join(message.split()), file=sys.stderr)


def _run(argv: list[str]) -> int:
    # Everything after the first "--" is the task's argv, untouched by option parsing.
    head, tail = (argv[: argv.index("--")], argv[argv.index("--") + 1 :]) if "--" in argv else (argv, None)
    completing = "_ARGCOMPLETE" in os.environ  # the shell asks for completions (workdeck completion SHELL)
    parser = build_parser(None if completing else _command_of(head))
    if completing:
        from ui.cli.completion import complete

        complete(parser, _db_path)
    args, extra = parser.parse_known_args(head)
    command = args.command
    if extra:
        where = f"{PROG} {command}" if command else PROG
        if command == "add" and tail is None and not extra[0].startswith("-"):
            raise UsageError(f"add: put the command after --: {PROG} add [OPTIONS] -- CMD [ARG...]")
        raise UsageError(f"{command + ': ' if command else ''}unrecognized arguments: {' '.join(extra)} "
                         f"(see {where} --help)")
    db, is_default = _db_path(args.db)
    if tail is not None and command not in ("add", "remind"):
        # _say adds "workdeck: ": no command is no prefix, not "workdeck: workdeck: "
        raise UsageError(f"{command + ': ' if command else ''}unexpected -- (only add takes a command after --, "
                         "and remind its MESSAGE)")
    # Each command's module is imported only when it runs (the module's docstring).
    if command == "add":
        if not tail:
            raise UsageError(f"add: missing the command after --: {PROG} add [OPTIONS] -- CMD [ARG...]")
        from ui.cli.writing import cmd_add

        return cmd_add(args, db, is_default, worker="shell", task_args=tail)
    if command == "remind":
        message = " ".join([*args.message, *(tail or [])]).strip()
        if not message:
            raise UsageError("remind: missing the MESSAGE")
        from ui.cli.writing import cmd_add

        return cmd_add(args, db, is_default, worker="reminder", task_args=[message])
    if command in ("list", "show", "log"):
        from ui.cli import reading

        return {"list": reading.cmd_list, "show": reading.cmd_show, "log": reading.cmd_log}[command](args, db)
    if command == "cancel":
        from ui.cli.writing import cmd_cancel

        return cmd_cancel(args, db)
    manifest = Path(args.manifest).expanduser() if args.manifest else None
    if command == "serve":
        from engine.store_faults import refuse_if_read_only
        from ui.cli.owning import cmd_serve

        refuse_if_read_only(str(db))  # before the lock file: a refused serve leaves nothing
        return cmd_serve(_writable(db, is_default), manifest)
    if command is not None and hasattr(args, "func"):
        return int(args.func(args))
    from ui.cli.owning import cmd_window

    return cmd_window(_writable(db, is_default), manifest, hidden=args.hidden)


def _db_path(option: str | None) -> tuple[Path, bool]:
    if option is not None and not option.strip():
        # `--db "$DB"` with DB unset must not write to the user's own database
        raise UsageError("--db: empty; give the path of a database file")
    chosen = option or os.environ.get("WORKDECK_DB") or None
    if chosen:
        path = Path(chosen).expanduser().absolute()
        if path.is_dir():  # refused before a lock file is made beside it
            raise UsageError(f"--db {path}: is a folder; give the path of a database file")
        return path, False
    import platformdirs

    return Path(platformdirs.user_data_dir("workdeck")) / "workdeck.db", True


def _writable(db: Path, is_default: bool) -> Path:
    """The default database's folder is created on first use; a --db's must exist."""
    if is_default:
        from engine.private_files import private_folder

        private_folder(db.parent)  # 0700: commands and their output are the user's alone
    return db


# ---------------------------------------------------------------- writing


def _existing_through_owner(
    option: str | None, task_id: str, request: dict[str, Any], direct: Callable[[Engine], dict[str, Any]]
) -> dict[str, Any]:
    """_through_owner for a command about one task: no database, no such task (nothing created)."""
    db = _db_path(option)[0]
    if not db.exists():
        raise NoSuchTaskError(task_id)
    return _through_owner(db, request, direct)


def _through_owner(
    db: Path,
    request: dict[str, Any],
    direct: Callable[[Engine], dict[str, Any]],
    check: Callable[[], dict[str, Any] | None] | None = None,
) -> dict[str, Any]:
    """Ask the owner; with none, ``check`` the request (it raises, or returns a refusal
    to print), hold the lock and act on the database directly. A refusal that lists
    ``problems`` (an import's manifest) is returned for the caller to print, as the
    direct path returns it; other refusals are raised."""
    from engine import ipc
    from engine.owner.lock import OwnerLock, socket_path
    from engine.store_faults import refuse_if_read_only

    refuse_if_read_only(str(db))  # before the lock file: a refused write leaves nothing
    path = socket_path(db)
    lock = OwnerLock(db)
    deadline = time.monotonic() + OWNER_WAIT_SECONDS
    while True:
        reply = ipc.call(path, request)
        if reply is not None:
            if not reply.get("ok") and "problems" not in reply:
                raise _OwnerReplyError(str(reply.get("error")), int(reply.get("exit", 1)))
            return reply
        if check is not None:
            refusal = check()  # bad input writes nothing: not even the lock file
            if refusal is not None:
                return refusal
            check = None
        # Import the engine before taking the lock, not while holding it: under load
        # that import takes seconds, which other command lines would spend waiting.
        from engine.engine import Engine  # noqa: F401

        if lock.try_acquire("cli"):
            try:
                return _direct(db, lock, direct)
            finally:
                lock.release()
        # The holder is an owner starting (not listening yet) or stopping, or another
        # command line writing: each takes milliseconds to seconds.
        if time.monotonic() >= deadline:
            raise lock.owned_error(lock.holder())
        time.sleep(0.01)


def _direct(db: Path, lock: Any, direct: Callable[[Engine], dict[str, Any]]) -> dict[str, Any]:
    from engine.engine import Engine
    from engine.store import Store

    try:
        # Command lines with no owner write side by side (a script's loop, cron): each
        # waits its turn for SQLite's write lock rather than failing after the default 5 s.
        store = Store(db, busy_timeout_ms=DIRECT_BUSY_TIMEOUT_MS)
    except BadInputError:
        lock.abandon()  # not a database we can use: leave no lock file beside it
        raise
    try:
        return direct(Engine(store))
    finally:
        store.close()


@contextmanager
def _open_engine(args: argparse.Namespace) -> Iterator[Engine]:
    """An un-started Engine that only reads the database ``--db``/``WORKDECK_DB`` names
    (export; import goes through _through_owner). Reading needs no lock (WAL lets it
    read beside an owner) and creates nothing: with no database it reads an empty one
    in memory."""
    from engine.engine import Engine
    from engine.store import Store
    from engine.store.opening import open_for_reading

    store = open_for_reading(_db_path(args.db)[0]) or Store(":memory:")
    try:
        yield Engine(store)
    finally:
        store.close()


# ---------------------------------------------------------------- reading


@contextmanager
def _maintaining(db: Path, *, write: bool = True) -> Iterator[Any]:
    """A writable store for prune and retention, or None when no database exists.
    ``write=False`` (prune --dry-run, retention with no option) reads as ``list`` does:
    a 0-byte file stays 0 bytes, nothing is created or migrated."""
    if not write:
        with _reading(db) as store:
            yield store
        return
    if not db.exists():
        yield None
        return
    from engine.store import Store

    store = Store(db)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def _reading(db: Path) -> Iterator[Any]:
    """The store opened read-only, or None when there is nothing to read (no file, an
    empty file): reading creates and writes nothing (engine.store.opening)."""
    from engine.store.opening import open_for_reading

    store = open_for_reading(db)
    if store is None:
        yield None
        return
    try:
        yield store
    finally:
        store.close()
