"""The receivers manifest: standing tasks and trigger -> work bindings, in TOML.

The file lives in the user's config dir (``manifest.toml``, see
:func:`default_manifest_path`) or wherever ``workdeck --manifest PATH`` says. It runs
commands, so a manifest that another user could write is refused. An example with
every key: ``resources/manifest.example.toml``.

Schema (version 1)::

    version = 1                      # optional; a newer version is refused

    [tasks.NAME]                     # NAME: letters, digits, - and _
    run = ["rsync", "-a", "~/Documents/", "/mnt/backup/"]   # an argv: no shell
    # run = "make -C ~/src && notify-send done"   only with shell = true (/bin/sh -c; Windows: cmd /d /s /c)
    # worker = "download"; args = ["https://...", "~/Downloads/"]   instead of run
    kind = "deferred"                # immediate | deferred | exact; see "defaults" below
    every = "1d"                     # or cron = "0 8 * * 1-5", or rrule = "FREQ=WEEKLY;BYDAY=MO"
    at = 2026-12-01T14:30:00         # an instant (exact); "14:30" alone means every day at 14:30
    tz = "Europe/Berlin"             # the zone of cron/rrule/at (default: the user's)
    flex = "10m"                     # periodic: may start this early in its period
    requires = ["ac-power", "network"]   # network ac-power battery-not-low storage-not-low idle background
    retries = 3
    backoff = "exponential"          # or "linear"
    backoff_delay = "30s"
    timeout = "1h"
    tags = ["backup"]
    after = ["other-task"]           # prerequisites: started first, this one waits for them
    policy = "keep"                  # keep | replace | append | append-or-replace | update
    input = { key = "value" }        # a JSON object for python workers
    missed = "fire-once"             # exact: fire-once | skip | fire-all
    grace = "1h"                     # exact: how late a missed alarm may still fire
    remind_before = "5m"             # exact: remind this long before
    keep_runs = 500                  # history: keep at least the newest 500 runs (default: global, 100)
    keep_for = "90d"                 # history: and every run of the last 90 days (default: global, 30d)
    output_limit = "4M"              # output kept per run: first 64K + the rest from the end (default 1M+64K)
    description = "free text"

    [[receivers]]                    # or [receivers.NAME]
    on = "power-connected"           # the trigger, see below
    start = "NAME"                   # or ["a", "b"]: tasks from [tasks]
    name = "on AC"                   # optional label for the log

Triggers (``on``) and their keys: ``app-start`` (when the engine starts: with
start-at-login, the desktop's BOOT_COMPLETED), ``power-connected``,
``power-disconnected``, ``network-available`` (each fires on the change, not on the
state at start), ``user-idle`` (``minutes = 10``: once per idle period),
``file-changed`` (``path = "~/Inbox"``, a file or folder; ``debounce = "2s"`` of quiet
before it fires), ``alarm`` (``cron = "..."`` or ``at = "07:30"`` (every day) or an
instant; ``tz``, ``missed``, ``grace``): a standing exact task in the engine.

Meaning:

- A task with a schedule (``every``/``cron``/``rrule``/``at``) is *standing*: it is
  kept in the engine under the unique name ``manifest:NAME``, replaced when its
  definition changes and cancelled when it leaves the manifest. A task without one
  runs only when a receiver starts it.
- Starting a task starts its prerequisites (``after``, transitively) first, each
  under its unique name with its policy (``keep`` by default: a trigger that fires
  while the task is still waiting or running adds nothing).
- Defaults: ``at`` makes a task exact; otherwise it is deferred (so ``requires`` and
  retries apply). The ``download`` worker implies ``requires = ["network"]``.
- Every string of ``run`` and every path argument of a worker (``download``'s
  destination, ``copy``'s and ``thumbnails``' folders) and a receiver's ``path`` is
  expanded: a leading ``~`` and ``$VAR``/``${VAR}``. Nothing else: no globbing, no
  command substitution, no word splitting. An unset variable is an error.
  ``expand = false`` takes them as written (``workdeck export`` writes it for a
  command or worker whose arguments have a ``$`` or a leading ``~``).
  ``shell = true`` strings are passed to ``/bin/sh -c`` as written (on Windows to
  ``%COMSPEC% /d /s /c``, cmd.exe, which reads ``&&``, ``|`` and ``>`` too but not sh's syntax).

Errors name the file, the line and the key (``manifest.toml:12: tasks.backup.run:
...``); a manifest with any error is refused as a whole.
"""

from __future__ import annotations

import enum
import os
import re
import shutil
import stat
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any

import platformdirs

from engine import workers
from engine.errors import BadInputError, BadSpecError
from engine.manifest.text import KeyLines
from engine.model import Kind, TaskSpec

MANIFEST_VERSION = 1
NAME_PREFIX = "manifest:"
DEFAULT_DEBOUNCE = 2.0


class Trigger(enum.StrEnum):
    APP_START = "app-start"
    POWER_CONNECTED = "power-connected"
    POWER_DISCONNECTED = "power-disconnected"
    NETWORK_AVAILABLE = "network-available"
    USER_IDLE = "user-idle"
    FILE_CHANGED = "file-changed"
    ALARM = "alarm"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a manifest, where it is."""

    file: str
    line: int
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:"
        return f"{where} {self.key}: {self.message}" if self.key else f"{where} {self.message}"


class ManifestError(BadInputError):
    """A manifest that is refused as a whole. ``problems`` lists every finding."""

    def __init__(self, problems: list[Problem]) -> None:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(f"{problems[0]}{more}")
        self.problems = problems


@dataclass(frozen=True)
class TaskDef:
    key: str  # the name in [tasks]
    spec: TaskSpec  # name "manifest:KEY", origin "manifest"
    after: tuple[str, ...] = ()  # keys of prerequisites
    line: int = 1

    @property
    def standing(self) -> bool:
        return self.spec.schedule is not None or self.spec.run_at is not None


@dataclass(frozen=True)
class ReceiverDef:
    label: str  # its name, or receivers[i]
    trigger: Trigger
    start: tuple[str, ...]  # task keys
    line: int = 1
    minutes: float | None = None  # user-idle
    path: str | None = None  # file-changed, expanded
    debounce: float = DEFAULT_DEBOUNCE  # file-changed, seconds
    alarms: tuple[TaskSpec, ...] = ()  # alarm: one standing exact task per started task


@dataclass(frozen=True)
class Manifest:
    path: str
    tasks: Mapping[str, TaskDef] = field(default_factory=dict)
    receivers: tuple[ReceiverDef, ...] = ()
    digest: str = ""

    def standing_specs(self) -> list[TaskSpec]:
        """What the engine keeps while this manifest is in force: scheduled tasks and alarms."""
        specs = [t.spec for t in self.tasks.values() if t.standing]
        specs += [spec for r in self.receivers for spec in r.alarms]
        return specs

    def names(self) -> set[str]:
        """Every unique name this manifest may give a task in the engine."""
        names = {t.spec.name for t in self.tasks.values() if t.spec.name}
        return names | {s.name for s in self.standing_specs() if s.name}

    def chain(self, key: str) -> list[TaskDef]:
        """``key``'s prerequisites (transitively, each once, dependencies first), then ``key``."""
        order: list[TaskDef] = []
        seen: set[str] = set()

        def visit(name: str) -> None:
            if name in seen:
                return
            seen.add(name)
            for parent in self.tasks[name].after:
                visit(parent)
            order.append(self.tasks[name])

        visit(key)
        return order

    def receivers_for(self, trigger: Trigger) -> list[ReceiverDef]:
        return [r for r in self.receivers if r.trigger is trigger]


def default_manifest_path() -> Path:
    return platformdirs.user_config_path("workdeck") / "manifest.toml"


def task_name(key: str) -> str:
    return NAME_PREFIX + key


# ---------------------------------------------------------------- loading


def load(path: str | Path, *, now: datetime, env: Mapping[str, str] | None = None) -> Manifest:
    """Read, check and compile a manifest. Raises :class:`ManifestError`; runs nothing."""
    file = str(path)
    try:
        refuse_if_others_can_write(Path(path))
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ManifestError([Problem(file, 1, "", "no such file")]) from None
    except OSError as exc:
        raise ManifestError([Problem(file, 1, "", f"cannot read: {exc.strerror or exc}")]) from None
    except BadInputError as exc:
        raise ManifestError([Problem(file, 1, "", str(exc))]) from None
    return parse(data, file, now=now, env=env)


def parse(data: bytes | str, file: str, *, now: datetime, env: Mapping[str, str] | None = None) -> Manifest:
    # Here, not at the top: every owner imports this module to look for a manifest,
    # and most users have none (hashlib loads OpenSSL: ~6 ms of a start; TOML ~3 ms).
    import hashlib
    import tomllib

    raw = data.encode() if isinstance(data, str) else data
    digest = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ManifestError([Problem(file, line, "", "not UTF-8 text")]) from None
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = re.search(r"\s*\(at (?:line (\d+), column \d+|end of document)\)$", message)
        line = int(match.group(1)) if match and match.group(1) else text.count("\n") + 1 if match else 1
        message = message[: match.start()] if match else message
        raise ManifestError([Problem(file, line, "", f"not valid TOML: {message}")]) from None
    # The schema imports this module's vocabulary, so it is imported here, not at the top.
    from engine.manifest.schema import parse_document

    problems: list[Problem] = []
    tasks, receivers = parse_document(
        doc, file, KeyLines(text), problems, now=now, env=os.environ if env is None else env
    )
    if problems:
        raise ManifestError(problems)
    return Manifest(path=file, tasks=tasks, receivers=tuple(receivers), digest=digest)


def refuse_if_others_can_write(path: Path) -> None:
    """A manifest runs commands: only its owner may be able to change it (ssh's StrictModes).

    Refused: a file owned by another user (root's files are trusted), writable by its
    group or by others, or in a folder that others can write to unless the folder is
    sticky (/tmp: others cannot replace a file they do not own there).
    """
    if sys.platform == "win32":
        # Windows has ACLs, not modes, and no owner ids (st_uid is always 0): nothing here
        # would mean anything. The default manifest lives in the user's profile
        # (%APPDATA%), which only the user can change by its inherited ACL.
        return
    info = path.stat()
    me = os.getuid()
    if info.st_uid not in (me, 0):
        raise BadSpecError(f"refused: owned by uid {info.st_uid}, not by you; it would run commands as you")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise BadSpecError(f"refused: other users can write it (mode {stat.filemode(info.st_mode)}); chmod go-w {path}")
    folder = path.resolve().parent.stat()
    if folder.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not folder.st_mode & stat.S_ISVTX:
        raise BadSpecError(f"refused: other users can replace it (its folder is writable by them); chmod go-w {path.resolve().parent}")
    if folder.st_uid not in (me, 0):
        raise BadSpecError(f"refused: its folder is owned by uid {folder.st_uid}, who could replace it")


# ---------------------------------------------------------------- values

_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


class UnsetVariableError(BadSpecError):
    pass


def expand(text: str, env: Mapping[str, str]) -> str:
    """A leading ``~`` and ``$VAR``/``${VAR}``; nothing is evaluated. Unset variables are errors."""

    def var(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in env:
            raise UnsetVariableError(f"${name} is not set")
        return env[name]

    expanded = _VAR.sub(var, text)
    if expanded.startswith("~"):
        home = env.get("HOME")
        if expanded == "~" or expanded.startswith("~/"):
            expanded = (home or os.path.expanduser("~")) + expanded[1:]
        else:
            expanded = os.path.expanduser(expanded)
    return expanded


def find_executable(command: str, env: Mapping[str, str]) -> str | None:
    """Where ``command`` (argv[0]) would be found, or None."""
    if "/" in command:
        return command if os.path.isfile(command) and os.access(command, os.X_OK) else None
    return shutil.which(command, path=env.get("PATH", os.defpath))


def clock_time(value: Any) -> time | None:
    """``"14:30"`` or a TOML local time -> a time of day; anything else None."""
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        match = re.fullmatch(r"(\d{1,2}):(\d{2})(?::(\d{2}))?", value.strip())
        if match:
            try:
                return time(int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))
            except ValueError:
                return None
    return None


def worker_names() -> list[str]:
    return workers.names()


def worker_attr(name: str, attr: str) -> Any:
    """A worker's optional manifest metadata (path_args, source_args, implied_constraints)."""
    try:
        return getattr(workers.get(name), attr, ())
    except BadSpecError:
        return ()


__all__ = [
    "Kind", "Manifest", "ManifestError", "Problem", "ReceiverDef", "TaskDef", "Trigger",
    "default_manifest_path", "expand", "load", "parse", "task_name",
]
