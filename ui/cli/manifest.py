"""Command line: ``workdeck manifest check PATH``, ``workdeck export``, ``workdeck import PATH``.

ui.cli owns the parser; it calls :func:`add_manifest_commands` with its sub-parsers.
Each sub-command sets ``func`` to a handler ``(args) -> exit status``, the same
convention as the other commands. Handlers that need the database get an engine from
``open_engine(args)`` (a context manager: the CLI's own, which honours ``--db`` and
``WORKDECK_DB``); without one they open the database the contract names themselves.

- ``manifest check PATH``: checks like the engine would when loading it (ownership and
  permissions included) and runs nothing. Exit 0 and a summary on stdout; exit 2 and
  one ``FILE:LINE: KEY: message`` line per problem on stderr.
- ``export [-o FILE]``: the user's unfinished tasks as a manifest, on stdout or into
  FILE (written whole, then renamed into place).
- ``import PATH``: adds the file's tasks; a task whose name is already waiting or
  running is kept. One line per task: ``added NAME ID`` or ``kept NAME ID``. A file
  with any problem adds nothing (exit 2).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ContextManager

OpenEngine = Callable[[argparse.Namespace], ContextManager[Any]]
#: Hands a request to the running owner or, with none, runs the given function on an
#: engine over the database (ui.cli's _through_owner): the reply either way.
#: An optional fourth argument checks the request before the direct path opens anything:
#: it returns a refusal to print (a reply with ``problems``) or None.
ThroughOwner = Callable[..., dict[str, Any]]


def add_manifest_commands(
    subparsers: Any, open_engine: OpenEngine | None = None, through_owner: ThroughOwner | None = None
) -> None:
    """Register ``manifest``, ``export`` and ``import`` on the CLI's sub-parsers. Without
    ``through_owner``, import works on ``open_engine``'s engine."""
    opener = open_engine or _open_default_engine

    def on_opened_engine(
        args: argparse.Namespace, request: dict[str, Any], direct: Callable[[Any], Any], check: Any = None
    ) -> Any:
        with opener(args) as engine:
            return direct(engine)

    manifest = subparsers.add_parser("manifest", help="work with the receivers manifest")
    manifest_sub = manifest.add_subparsers(dest="manifest_command", required=True, metavar="COMMAND")
    check = manifest_sub.add_parser("check", help="validate a manifest; runs nothing")
    check.add_argument("path", metavar="PATH")
    check.set_defaults(func=cmd_manifest_check)

    export = subparsers.add_parser("export", help="write your unfinished tasks as a manifest")
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    export.set_defaults(func=lambda args: cmd_export(args, opener))

    imported = subparsers.add_parser("import", help="add the tasks of a manifest file")
    imported.add_argument("path", metavar="PATH")
    imported.add_argument("--json", action="store_true", help="print the result as JSON")
    imported.set_defaults(func=lambda args: cmd_import(args, through_owner or on_opened_engine,
                                                       check_first=through_owner is not None))


def cmd_manifest_check(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from engine.manifest.model import ManifestError, load  # the workers and more: only this command needs them

    _register_gui_workers()
    try:
        manifest = load(args.path, now=datetime.now(UTC))
    except ManifestError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 2
    standing = len(manifest.standing_specs())
    print(f"{args.path}: ok: {len(manifest.tasks)} tasks ({standing} standing), {len(manifest.receivers)} receivers")
    return 0


def cmd_export(args: argparse.Namespace, open_engine: OpenEngine) -> int:
    from engine.manifest.io import export_manifest

    with open_engine(args) as engine:
        text = export_manifest(engine.tasks(), engine.clock.now())
    if not args.output:
        sys.stdout.write(text)
        return 0
    target = Path(args.output)
    try:
        _write_export(target, text)
    except OSError as exc:  # a FILE that cannot be written is the user's one line, not a traceback
        raise _unwritable(target, exc) from None
    return 0


def _write_export(target: Path, text: str) -> None:
    """``text`` to ``target``: a file is replaced whole or not at all, through a temporary
    file beside it (a link's file, not the link). Anything else that exists (a device such
    as /dev/null or /dev/stdout, a pipe: ``-o >(gzip > x)``) is written as it is: replacing
    it put a regular file in place of /dev/null."""
    import stat
    import tempfile  # only export writes a file

    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        with open(target, "w", encoding="utf-8") as out:  # a folder: IsADirectoryError, refused
            out.write(text)
        return
    target = Path(os.path.realpath(target))
    # Whole or nothing: a half-written export must not replace a good one.
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:  # TOML is UTF-8, whatever the locale
            out.write(text)
        os.chmod(temp, 0o600)  # it may become a manifest, which refuses group/other write
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _unwritable(target: Path, exc: OSError) -> Exception:
    """-o FILE could not be written (nothing was): no space is the machine's fault (exit
    1), a missing folder, a folder named as FILE or no permission the input's (exit 2)."""
    import errno

    from engine.errors import BadInputError, EnvironmentFaultError

    message = f"export: cannot write {target}: {exc.strerror or exc}"
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EIO):
        return EnvironmentFaultError(message)
    return BadInputError(message)


def cmd_import(args: argparse.Namespace, through_owner: ThroughOwner, *, check_first: bool = False) -> int:
    """A running owner imports the file itself (so it, and a window's table, sees the tasks
    at once); with none, the command line does, on the database.

    ``check_first`` (the command line's own path, on the wall clock): with no owner
    running, the file is checked before a database is opened, so a file with a problem
    makes no database (or lock) appear where there was none; a running owner checks it
    itself (the command line then loads no worker). The direct path checks it again, on
    the engine's clock."""
    with _spooled(os.path.abspath(args.path)) as (path, shown):
        return _import(args, path, shown, through_owner, check_first=check_first)


@contextlib.contextmanager
def _spooled(path: str) -> Iterator[tuple[str, str]]:
    """``(the path to import, the path to name)``. A pipe or a device (``import <(...)``,
    ``/dev/stdin``) is read once into a private copy: the checks and the import each read
    the file, so the import read an emptied pipe and added nothing, exit 0; and an owner
    opened its own /dev/fd or stdin, not the command line's."""
    import stat

    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = None
    if mode is None or stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        yield path, path  # the checks say what is wrong with it, in its name
        return
    import shutil
    import tempfile

    from engine.errors import BadInputError
    from engine.manifest.model import refuse_if_others_can_write

    try:
        refuse_if_others_can_write(Path(path))  # as load() does for a file: the stream's writers are the user's
        data = Path(path).read_bytes()
    except (BadInputError, OSError) as exc:
        raise BadInputError(f"{path}: {getattr(exc, 'strerror', None) or exc}") from None
    folder = tempfile.mkdtemp(prefix="workdeck-import-")  # 0700
    copy = os.path.join(folder, "manifest.toml")
    try:
        with open(os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as out:
            out.write(data)
        yield copy, path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _import(args: argparse.Namespace, path: str, shown: str, through_owner: ThroughOwner, *,
            check_first: bool) -> int:
    def check() -> dict[str, Any] | None:
        from datetime import UTC, datetime

        from engine.manifest.model import ManifestError, load

        _register_gui_workers()
        try:
            load(path, now=datetime.now(UTC))
        except ManifestError as exc:
            return {"ok": False, "problems": exc.problems}
        return None

    def direct(engine: Any) -> dict[str, Any]:
        from engine.manifest.io import import_reply  # not on the owner's path: it loads every worker

        _register_gui_workers()
        return import_reply(engine, path)

    request = {"op": "import", "path": path}
    reply = through_owner(args, request, direct, check) if check_first else through_owner(args, request, direct)
    if not reply["ok"]:
        for problem in reply["problems"]:
            print(str(problem).replace(path, shown), file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(reply["imported"]))
    else:
        for item in reply["imported"]:
            print(f"{'added' if item['added'] else 'kept'} {item['name']} {item['id']}")
    if reply["receivers"]:
        print(f"{reply['receivers']} receivers not imported: receivers belong in the manifest", file=sys.stderr)
    return 0


def _register_gui_workers() -> None:
    from ui.workers import register_gui_workers

    register_gui_workers()


@contextlib.contextmanager
def _open_default_engine(args: argparse.Namespace) -> Iterator[Any]:
    """An engine that is never started, on the database CONTRACT.md names."""
    import platformdirs

    from engine.engine import Engine
    from engine.store import Store

    path = getattr(args, "db", None) or os.environ.get("WORKDECK_DB")
    if not path:
        folder = platformdirs.user_data_path("workdeck")
        folder.mkdir(parents=True, exist_ok=True)
        path = str(folder / "workdeck.db")
    store = Store(path)
    try:
        yield Engine(store)
    finally:
        store.close()
