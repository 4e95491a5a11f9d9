"""Command line: ``workdeck retry ID``: run a failed task again, by hand.

What a task stopped with ``crashed_owner`` needs (it killed its owner three runs in a
row, engine.recovery), and any other failed task may have: it is enqueued due now, keeping
its id and history. ui.cli registers it with its owner-or-database path.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

#: ui.cli's _through_owner for this command's --db: (request, direct) -> reply.
ThroughOwner = Callable[[argparse.Namespace, dict[str, Any], Callable[[Any], dict[str, Any]]], dict[str, Any]]


def add_retry_command(subparsers: Any, through_owner: ThroughOwner) -> None:
    retry = subparsers.add_parser("retry", help="run a failed task again (e.g. one stopped as crashed_owner)")
    retry.add_argument("id", metavar="ID")
    retry.add_argument("--json", action="store_true")
    retry.set_defaults(func=lambda args: cmd_retry(args, through_owner))


def cmd_retry(args: argparse.Namespace, through_owner: ThroughOwner) -> int:
    def direct(engine: Any) -> dict[str, Any]:
        from engine.serialize import task_json

        return {"ok": True, "task": task_json(engine.retry(args.id))}

    task = through_owner(args, {"op": "retry", "id": args.id}, direct)["task"]
    if args.json:
        print(json.dumps(task, indent=2, ensure_ascii=False))
    else:
        print(f"{task['id']} {task['state']}")
    return 0
