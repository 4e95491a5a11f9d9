"""Mains power and the battery's charge, read from psutil: no change signal, so polled."""

from __future__ import annotations

from engine.conditions.source import Reading, _PolledSource
from engine.model import Constraint


class AcPowerSource(_PolledSource):
    """psutil has no change signal: polled. No battery at all means mains power."""

    constraint = Constraint.AC_POWER

    def _read(self) -> Reading:
        import psutil  # here: a start with nothing to poll does not pay its import (20 ms)

        battery = psutil.sensors_battery()
        if battery is None or battery.power_plugged:
            return Reading(True, "")
        return Reading(False, f"waiting for AC power (on battery, {battery.percent:.0f}%)")


class BatteryNotLowSource(_PolledSource):
    constraint = Constraint.BATTERY_NOT_LOW

    def _read(self) -> Reading:
        import psutil  # here: a start with nothing to poll does not pay its import (20 ms)

        battery = psutil.sensors_battery()
        if battery is None or battery.power_plugged or battery.percent > self._settings.battery_low_percent:
            return Reading(True, "")
        return Reading(
            False,
            f"waiting for the battery to charge ({battery.percent:.0f}%, low is "
            f"{self._settings.battery_low_percent:g}% or less)",
        )
