"""Command line: ``workdeck reminders [--json]``, ``workdeck snooze ID [--for 10m | --until 14:30]``,
``workdeck dismiss ID``.

ui.cli owns the parser and calls :func:`add_reminder_commands` with its sub-parsers
and its two database paths: ``through_owner`` (the running owner over its socket, else
the database under the owner lock, as ``cancel`` does) and ``reading`` (the database
read beside any owner, as ``list`` does).

- ``reminders``: the missed/unanswered list -- every reminder shown or missed and not
  yet snoozed or dismissed, oldest first: ``TASK  STATUS  DUE  MESSAGE`` per line, or JSON.
- ``snooze ID``: show task ID's reminder again ``--for`` a duration (default 10m) or
  ``--until`` a time (``HH:MM`` is the next such local time; ISO 8601 works too). Prints
  the new reminder task's id and when it fires.
- ``dismiss ID``: acknowledge it; it leaves the list.

A malformed duration or time is exit 2 before anything is opened; an unknown ID is
exit 3; a task with no reminder showing is exit 2. Nothing is written in either case.
Imports nothing heavy at module level (no PySide6): the parser is built on every run.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

DEFAULT_SNOOZE = "10m"

#: ui.cli's owner-or-database path: (args, request, direct(engine) -> reply) -> reply.
ThroughOwner = Callable[[argparse.Namespace, dict[str, Any], Callable[[Any], dict[str, Any]]], dict[str, Any]]
#: ui.cli's reader: args -> a context manager giving the store, or None with no database yet.
Reading = Callable[[argparse.Namespace], AbstractContextManager[Any]]
#: Whether the database the arguments name exists (an unknown id must create none).
DbExists = Callable[[argparse.Namespace], bool]


def add_reminder_commands(subparsers: Any, *, through_owner: ThroughOwner, reading: Reading,
                          db_exists: DbExists) -> None:
    listed = subparsers.add_parser("reminders", help="reminders shown or missed and not yet answered")
    listed.add_argument("--json", action="store_true")
    listed.set_defaults(func=lambda args: cmd_reminders(args, reading))

    snooze = subparsers.add_parser("snooze", help="show a reminder again later: snooze ID [--for 10m | --until 14:30]")
    snooze.add_argument("id", metavar="ID")
    when = snooze.add_mutually_exclusive_group()
    when.add_argument("--for", dest="duration", metavar="DURATION", help=f"how long (default {DEFAULT_SNOOZE})")
    when.add_argument("--until", metavar="TIME", help="HH:MM (the next such local time) or ISO 8601")
    snooze.add_argument("--json", action="store_true")
    snooze.set_defaults(func=lambda args: cmd_snooze(args, through_owner, db_exists))

    dismiss = subparsers.add_parser("dismiss", help="acknowledge a reminder: it leaves the reminders list")
    dismiss.add_argument("id", metavar="ID")
    dismiss.add_argument("--json", action="store_true")
    dismiss.set_defaults(func=lambda args: cmd_dismiss(args, through_owner, db_exists))


def cmd_reminders(args: argparse.Namespace, reading: Reading) -> int:
    from engine.reminders import reminder_json

    with reading(args) as store:
        reminders = [] if store is None else store.open_reminders()
    if args.json:
        print(json.dumps([reminder_json(r) for r in reminders], indent=2, ensure_ascii=False))
        return 0
    from ui.cli.render import one_line  # a message's newline would make it two reminders to a script

    for reminder in reminders:
        due = reminder.due_at.astimezone().strftime("%Y-%m-%d %H:%M") if reminder.due_at else "-"
        print(f"{reminder.task_id}  {reminder.status.value:<6}  {due}  {one_line(reminder.message)}")
    return 0


def snooze_request(args: argparse.Namespace, now: datetime) -> dict[str, Any]:
    """The request for ``snooze``; raises BadTimeError (exit 2) for a malformed or past time."""
    from engine.errors import BadTimeError
    from engine.timeparse import parse_duration, parse_time

    if args.until is not None:
        until = parse_time(args.until, now)
        if until <= now:
            raise BadTimeError(f"snooze --until {args.until}: that time has passed")
        return {"op": "snooze", "id": args.id, "until": until.isoformat()}
    seconds = parse_duration(args.duration if args.duration is not None else DEFAULT_SNOOZE)
    if seconds <= 0:
        raise BadTimeError(f"snooze --for {args.duration}: a snooze must be positive")
    return {"op": "snooze", "id": args.id, "seconds": seconds}


def cmd_snooze(args: argparse.Namespace, through_owner: ThroughOwner, db_exists: DbExists) -> int:
    request = snooze_request(args, datetime.now(UTC))
    reply = _answer(args, request, through_owner, db_exists)
    if args.json:
        print(json.dumps(reply, indent=2))
    else:
        until = datetime.fromisoformat(reply["until"]).astimezone().strftime("%Y-%m-%d %H:%M:%S")
        print(f"{args.id} snoozed until {until} as {reply['snoozed_as']}")
    return 0


def cmd_dismiss(args: argparse.Namespace, through_owner: ThroughOwner, db_exists: DbExists) -> int:
    reply = _answer(args, {"op": "dismiss", "id": args.id}, through_owner, db_exists)
    print(json.dumps(reply, indent=2) if args.json else f"{args.id} dismissed")
    return 0


def _answer(args: argparse.Namespace, request: dict[str, Any], through_owner: ThroughOwner,
            db_exists: DbExists) -> dict[str, Any]:
    from engine.errors import NoSuchTaskError

    if not db_exists(args):
        raise NoSuchTaskError(args.id)  # and create no database to say so

    def direct(engine: Any) -> dict[str, Any]:
        from engine.reminders import answer_request

        return answer_request(engine, request)

    reply = through_owner(args, request, direct)
    reply.pop("ok", None)
    return reply


__all__ = ["add_reminder_commands", "snooze_request"]
