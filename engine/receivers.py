"""Receivers: the manifest in force, and triggers turned into work through the engine.

The seed's "registers a broadcast receiver in the manifest". :class:`Receivers` loads
the manifest (:mod:`engine.manifest.model`), keeps its standing tasks in the engine (under
unique names, so a reload never duplicates one; replaced when their definition
changes, cancelled when they leave the manifest), and starts the work a receiver names
when its trigger fires:

- ``app-start``: once, when :meth:`Receivers.start` runs (not on reloads).
- ``power-connected`` / ``power-disconnected`` / ``network-available``: on the change
  a :class:`TriggerSource` reports, like Android's broadcasts; the state found at start
  fires nothing (``app-start`` covers start-up).
- ``user-idle``: once per idle period, when it has lasted ``minutes``.
- ``file-changed``: a QFileSystemWatcher on the path (for a folder: the folder and the
  files directly in it), fired after ``debounce`` seconds without further change.
  A file replaced by rename (how editors save) is watched again.
- ``alarm``: nothing here: it is a standing exact task, armed by the engine's alarms.

Reloading: the manifest file and its folder are watched; a change is read after
:data:`RELOAD_DELAY` (an editor's save is several events). A manifest that fails
checking is refused as a whole: the last good one stays in force, and
:attr:`Receivers.problem` says so (the window shows it; it is logged too).

Sources: the condition sources of :mod:`engine.conditions` fit the small
:class:`TriggerSource` interface (a ``changed`` signal and ``value()``); tests pass fakes.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QFileSystemWatcher, QObject, Signal

from engine.clock import Clock, Timer
from engine.manifest.model import Manifest, ManifestError, ReceiverDef, Trigger, load
from engine.model import FINISHED_STATES, State, Task, TaskSpec, UniquePolicy

log = logging.getLogger(__name__)

#: Seconds between the first change event of the manifest and reading it.
RELOAD_DELAY = 0.3
#: A folder with more files than this is watched as a folder only (inotify watches are finite).
MAX_WATCHED_FILES = 2000


class TriggerSource(QObject):
    """A piece of system state that says when it changes.

    ``value()``: power: True on AC, False on battery, None unknown; network: True when
    online; idle: the seconds the user has been idle, None while active. An idle source
    emits ``changed`` at least when the user becomes idle and when active again.
    """

    changed = Signal()

    def value(self) -> Any:
        raise NotImplementedError

    def watch(self, watched: bool) -> None:
        """A receiver is (or is no longer) bound to this source: keep it fresh, or stop."""


@dataclass
class Sources:
    power: TriggerSource | None = None
    network: TriggerSource | None = None
    idle: TriggerSource | None = None


class ConditionTrigger(TriggerSource):
    """A trigger source over one of :mod:`engine.conditions`' sources (duck-typed: a
    ``changed`` signal and ``reading().met``), so receivers and constraints read the
    system the same way.

    For idle, the condition says only "idle for at least ``idle_seconds``" (its
    threshold); from the moment it is met, the idle time grows with the clock, so a
    receiver that wants more minutes than the threshold fires when they have passed.
    A receiver that wants fewer fires when the condition is met.
    """

    def __init__(
        self, condition: Any, clock: Clock, *, idle_seconds: float | None = None,
        conditions: Any = None, constraint: Any = None,
    ) -> None:
        super().__init__()
        self.condition = condition
        self.clock = clock
        self.idle_seconds = idle_seconds
        self._conditions = conditions
        self._constraint = constraint
        self._met_since: float | None = None
        # Read from the first watch on, not here: a reading may connect to the system
        # (power's psutil, ~11 ms; Qt's network backend), which an owner whose manifest
        # has no receiver for it never needs (issue 14: a start's first runs).
        condition.changed.connect(self._on_changed)

    def watch(self, watched: bool) -> None:
        # Through Conditions, as an owner of its own: the dispatcher watches the same
        # sources for its tasks, and neither may switch off what the other needs.
        if self._conditions is not None:
            self._conditions.watch({self._constraint} if watched else (), owner=f"receiver:{self._constraint}")
        if watched:
            self._track()

    def _track(self) -> None:
        met = bool(self.condition.reading().met)
        if met and self._met_since is None:
            self._met_since = self.clock.monotonic()
        elif not met:
            self._met_since = None

    def _on_changed(self) -> None:
        self._track()
        self.changed.emit()

    def value(self) -> Any:
        if self.idle_seconds is None:
            return bool(self.condition.reading().met)
        if self._met_since is None:
            return None
        return self.idle_seconds + (self.clock.monotonic() - self._met_since)


def sources_from_conditions(conditions: Any, clock: Clock, *, idle_minutes: float) -> Sources:
    """Receivers' sources from :class:`engine.conditions.Conditions` (``source(constraint)``)."""
    from engine.model import Constraint

    def wrap(constraint: Constraint, idle: float | None = None) -> TriggerSource | None:
        source = conditions.source(constraint)
        if source is None:
            return None
        return ConditionTrigger(source, clock, idle_seconds=idle, conditions=conditions, constraint=constraint)

    return Sources(
        power=wrap(Constraint.AC_POWER),
        network=wrap(Constraint.NETWORK),
        idle=wrap(Constraint.IDLE, idle_minutes * 60),
    )


@dataclass
class _Watch:
    receiver: ReceiverDef
    timer: Timer
    signatures: dict[str, tuple[int, int, int] | None] = field(default_factory=dict)


class Receivers(QObject):
    loaded = Signal(object)  # the Manifest now in force
    problem = Signal(str)  # a refused manifest; the last good one stays in force
    fired = Signal(str, str)  # receiver label, trigger

    def __init__(
        self,
        engine: Any,
        path: str | Path | None,
        *,
        sources: Sources | None = None,
        env: dict[str, str] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.engine = engine
        self.clock: Clock = engine.clock
        self.path = Path(path) if path is not None else None
        self.sources = sources or Sources()
        self.env = env
        self.manifest: Manifest | None = None
        self.last_error: ManifestError | None = None
        self.started = False
        self._power: Any = None
        self._network: Any = None
        self._idle_timers: dict[int, Timer] = {}
        self._idle_fired: set[tuple[str, float]] = set()  # (label, minutes) fired this idle period
        self._watches: dict[int, _Watch] = {}
        self._files = QFileSystemWatcher(self)
        self._files.fileChanged.connect(self._on_path_changed)
        self._files.directoryChanged.connect(self._on_path_changed)
        self._self_watch = QFileSystemWatcher(self)
        self._self_watch.fileChanged.connect(self._on_manifest_touched)
        self._self_watch.directoryChanged.connect(self._on_manifest_touched)
        self._reload_timer = self.clock.timer(self.reload)

    # ------------------------------------------------------------ life

    def start(self) -> None:
        """Load the manifest, keep its standing tasks, start listening, fire app-start."""
        self.started = True
        for name, source in (("power", self.sources.power), ("network", self.sources.network)):
            if source is not None:  # read when a receiver listens to it (_bind)
                source.changed.connect(getattr(self, f"_on_{name}_changed"))
        if self.sources.idle is not None:
            self.sources.idle.changed.connect(self._on_idle_changed)
        self._watch_manifest()
        if self.path is not None and (self.path.exists() or self._explicit_path_missing()):
            self.reload()
        for receiver in self._receivers(Trigger.APP_START):
            self._fire(receiver)

    def stop(self) -> None:
        """Stop listening. Safe to call again, or before start."""
        if not self.started:
            return
        self.started = False
        self._reload_timer.stop()
        self._unbind()
        for name in ("power", "network", "idle"):
            source = getattr(self.sources, name)
            if source is not None:
                try:
                    source.changed.disconnect(getattr(self, f"_on_{name}_changed"))
                except (RuntimeError, TypeError):
                    pass
        for watcher in (self._self_watch, self._files):
            paths = watcher.files() + watcher.directories()
            if paths:
                watcher.removePaths(paths)

    def _explicit_path_missing(self) -> bool:
        # A missing default manifest is normal (the user has none); a missing file the
        # user named with --manifest is a problem to report.
        from engine.manifest.model import default_manifest_path

        return self.path != default_manifest_path()

    # ------------------------------------------------------------ loading

    def reload(self) -> bool:
        """Read the manifest again. True if a new manifest is now in force."""
        self._reload_timer.stop()
        if self.path is None:
            return False
        self._watch_manifest()
        try:
            fresh = load(self.path, now=self.clock.now(), env=self.env)
        except ManifestError as exc:
            if self.manifest is not None and not self.path.exists():
                # Mid-save (the editor removed the file before renaming the new one in).
                return False
            self.last_error = exc
            kept = "the last good manifest stays in force" if self.manifest else "no manifest is in force"
            message = f"{exc}; {kept}"
            log.warning("manifest refused: %s", message)
            for problem in exc.problems[1:]:
                log.warning("  also: %s", problem)
            self.problem.emit(message)
            return False
        if self.manifest is not None and fresh.digest == self.manifest.digest:
            return False
        self.last_error = None
        self._unbind()
        self.manifest = fresh
        self._apply_standing(fresh)
        self._bind(fresh)
        log.info("manifest %s in force: %d tasks, %d receivers", fresh.path, len(fresh.tasks), len(fresh.receivers))
        self.loaded.emit(fresh)
        return True

    def _watch_manifest(self) -> None:
        """Watch the file and its folder: editors replace the file, which ends a file watch."""
        if self.path is None:
            return
        for path in (str(self.path), str(self.path.parent)):
            if os.path.exists(path) and path not in self._self_watch.files() + self._self_watch.directories():
                self._self_watch.addPath(path)

    def _on_manifest_touched(self, path: str) -> None:
        if path == str(self.path.parent if self.path else "") and not self._manifest_changed():
            return  # another file in the config folder changed
        self._reload_timer.start(RELOAD_DELAY)

    def _manifest_changed(self) -> bool:
        if self.path is None:
            return False
        try:
            data = self.path.read_bytes()
        except OSError:
            return self.manifest is not None
        import hashlib

        return self.manifest is None or hashlib.sha256(data).hexdigest() != self.manifest.digest

    def _apply_standing(self, manifest: Manifest) -> None:
        """Make the engine's manifest tasks match ``manifest``: add, replace, cancel."""
        wanted = {spec.name: spec for spec in manifest.standing_specs()}
        for name, spec in wanted.items():
            existing = self.engine.tasks(name=name)
            if existing and _same(existing[-1].spec, spec):
                continue  # unchanged: keep it (and its history), whatever its state
            self._enqueue(spec.replace(policy=UniquePolicy.REPLACE))
        names = manifest.names()
        for state in (State.ENQUEUED, State.BLOCKED, State.SCHEDULED, State.RUNNING):
            for task in self.engine.tasks(state=state):
                if task.spec.origin == "manifest" and task.name not in names and task.state not in FINISHED_STATES:
                    log.info("task %s (%s) left the manifest: cancelled", task.id, task.name)
                    self.engine.cancel(task.id)

    # ------------------------------------------------------------ firing

    def _receivers(self, trigger: Trigger) -> list[ReceiverDef]:
        return self.manifest.receivers_for(trigger) if self.manifest is not None else []

    def _fire(self, receiver: ReceiverDef) -> None:
        """Start the receiver's tasks, each after its prerequisites."""
        manifest = self.manifest
        if manifest is None or not self.started:
            return
        log.info("receiver %s fired (%s)", receiver.label, receiver.trigger)
        self.fired.emit(receiver.label, receiver.trigger.value)
        for key in receiver.start:
            ids: dict[str, str] = {}
            for step in manifest.chain(key):
                spec = step.spec.replace(after=tuple(ids[p] for p in step.after))
                task = self._enqueue(spec)
                if task is None:
                    break
                ids[step.key] = task.id

    def _enqueue(self, spec: TaskSpec) -> Task | None:
        try:
            task: Task = self.engine.enqueue(spec)
            return task
        except Exception as exc:  # noqa: BLE001 - a failing receiver must not break the engine
            message = f"manifest task {spec.name}: {exc}"
            log.exception("could not enqueue %s", spec.name)
            self.problem.emit(message)
            return None

    def _on_power_changed(self) -> None:
        assert self.sources.power is not None
        before, self._power = self._power, self.sources.power.value()
        if before is False and self._power is True:
            self._fire_all(Trigger.POWER_CONNECTED)
        elif before is True and self._power is False:
            self._fire_all(Trigger.POWER_DISCONNECTED)

    def _on_network_changed(self) -> None:
        assert self.sources.network is not None
        before, self._network = self._network, bool(self.sources.network.value())
        if not before and self._network:
            self._fire_all(Trigger.NETWORK_AVAILABLE)

    def _fire_all(self, trigger: Trigger) -> None:
        for receiver in self._receivers(trigger):
            self._fire(receiver)

    def _on_idle_changed(self) -> None:
        assert self.sources.idle is not None
        idle = self.sources.idle.value()
        if idle is None:
            # Active again: the next idle period fires every user-idle receiver anew.
            self._idle_fired.clear()
            for timer in self._idle_timers.values():
                timer.stop()
            return
        for index, receiver in enumerate(self._receivers(Trigger.USER_IDLE)):
            assert receiver.minutes is not None
            key = (receiver.label, receiver.minutes)
            if key in self._idle_fired:
                continue
            remaining = receiver.minutes * 60 - idle
            if remaining < 0.001:  # float sums of seconds: a millisecond short is there
                self._idle_fired.add(key)
                self._fire(receiver)
            else:
                self._idle_timer(index).start(remaining)

    def _idle_timer(self, index: int) -> Timer:
        if index not in self._idle_timers:
            self._idle_timers[index] = self.clock.timer(self._on_idle_changed)
        return self._idle_timers[index]

    # ------------------------------------------------------------ file-changed

    def _bind(self, manifest: Manifest) -> None:
        # Keep fresh only the sources this manifest's receivers listen to: with none,
        # nothing polls power or asks the session for idle time on their account.
        for source, triggers in self._source_triggers():
            listened = any(manifest.receivers_for(t) for t in triggers)
            source.watch(listened)
            # The state a change is judged against: read now that a receiver listens
            # (and again at each reload; unwatched, a change may have gone unseen).
            if listened and source is self.sources.power:
                self._power = source.value()
            elif listened and source is self.sources.network:
                self._network = bool(source.value())
        for index, receiver in enumerate(manifest.receivers_for(Trigger.FILE_CHANGED)):
            watch = _Watch(receiver, self.clock.timer(_bound(self._fire, receiver)))
            self._watches[index] = watch
            self._watch_paths(watch)
        if self.sources.idle is not None and self.sources.idle.value() is not None:
            self._on_idle_changed()

    def _source_triggers(self) -> list[tuple[TriggerSource, tuple[Trigger, ...]]]:
        pairs = (
            (self.sources.power, (Trigger.POWER_CONNECTED, Trigger.POWER_DISCONNECTED)),
            (self.sources.network, (Trigger.NETWORK_AVAILABLE,)),
            (self.sources.idle, (Trigger.USER_IDLE,)),
        )
        return [(source, triggers) for source, triggers in pairs if source is not None]

    def _unbind(self) -> None:
        for source, _ in self._source_triggers():
            source.watch(False)
        for watch in self._watches.values():
            watch.timer.stop()
        self._watches.clear()
        for timer in self._idle_timers.values():
            timer.stop()
        self._idle_timers.clear()
        paths = self._files.files() + self._files.directories()
        if paths:
            self._files.removePaths(paths)

    def _watch_paths(self, watch: _Watch) -> None:
        """Watch the receiver's path; a file is watched with its folder (to see it replaced)."""
        assert watch.receiver.path is not None
        target = Path(watch.receiver.path)
        wanted = [str(target)]
        if target.is_dir():
            try:
                children = [str(p) for p in sorted(target.iterdir()) if p.is_file()]
            except OSError:
                children = []
            wanted += children[:MAX_WATCHED_FILES]
        else:
            wanted.append(str(target.parent))
        watched = set(self._files.files() + self._files.directories())
        new = [p for p in wanted if p not in watched and os.path.exists(p)]
        if new:
            self._files.addPaths(new)
        for path in wanted:
            watch.signatures.setdefault(path, _signature(path))

    def _on_path_changed(self, path: str) -> None:
        for watch in self._watches.values():
            assert watch.receiver.path is not None
            target = watch.receiver.path
            if path != target and os.path.dirname(path) != target and path != os.path.dirname(target):
                continue
            if path == os.path.dirname(target) and not os.path.isdir(target):
                # The folder of a watched file: only the file itself counts.
                if _signature(target) == watch.signatures.get(target):
                    continue
            watch.signatures[target] = _signature(target)
            self._watch_paths(watch)  # re-adds a file replaced by rename, and new files of a folder
            watch.timer.start(watch.receiver.debounce)


def _signature(path: str) -> tuple[int, int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return (info.st_ino, info.st_size, info.st_mtime_ns)


def _bound(fire: Callable[[ReceiverDef], None], receiver: ReceiverDef) -> Callable[[], None]:
    return lambda: fire(receiver)


def _same(stored: TaskSpec, wanted: TaskSpec) -> bool:
    """Whether a stored task is what the manifest asks for (the policy is ours, not the task's)."""
    a, b = stored.to_json(), wanted.to_json()
    a.pop("policy", None)
    b.pop("policy", None)
    return a == b
