"""``workdeck add`` through a running owner, at the cost of a bare Python (issue 14).

The plain forms of ``add`` (``[--db PATH] add [--now|--defer] [--name NAME]
[--tag TAG]... [--json] -- CMD [ARG...]``), which is what scripts and most people
type, are answered here before the rest of the command line is even imported: no
argparse (with its gettext look-ups on disk), no engine.model (dataclasses and
inspect), no date or zone parsing, no sqlite3. The spec is sent in the store's
compact form (fields at their defaults left out; the owner's ``TaskSpec.from_json``
restores them), and the owner makes every check, so its refusal is the same line.

Anything else, including any form this parser is unsure of (an abbreviated option,
``--name=X``, a value that starts with ``-``, a repeated flag, ``--help``), and every
case where no owner answers, returns None *before anything was sent*: the full
command line (ui.cli) then does what it always did, errors and ``--help`` included.
tests/ui/test_cli_thin.py checks that both build the same spec.
"""

from __future__ import annotations

import os
import sys

from engine.errors import WorkdeckError

TYPE_CHECKING = False  # not typing's: this module is the whole of a quick add's imports
if TYPE_CHECKING:
    from typing import Any


class OwnerRefusalError(WorkdeckError):
    """The owner refused a request: its one line, with the exit status it chose."""

    def __init__(self, message: str, exit_status: int) -> None:
        super().__init__(message)
        self.exit_status = exit_status


def parse_add(argv: list[str]) -> tuple[str | None, dict[str, Any], bool] | None:
    """``(--db or None, the spec's compact JSON, --json)`` for a plain ``add``; None
    for anything else (the full parser decides)."""
    if "--" not in argv:
        return None
    split = argv.index("--")
    head, tail = argv[:split], argv[split + 1 :]
    if not tail:
        return None
    db: str | None = None
    i = 0
    while i < len(head) and head[i] == "--db":  # the top-level option, before the command
        if db is not None or i + 1 >= len(head) or head[i + 1].startswith("-") or not head[i + 1].strip():
            return None
        db, i = head[i + 1], i + 2
    if head[i : i + 1] != ["add"]:
        return None
    kind: str | None = None
    name: str | None = None
    tags: list[str] = []
    as_json = False
    options = head[i + 1 :]
    i = 0
    while i < len(options):
        option = options[i]
        if option in ("--now", "--defer") and kind is None:
            kind = "immediate" if option == "--now" else "deferred"
        elif option == "--json" and not as_json:
            as_json = True
        elif option in ("--name", "--tag") and i + 1 < len(options) and not options[i + 1].startswith("-"):
            i += 1
            if option == "--tag":
                tags.append(options[i])
            elif name is None:
                name = options[i]
            else:
                return None
        else:
            return None
        i += 1
    spec: dict[str, Any] = {"worker": "shell", "args": tail}
    if kind == "deferred":
        spec["kind"] = kind
    if name is not None:
        spec["name"] = name
    if tags:
        spec["tags"] = tags
    return db, spec, as_json


def default_db() -> str | None:
    """platformdirs' ``user_data_dir("workdeck")/workdeck.db`` on Linux, where it is the
    XDG rule (importing platformdirs costs a tenth of a quick add); None elsewhere or in
    any unusual case, which the full command line answers."""
    if sys.platform != "linux" or "ANDROID_DATA" in os.environ:
        return None
    base = os.environ.get("XDG_DATA_HOME", "")
    if not os.path.isabs(base):
        home = os.environ.get("HOME", "")
        if not os.path.isabs(home):
            return None
        base = os.path.join(home, ".local", "share")
    return os.path.join(base, "workdeck", "workdeck.db")


def add_through_owner(argv: list[str]) -> int | None:
    """Exit status of a plain ``add`` a running owner answered; None: not done here."""
    if "_ARGCOMPLETE" in os.environ:
        return None
    parsed = parse_add(argv)
    if parsed is None:
        return None
    option, spec, as_json = parsed
    chosen = option or os.environ.get("WORKDECK_DB") or None
    db = os.path.abspath(os.path.expanduser(chosen)) if chosen else default_db()
    if db is None or not os.path.isfile(db):  # a folder, or no database yet: the full path says what to do
        return None
    from engine import ipc
    from engine.owner.lock import socket_path
    from engine.write_access import read_only_reason

    if read_only_reason(db) is not None:
        return None  # the full path refuses it, in its words
    try:
        path = socket_path(db)
    except WorkdeckError:
        return None
    reply = ipc.call(path, {"op": "add", "spec": spec}, what="the task")  # too large: ui.cli.writing's refusal
    if reply is None:
        return None  # no owner: the full command line writes directly
    if not reply.get("ok"):
        raise OwnerRefusalError(str(reply.get("error")), int(reply.get("exit", 1)))
    task = reply["task"]
    if as_json:
        import json

        print(json.dumps(task, indent=2, ensure_ascii=False))
    else:
        print(task["id"])
    return 0
