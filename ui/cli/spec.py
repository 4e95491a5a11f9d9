"""``add`` and ``remind`` options -> a :class:`engine.model.TaskSpec` (CONTRACT.md).

Everything is checked here, before the database is opened, so bad input writes
nothing. Choices the contract leaves open, decided here:

- ``--now`` (the default), ``--defer``, ``--in`` and ``--at`` are mutually exclusive.
  ``--every``/``--cron`` without ``--at`` make deferred periodic work (with ``--in``:
  its first run waits that long); with ``--at`` a repeating alarm anchored there.
  ``--now`` with a repeat rule is refused: immediate work runs once, now.
- A one-shot ``--at`` in the past is refused unless ``--now-if-past`` is given (then
  it fires at once). With a repeat rule a past ``--at`` is just the series' anchor.
- ``--requires`` is for deferred work (the seed's constraints); an immediate task
  starts now and an alarm fires at its instant, so both refuse it. ``--after`` is
  refused with ``--at`` for the same reason.
- ``--policy`` needs ``--name``. ``--tz ZONE`` sets the zone of local TIMEs and of
  repeat rules; without it both follow the user's zone.
"""

from __future__ import annotations

import argparse
from datetime import datetime, timedelta

from engine.errors import BadInputError, BadSpecError
from engine.history import limits
from engine.model import (
    Backoff,
    Constraint,
    Kind,
    MissedPolicy,
    RetryPolicy,
    Schedule,
    TaskSpec,
    UniquePolicy,
)
from engine.timeparse import local_zone_name, parse_duration, parse_local_time, zone


def duration(text: str) -> float:
    """argparse ``type=``: a DURATION, refused in argparse's one-line form."""
    try:
        return parse_duration(text)
    except BadInputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def positive_duration(text: str) -> float:
    seconds = duration(text)
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be longer than zero")
    return seconds


def count(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be 0 or more")
    return value


def keep_runs(text: str) -> int:
    try:
        return limits.check_keep_runs(int(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    except BadInputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def keep_for(text: str) -> float:
    try:
        return limits.check_keep_for(parse_duration(text))
    except BadInputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def output_limit(text: str) -> int:
    try:
        return limits.check_output_limit(limits.parse_size(text))
    except BadInputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_retention_options(parser: argparse.ArgumentParser, *, default: str) -> None:
    """``--keep-runs``, ``--keep-for``, ``--output-limit`` (add: the task's own; retention: the global)."""
    parser.add_argument("--keep-runs", type=keep_runs, metavar="N",
                        help=f"keep at least the newest N runs ({default})")
    parser.add_argument("--keep-for", type=keep_for, metavar="DURATION",
                        help=f"keep every run that ended this recently, e.g. 30d ({default})")
    parser.add_argument("--output-limit", type=output_limit, metavar="SIZE",
                        help=f"output kept per run: the first 64K and the rest from the end, e.g. 2M ({default})")


def _choices(enum_type: type) -> list[str]:
    return [m.value for m in enum_type]


def add_timing_options(parser: argparse.ArgumentParser, *, remind: bool) -> None:
    when = parser.add_mutually_exclusive_group(required=remind)
    if not remind:
        when.add_argument("--now", action="store_true", help="immediate, keep-running (the default)")
        when.add_argument("--defer", action="store_true", help="deferred, eligible at once (subject to constraints)")
    when.add_argument("--in", dest="in_", type=duration, metavar="DURATION", help="after that delay")
    when.add_argument("--at", metavar="TIME", help="exact: at that instant (ISO 8601 or HH:MM[:SS])")
    repeat = parser.add_mutually_exclusive_group()
    repeat.add_argument("--every", type=positive_duration, metavar="DURATION", help="repeat at this interval")
    repeat.add_argument("--cron", metavar="EXPR", help="repeat on this cron rule (five fields)")
    repeat.add_argument("--rrule", metavar="RULE", help="repeat on an RFC 5545 rule, e.g. "
                        "'FREQ=WEEKLY;BYDAY=MO,WE;BYHOUR=8;BYMINUTE=0' (starts at --at, or now)")
    parser.add_argument("--flex", type=duration, metavar="DURATION",
                        help="deferred --every: a run may start this long before its period ends (default: the "
                             "whole period)")
    parser.add_argument("--grace", type=duration, metavar="DURATION",
                        help="alarms: how late a missed one may still fire (default 1h)")
    if remind:
        parser.add_argument("--before", type=duration, metavar="DURATION",
                            help="show the reminder this long before its time")
    parser.add_argument("--tz", metavar="ZONE", help="IANA zone for local TIMEs and repeat rules (default: yours)")
    parser.add_argument("--now-if-past", action="store_true", help="a one-shot --at in the past fires at once")
    parser.add_argument("--missed", choices=_choices(MissedPolicy), help="exact: what missed alarms do")
    parser.add_argument("--name", help="unique work name")
    parser.add_argument("--policy", choices=_choices(UniquePolicy), help="what an existing task of that name means")
    parser.add_argument("--tag", action="append", default=[], metavar="TAG", help="a tag (repeatable)")
    parser.add_argument("--json", action="store_true", help="print the created task as JSON")


def add_task_options(parser: argparse.ArgumentParser) -> None:
    """The options only ``add`` has (``remind`` is always an exact reminder)."""
    parser.add_argument("--after", action="append", default=[], metavar="ID", help="run after this task succeeded")
    parser.add_argument("--retries", type=count, metavar="N", help="retries after a failure")
    parser.add_argument("--backoff", choices=_choices(Backoff), help="how the retry delay grows")
    parser.add_argument("--backoff-delay", type=duration, metavar="DURATION", help="delay before the first retry")
    parser.add_argument("--timeout", type=positive_duration, metavar="DURATION", help="stop a run after that long")
    parser.add_argument("--requires", action="append", default=[], choices=_choices(Constraint),
                        metavar="CONSTRAINT", help="a constraint (repeatable): " + ", ".join(_choices(Constraint)))
    add_retention_options(parser, default="default: the global policy, see workdeck retention")


def spec_from_args(
    args: argparse.Namespace, now: datetime, *, worker: str, task_args: list[str], check: bool = True
) -> TaskSpec:
    """Build and validate the spec. Raises :class:`BadInputError` with a one-line message.

    ``check=False`` leaves out the checks that need the workers and the repeat rules
    (:func:`engine.checks.check_spec`): a command line talking to a running owner sends
    the spec and the owner refuses it in the same words; importing every worker (httpx
    among them) would cost the command line more than all the rest of its work."""
    tz = zone(args.tz) if args.tz is not None else None  # --tz "" is no zone: refused, not ignored
    repeats = args.every is not None or args.cron is not None or args.rrule is not None
    run_at: datetime | None = None
    anchor_wall: str | None = None
    if args.at is not None:
        kind = Kind.EXACT
        typed = parse_local_time(args.at, now, tz)
        run_at = typed.instant
        anchor_wall = typed.anchor_wall if repeats else None  # typed in a DST gap: the rule keeps it
        if run_at < now and not repeats:
            if not args.now_if_past:
                raise BadSpecError(
                    f"--at {args.at}: that time has passed; give a future time, or add --now-if-past to run it at once"
                )
            run_at = now
    elif worker == "reminder":
        kind = Kind.EXACT  # ``remind --in``: an alarm that long from now
        run_at = now + timedelta(seconds=args.in_)
    elif getattr(args, "now", False):
        if repeats:
            raise BadSpecError("--now runs once, now: to repeat use --defer, --in or --at with --every/--cron")
        kind = Kind.IMMEDIATE
    elif args.in_ is not None:
        kind, run_at = Kind.DEFERRED, now + timedelta(seconds=args.in_)
    elif args.defer or repeats:
        kind = Kind.DEFERRED
    else:
        kind = Kind.IMMEDIATE
    if args.now_if_past and args.at is None:
        raise BadSpecError("--now-if-past only applies to --at")
    if args.missed is not None and kind is not Kind.EXACT:
        raise BadSpecError("--missed only applies to alarms (--at)")
    if args.flex is not None and (args.every is None or kind is not Kind.DEFERRED):
        raise BadSpecError("--flex applies to deferred periodic work: --defer/--in with --every")
    if args.grace is not None and kind is not Kind.EXACT:
        raise BadSpecError("--grace only applies to alarms (--at, remind)")
    if args.policy is not None and args.name is None:
        raise BadSpecError("--policy needs --name: it says what an existing task of that name means")

    constraints = tuple(getattr(args, "requires", ()))
    if constraints and kind is not Kind.DEFERRED:
        raise BadSpecError("--requires is for deferred work: add --defer, --in or --every")
    after = tuple(getattr(args, "after", ()))
    if after and kind is Kind.EXACT:
        raise BadSpecError("--after cannot be combined with --at: an alarm fires at its time, not after a task")

    retry = RetryPolicy()
    if getattr(args, "retries", None) is not None or getattr(args, "backoff", None) or \
            getattr(args, "backoff_delay", None) is not None:
        retry = RetryPolicy(
            max_retries=args.retries if args.retries is not None else 0,
            backoff=Backoff(args.backoff) if args.backoff else RetryPolicy.backoff,
            delay=args.backoff_delay if args.backoff_delay is not None else RetryPolicy.delay,
        )
    schedule = Schedule(every=args.every, cron=args.cron, rrule=args.rrule, flex=args.flex, anchor_wall=anchor_wall,
                        tz=args.tz or (local_zone_name() if anchor_wall else None)) if repeats else None
    timing: dict[str, float] = {}
    if args.grace is not None:
        timing["grace"] = args.grace
    if getattr(args, "before", None) is not None:
        timing["remind_before"] = args.before
    spec = TaskSpec(
        worker=worker,
        args=tuple(task_args),
        kind=kind,
        name=args.name,
        policy=UniquePolicy(args.policy) if args.policy else UniquePolicy.KEEP,
        tags=tuple(args.tag),
        after=after,
        retry=retry,
        timeout=getattr(args, "timeout", None),
        constraints=constraints,
        run_at=run_at,
        schedule=schedule,
        missed=MissedPolicy(args.missed) if args.missed else MissedPolicy.FIRE_ONCE,
        # The engine checks the time again on its own, later clock (engine.exact.prepare):
        # without this it refused the "now" --now-if-past put here as already past.
        fire_if_past=bool(args.now_if_past) and not repeats,
        # --in is elapsed time for a one-shot task (engine.clockwatch); a series' anchor is wall time.
        initial_delay=args.in_ if getattr(args, "in_", None) is not None and not repeats else None,
        keep_runs=getattr(args, "keep_runs", None),
        keep_for=getattr(args, "keep_for", None),
        output_limit=getattr(args, "output_limit", None),
        **timing,  # type: ignore[arg-type]
    )
    if check:
        from engine.checks import check_spec, check_timing

        check_spec(spec)  # the engine's own checks, before any database is opened
        check_timing(spec, now)
    return spec
