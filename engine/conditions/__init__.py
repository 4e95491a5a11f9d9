"""System state that deferred work may require: network, power, battery, storage,
user idle and app visibility.

Each constraint has one :class:`ConditionSource`: it answers :meth:`reading` (met or
not, and in words why not) from a cache, and emits ``changed`` when the answer may
have changed. The dispatcher never polls: it waits for ``changed``.

Where a source has a change signal it is used (Qt's QNetworkInformation). psutil has
none, so the psutil sources (power, battery, storage) poll, slowly (30 s or more),
and only while the dispatcher *watches* them: while some due task waits for them or a
running task requires them. With nothing waiting, nothing wakes up.

A source that cannot know (no network backend, no session bus for idle time) says so
in its reason. Such a constraint is unmet, never met: running backup work on battery
because we could not tell is worse than waiting. Network is the one exception with a
fallback: without a Qt backend, psutil's interface list (a non-loopback interface up)
stands in, polled.

The set of sources is injectable (:class:`Conditions` takes any sources), so tests
use :class:`StaticSource` and flip it.

One module per family of sources; :class:`Conditions`, the set of them, lives here, and
every name other modules use is importable from here:

- :mod:`~engine.conditions.source`: :class:`ConditionSettings`, :class:`Reading`,
  :class:`ConditionSource`, :class:`StaticSource` and the base of the polled sources.
- :mod:`~engine.conditions.network`: :class:`NetworkSource`.
- :mod:`~engine.conditions.power`: :class:`AcPowerSource`, :class:`BatteryNotLowSource`.
- :mod:`~engine.conditions.storage`: :class:`StorageNotLowSource`.
- :mod:`~engine.conditions.idle`: :class:`IdleSource`.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QObject, Signal

from engine.clock import Clock
from engine.conditions.idle import IdleSource
from engine.conditions.network import NetworkSource
from engine.conditions.power import AcPowerSource, BatteryNotLowSource
from engine.conditions.source import _LABELS, ConditionSettings, ConditionSource, Reading, StaticSource
from engine.conditions.storage import StorageNotLowSource
from engine.model import Constraint

__all__ = ["AcPowerSource", "BatteryNotLowSource", "ConditionSettings", "ConditionSource", "Conditions", "IdleSource",
           "NetworkSource", "Reading", "StaticSource", "StorageNotLowSource"]


class Conditions(QObject):
    """The set of sources, one per constraint. ``changed`` carries the constraint."""

    changed = Signal(str)

    def __init__(self, sources: Iterable[ConditionSource], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sources: dict[Constraint, ConditionSource] = {}
        self._watched: set[Constraint] = set()
        self._wanted: dict[str, set[Constraint]] = {}  # owner -> the constraints it needs
        for source in sources:
            self._sources[source.constraint] = source
            source.changed.connect(lambda c=source.constraint: self.changed.emit(c.value))
        if Constraint.BACKGROUND not in self._sources:
            # Until the lifecycle issue lands, the engine's setter drives this one.
            background = StaticSource(Constraint.BACKGROUND, False, "waiting for the app to be in the background")
            self._sources[Constraint.BACKGROUND] = background
            background.changed.connect(lambda: self.changed.emit(Constraint.BACKGROUND.value))

    @classmethod
    def system(
        cls, clock: Clock, data_path: str, settings: ConditionSettings | None = None, parent: QObject | None = None
    ) -> Conditions:
        """The real sources of this machine."""
        settings = settings or ConditionSettings()
        return cls(
            [
                NetworkSource(clock, settings),
                AcPowerSource(clock, settings),
                BatteryNotLowSource(clock, settings),
                StorageNotLowSource(clock, settings, data_path),
                IdleSource(clock, settings),
            ],
            parent,
        )

    def source(self, constraint: Constraint) -> ConditionSource | None:
        return self._sources.get(constraint)

    def start(self) -> None:
        for source in self._sources.values():
            source.start()

    def stop(self) -> None:
        for source in self._sources.values():
            source.stop()
        self._watched = set()
        self._wanted.clear()

    def watch(self, constraints: Iterable[Constraint], *, owner: str = "dispatcher") -> None:
        """``owner`` needs exactly these constraints kept fresh. A source is watched (a
        polled one polls) while any owner needs it: the dispatcher for waiting and
        running tasks, each manifest receiver for its trigger."""
        self._wanted[owner] = set(constraints)
        wanted = set().union(*self._wanted.values())
        for constraint in self._watched - wanted:
            if (source := self._sources.get(constraint)) is not None:
                source.watch(False)
        for constraint in wanted - self._watched:
            if (source := self._sources.get(constraint)) is not None:
                source.watch(True)
        self._watched = wanted

    @property
    def watched(self) -> frozenset[Constraint]:
        return frozenset(self._watched)

    def reading(self, constraint: Constraint) -> Reading:
        source = self._sources.get(constraint)
        if source is None:
            return Reading(False, f"waiting for {_LABELS[constraint]}: no source for it on this machine")
        return source.reading()

    def unmet(self, constraints: Iterable[Constraint]) -> list[tuple[Constraint, str]]:
        """The constraints that do not hold, each with why, in the order given."""
        result = []
        for constraint in constraints:
            reading = self.reading(constraint)
            if not reading.met:
                result.append((constraint, reading.why))
        return result

    def met(self, constraints: Iterable[Constraint]) -> bool:
        return all(self.reading(c).met for c in constraints)

    def set_background(self, background: bool) -> None:
        source = self._sources[Constraint.BACKGROUND]
        if isinstance(source, StaticSource):
            source.set(background)
