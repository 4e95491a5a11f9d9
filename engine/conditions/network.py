"""Network reachability: Qt's QNetworkInformation with its change signal, or, where no
backend loads, psutil's interface list, polled."""

from __future__ import annotations

import logging
from typing import Any

from PySide6.QtCore import QObject

from engine.clock import Clock
from engine.conditions.source import ConditionSettings, ConditionSource, Reading, _PolledSource
from engine.model import Constraint

log = logging.getLogger(__name__)


class NetworkSource(ConditionSource):
    """Qt's QNetworkInformation: reachability with a change signal. Met when Online.

    Without a backend (none loads) psutil's interface list stands in, polled: met when
    a non-loopback interface is up. That can be wrong behind a dead router, but
    blocking all network work forever on such a machine would be wronger.
    """

    constraint = Constraint.NETWORK

    def __init__(self, clock: Clock, settings: ConditionSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._info: object | None = None
        self._fallback = _InterfacesUp(clock, settings, self)
        self._fallback.changed.connect(self._on_fallback_changed)
        self._started = False
        self._connected = False

    def start(self) -> None:
        """Connect at the first reading or watch, not here: Qt's backend is a plugin that
        asks NetworkManager over the system bus (~6 ms), which every start paid before
        its first runs were recorded, though most tasks need no network (issue 14)."""
        self._started = True

    def _connect(self) -> None:
        if self._connected or not self._started:
            return
        self._connected = True
        from PySide6.QtNetwork import QNetworkInformation

        if QNetworkInformation.instance() is None and not QNetworkInformation.loadDefaultBackend():
            log.info("no QNetworkInformation backend loads; network is judged by interfaces (polled)")
            self._on_fallback_changed()
            return
        info = QNetworkInformation.instance()
        self._info = info
        info.reachabilityChanged.connect(self._on_reachability)
        self._on_reachability(info.reachability())

    def stop(self) -> None:
        self._started = self._connected = False
        self._fallback.stop()
        if self._info is not None:
            self._info.reachabilityChanged.disconnect(self._on_reachability)  # type: ignore[attr-defined]
            self._info = None

    def watch(self, watched: bool) -> None:
        if watched:
            self._connect()
        if self._info is None:
            self._fallback.watch(watched)

    def reading(self) -> Reading:
        self._connect()
        if self._info is None:
            return self._fallback.reading()
        return self._reading

    def _on_reachability(self, reachability: Any) -> None:
        from PySide6.QtNetwork import QNetworkInformation

        r = QNetworkInformation.Reachability
        words: dict[Any, str] = {
            r.Disconnected: "offline",
            r.Local: "local network only",
            r.Site: "no internet, site network only",
            r.Unknown: "state unknown",
        }
        if reachability == r.Online:
            self._set(Reading(True, ""))
        else:
            self._set(Reading(False, f"waiting for network ({words.get(reachability, str(reachability))})"))

    def _on_fallback_changed(self) -> None:
        if self._info is None:
            self._set(self._fallback.reading())


class _InterfacesUp(_PolledSource):
    constraint = Constraint.NETWORK

    def _read(self) -> Reading:
        import psutil

        up = [n for n, s in psutil.net_if_stats().items() if s.isup and not n.startswith("lo")]
        if up:
            return Reading(True, "")
        return Reading(False, "waiting for network (no interface is up; no Qt network backend)")
