"""The writing commands: ``add``, ``remind`` (an ``add`` of a reminder) and ``cancel``.

Each goes through ui.cli's ``_through_owner``: the running owner (the window or
``serve``) over its socket, so a task for now starts at once; with none, the database
under the owner lock. The checks that need the workers and the repeat rules are the
owner's (its refusal is the same one line), or, with no owner, made before the lock
file or the database exists; nothing here imports Qt, the workers or httpx.
"""

from __future__ import annotations

import json

from engine.errors import NoSuchTaskError
from ui.cli import UsageError, _through_owner, _writable

TYPE_CHECKING = False  # not typing's: as in ui.cli, for the command line's start-up
if TYPE_CHECKING:
    import argparse
    from pathlib import Path
    from typing import Any

    from engine.engine import Engine


def cmd_add(args: argparse.Namespace, db: Path, is_default: bool, *, worker: str, task_args: list[str]) -> int:
    from engine.clock import SystemClock
    from engine.errors import BadSpecError
    from ui.cli import spec as cli_spec

    # The checks that need the workers are the owner's (see the module's docstring).
    now = SystemClock().now()
    spec = cli_spec.spec_from_args(args, now, worker=worker, task_args=task_args, check=False)

    def check() -> None:
        # With no owner: the same checks, before the lock file or the database exists.
        from engine.checks import check_spec, check_timing

        check_spec(spec)
        check_timing(spec, now)
        if spec.after and not db.exists():
            raise BadSpecError(f"--after {spec.after[0]}: no such task")

    def direct(engine: Engine) -> dict[str, Any]:
        from engine.serialize import task_json

        return task_json(engine.task(engine.enqueue(spec).id))

    request = {"op": "add", "spec": spec.to_json()}
    from engine.ipc import request_line

    request_line(request, "the task")  # too large for an owner: refused with or without one, alike
    reply = _through_owner(_writable(db, is_default), request, direct, check)
    task = reply["task"] if "task" in reply else reply
    _print_task_result(task, as_json=args.json)
    return 0


def _print_task_result(task: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(task, indent=2, ensure_ascii=False))  # serialize.dumps' form, without importing Qt
    else:
        print(task["id"])


def cmd_cancel(args: argparse.Namespace, db: Path) -> int:
    given = [x for x in (args.id, args.tag, args.name) if x]
    if len(given) != 1:
        raise UsageError("cancel: give one of ID, --tag TAG or --name NAME")
    if not db.exists():
        raise NoSuchTaskError(args.id or (f"tag {args.tag}" if args.tag else f"name {args.name}"))
    request = {"op": "cancel", "id": args.id, "tag": args.tag, "name": args.name}

    def direct(engine: Engine) -> dict[str, Any]:
        from engine.serialize import task_json

        tasks = [engine.cancel(args.id)] if args.id else engine.cancel_matching(tag=args.tag, name=args.name)
        return {"tasks": [task_json(engine.task(t.id)) for t in tasks]}

    tasks = _through_owner(db, request, direct)["tasks"]
    if args.json:
        print(json.dumps(tasks, indent=2, ensure_ascii=False))
    else:
        for task in tasks:
            print(f"{task['id']} {task['state']}")
    return 0
