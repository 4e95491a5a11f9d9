"""Condition sources: the real ones with their system calls replaced, polls that run
only while watched (on the fake clock), unknown idle time never counts as idle."""

from __future__ import annotations

from collections import namedtuple
from pathlib import Path

import psutil
import pytest

from engine.clock import FakeClock
from engine.conditions import (
    AcPowerSource,
    BatteryNotLowSource,
    ConditionSettings,
    Conditions,
    IdleSource,
    NetworkSource,
    StaticSource,
    StorageNotLowSource,
    storage,
)
from engine.model import Constraint

Battery = namedtuple("Battery", "percent secsleft power_plugged")
Usage = namedtuple("Usage", "total used free")
IfStats = namedtuple("IfStats", "isup duplex speed mtu flags")

SETTINGS = ConditionSettings()


@pytest.fixture
def battery(monkeypatch: pytest.MonkeyPatch) -> list[Battery | None]:
    value: list[Battery | None] = [None]
    monkeypatch.setattr(psutil, "sensors_battery", lambda: value[0])
    return value


def test_no_battery_means_mains_power(battery: list[Battery | None], clock: FakeClock, qapp: object) -> None:
    assert AcPowerSource(clock, SETTINGS).reading().met
    assert BatteryNotLowSource(clock, SETTINGS).reading().met


def test_power_and_battery_readings(battery: list[Battery | None], clock: FakeClock, qapp: object) -> None:
    battery[0] = Battery(80, 3600, False)
    ac, low = AcPowerSource(clock, SETTINGS), BatteryNotLowSource(clock, SETTINGS)
    assert ac.reading() == (False, "waiting for AC power (on battery, 80%)")
    assert low.reading().met
    battery[0] = Battery(15, 600, False)
    clock.advance(1)  # unwatched sources re-read on demand, at most once a second
    assert low.reading() == (False, "waiting for the battery to charge (15%, low is 15% or less)")
    battery[0] = Battery(15, 600, True)
    clock.advance(1)
    assert low.reading().met and ac.reading().met  # plugged in: not "low"


def test_psutil_sources_poll_slowly_and_only_while_watched(
    battery: list[Battery | None], clock: FakeClock, qapp: object
) -> None:
    battery[0] = Battery(80, 3600, False)
    source = AcPowerSource(clock, SETTINGS)
    changes: list[bool] = []
    source.changed.connect(lambda: changes.append(source.reading().met))
    source.watch(True)
    assert clock.next_deadline() == pytest.approx(30.0)
    battery[0] = Battery(80, 3600, True)
    clock.advance(29.9)
    assert changes == [False]  # the first read on watch; no poll yet
    clock.advance(0.1)
    assert changes == [False, True]
    source.watch(False)
    assert clock.next_deadline() is None  # nothing waits: nothing wakes up
    with pytest.raises(ValueError, match="at least 30"):
        ConditionSettings(poll_seconds=5)


def test_storage_not_low_reads_where_the_database_lives(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, clock: FakeClock, qapp: object
) -> None:
    seen: list[Path] = []

    def usage(path: Path) -> Usage:
        seen.append(Path(path))
        return Usage(100 * 1024**3, 0, 512 * 1024**2)

    monkeypatch.setattr(storage.shutil, "disk_usage", usage)
    source = StorageNotLowSource(clock, SETTINGS, str(tmp_path / "w.db"))
    reading = source.reading()
    assert not reading.met
    assert reading.why == f"waiting for free storage (512.0 MiB free in {tmp_path}, low is under 1.0 GiB)"
    assert seen == [tmp_path]
    lenient = StorageNotLowSource(clock, ConditionSettings(storage_low_bytes=100 * 1024**2), str(tmp_path / "w.db"))
    assert lenient.reading().met  # the threshold is a setting


def test_network_follows_qt_reachability(clock: FakeClock, qapp: object) -> None:
    from PySide6.QtNetwork import QNetworkInformation

    source = NetworkSource(clock, SETTINGS)
    source.start()
    source.reading()  # the first use connects (see the next test)
    if QNetworkInformation.instance() is None:
        pytest.skip("no QNetworkInformation backend on this machine (the fallback is tested below)")
    r = QNetworkInformation.Reachability
    source._on_reachability(r.Disconnected)
    assert source.reading() == (False, "waiting for network (offline)")
    source._on_reachability(r.Online)
    assert source.reading().met
    source._on_reachability(r.Unknown)
    assert source.reading() == (False, "waiting for network (state unknown)")  # unknown is not met
    source.stop()


def test_network_without_a_qt_backend_falls_back_to_interfaces(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, qapp: object
) -> None:
    from PySide6.QtNetwork import QNetworkInformation

    monkeypatch.setattr(QNetworkInformation, "instance", staticmethod(lambda: None))
    monkeypatch.setattr(QNetworkInformation, "loadDefaultBackend", staticmethod(lambda: False))
    interfaces = {"lo": IfStats(True, 0, 0, 65536, "")}
    monkeypatch.setattr(psutil, "net_if_stats", lambda: interfaces)
    source = NetworkSource(clock, SETTINGS)
    source.start()
    assert source.reading() == (False, "waiting for network (no interface is up; no Qt network backend)")
    source.watch(True)
    interfaces["eth0"] = IfStats(True, 2, 1000, 1500, "")
    clock.advance(30)
    assert source.reading().met
    source.stop()
    assert clock.next_deadline() is None


def test_network_loads_qts_backend_at_its_first_use_not_at_start(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, qapp: object
) -> None:
    """An engine whose tasks need no network never loads the backend (a plugin that asks
    NetworkManager over the system bus): start only marks the source started."""
    from PySide6.QtNetwork import QNetworkInformation

    loads: list[str] = []

    def load() -> bool:
        loads.append("default")
        return False  # no backend: the interfaces stand in

    monkeypatch.setattr(QNetworkInformation, "instance", staticmethod(lambda: None))
    monkeypatch.setattr(QNetworkInformation, "loadDefaultBackend", staticmethod(load))
    monkeypatch.setattr(psutil, "net_if_stats", lambda: {"eth0": IfStats(True, 2, 1000, 1500, "")})
    source = NetworkSource(clock, SETTINGS)
    source.start()
    assert loads == []
    assert source.reading().met  # the first reading connects, then reads
    source.watch(True)
    source.reading()
    assert loads == ["default"]  # once
    source.stop()
    unstarted = NetworkSource(clock, SETTINGS)
    unstarted.reading()  # read before the engine starts: the interfaces, as before
    assert loads == ["default"]
    unstarted.stop()


def test_idle_connects_to_the_session_at_its_first_watch_not_at_start(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, qapp: object
) -> None:
    from PySide6.QtDBus import QDBusConnection

    from engine.platforms import idle_time

    asked: list[str] = []
    monkeypatch.setattr(idle_time, "reader_for", lambda platform: asked.append("reader") or None)
    monkeypatch.setattr(QDBusConnection, "sessionBus", staticmethod(lambda: asked.append("bus") or _NoBus()))
    source = IdleSource(clock, SETTINGS)
    source.start()
    assert asked == [] and not source.reading().met
    source.watch(True)
    assert asked == ["reader", "bus"]
    assert "no session D-Bus answers" in source.reading().why
    source.watch(False)
    source.watch(True)
    assert asked == ["reader", "bus"]  # connected once
    source.stop()


class _NoBus:
    def isConnected(self) -> bool:  # noqa: N802 (Qt's name)
        return False


def test_idle_without_a_session_bus_is_unmet_and_says_so(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, qapp: object
) -> None:
    from PySide6.QtDBus import QDBusConnection

    monkeypatch.setattr(QDBusConnection, "sessionBus", staticmethod(lambda: _NoBus()))
    source = IdleSource(clock, SETTINGS)
    assert not source.reading().met  # never met before anyone answered
    source.start()
    source.watch(True)
    reading = source.reading()
    assert not reading.met
    assert "no session D-Bus answers" in reading.why and "stays unmet" in reading.why
    assert clock.next_deadline() is None  # nothing to ask: no poll either


def test_idle_asks_again_when_the_threshold_can_first_be_crossed(clock: FakeClock, qapp: object) -> None:
    source = IdleSource(clock, ConditionSettings(idle_minutes=5))
    source._watched = True  # as if watched with a bus; replies come through record_idle
    source.record_idle(100)
    assert source.reading() == (False, "waiting for the user to be idle (100s idle of 300s needed)")
    assert clock.next_deadline() == pytest.approx(200)  # computed, not polled
    source.record_idle(301)
    assert source.reading().met
    assert clock.next_deadline() == pytest.approx(30)  # while idle: the slow poll notices the user return
    source.stop()


def test_conditions_set_is_injectable_and_names_what_is_missing(qapp: object) -> None:
    network = StaticSource(Constraint.NETWORK, False, "waiting for network (offline)")
    conditions = Conditions([network])
    changed: list[str] = []
    conditions.changed.connect(changed.append)
    assert conditions.unmet([Constraint.NETWORK, Constraint.AC_POWER, Constraint.BACKGROUND]) == [
        (Constraint.NETWORK, "waiting for network (offline)"),
        (Constraint.AC_POWER, "waiting for AC power: no source for it on this machine"),
        (Constraint.BACKGROUND, "waiting for the app to be in the background"),
    ]
    network.set(True)
    conditions.set_background(True)
    assert changed == ["network", "background"]
    assert conditions.met([Constraint.NETWORK, Constraint.BACKGROUND])


def test_the_system_set_has_a_source_for_every_constraint(clock: FakeClock, tmp_path: Path, qapp: object) -> None:
    conditions = Conditions.system(clock, str(tmp_path / "w.db"))
    assert all(conditions.source(c) is not None for c in Constraint)
