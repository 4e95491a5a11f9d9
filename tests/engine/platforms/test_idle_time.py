"""The idle constraint on Windows (GetLastInputInfo) and macOS (CoreGraphics), at the
seam: the OS libraries are stand-ins that answer as the real ones do (user32's
LASTINPUTINFO filled through the pointer, kernel32's 32-bit tick count, CoreGraphics'
seconds), and ``sys.platform`` is patched for the IdleSource. The real calls run on
CI's Windows and macOS runners; Linux keeps asking the session bus
(tests/engine/test_conditions.py)."""

from __future__ import annotations

import ctypes
import sys
from typing import Any

import pytest

from engine.clock import FakeClock
from engine.conditions import ConditionSettings, IdleSource
from engine.platforms import idle_time

SETTINGS = ConditionSettings(idle_minutes=5)


class _User32:
    """GetLastInputInfo as Windows has it: fills dwTime through the pointer."""

    def __init__(self, last_input_tick: int, succeeds: bool = True) -> None:
        self.last_input_tick, self.succeeds = last_input_tick, succeeds
        self.sizes: list[int] = []

    def GetLastInputInfo(self, pointer: Any) -> int:  # noqa: N802 (Win32's name)
        info = ctypes.cast(pointer, ctypes.POINTER(idle_time.LastInputInfo)).contents
        self.sizes.append(info.cbSize)
        info.dwTime = self.last_input_tick
        return 1 if self.succeeds else 0


class _Kernel32:
    def __init__(self, tick: int) -> None:
        self.tick = tick

    def GetTickCount(self) -> int:  # noqa: N802
        return self.tick


class _CoreGraphics:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.calls: list[tuple[int, int]] = []

    def CGEventSourceSecondsSinceLastEventType(self, state: int, event_type: int) -> float:  # noqa: N802
        self.calls.append((state, event_type))
        return self.seconds


def test_windows_idle_is_the_tick_count_since_the_last_input() -> None:
    user32 = _User32(last_input_tick=1_000_000)
    assert idle_time.windows_idle_seconds(user32, _Kernel32(1_090_500)) == pytest.approx(90.5)
    assert user32.sizes == [ctypes.sizeof(idle_time.LastInputInfo)] == [8]  # cbSize set, as Windows requires


def test_windows_idle_survives_the_tick_count_wrapping_after_49_days() -> None:
    user32 = _User32(last_input_tick=0xFFFFFFFF - 999)  # 1 s before the wrap
    assert idle_time.windows_idle_seconds(user32, _Kernel32(2_000)) == pytest.approx(3.0)


def test_windows_failure_is_an_os_error() -> None:
    with pytest.raises(OSError, match="GetLastInputInfo"):
        idle_time.windows_idle_seconds(_User32(0, succeeds=False), _Kernel32(5))


def test_macos_asks_for_any_input_on_the_hid_state() -> None:
    graphics = _CoreGraphics(42.0)
    assert idle_time.macos_idle_seconds(graphics) == 42.0
    assert graphics.calls == [(1, 0xFFFFFFFF)]  # kCGEventSourceStateHIDSystemState, kCGAnyInputEventType


def test_linux_has_no_os_reader_the_session_bus_is_asked() -> None:
    assert idle_time.reader_for("linux") is None
    with pytest.raises(OSError):
        idle_time.load_user32()  # not a Windows: never loaded here


def _source_on(monkeypatch: pytest.MonkeyPatch, platform: str, clock: FakeClock) -> IdleSource:
    with monkeypatch.context() as patch:  # the platform matters at start only
        patch.setattr(sys, "platform", platform)
        source = IdleSource(clock, SETTINGS)
        source.start()  # no session bus needed
    return source


@pytest.fixture
def windows_input(monkeypatch: pytest.MonkeyPatch) -> tuple[_User32, _Kernel32]:
    user32, kernel32 = _User32(last_input_tick=0), _Kernel32(tick=0)
    monkeypatch.setattr(idle_time, "load_user32", lambda: user32)
    monkeypatch.setattr(idle_time, "load_kernel32", lambda: kernel32)
    return user32, kernel32


def test_the_idle_constraint_on_windows_follows_the_last_input(
    monkeypatch: pytest.MonkeyPatch, windows_input: tuple[_User32, _Kernel32], clock: FakeClock, qapp: object
) -> None:
    user32, kernel32 = windows_input
    kernel32.tick = 100_000  # 100 s since the last input
    source = _source_on(monkeypatch, "win32", clock)
    source.watch(True)
    assert source.reading() == (False, "waiting for the user to be idle (100s idle of 300s needed)")
    assert clock.next_deadline() == pytest.approx(200)  # asked again when it could first be met
    kernel32.tick = 301_000
    clock.advance(200)
    assert source.reading().met
    user32.last_input_tick = 330_000  # the user is back
    kernel32.tick = 331_000
    clock.advance(30)
    assert not source.reading().met
    source.stop()


def test_the_idle_constraint_on_macos_follows_coregraphics(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, qapp: object
) -> None:
    graphics = _CoreGraphics(600.0)
    monkeypatch.setattr(idle_time, "load_core_graphics", lambda: graphics)
    source = _source_on(monkeypatch, "darwin", clock)
    source.watch(True)
    assert source.reading().met and graphics.calls
    source.stop()


def test_without_its_library_the_idle_constraint_is_unmet_and_says_so(
    monkeypatch: pytest.MonkeyPatch, clock: FakeClock, qapp: object
) -> None:
    def missing() -> None:
        raise OSError("CoreGraphics: image not found")

    monkeypatch.setattr(idle_time, "load_core_graphics", missing)
    source = _source_on(monkeypatch, "darwin", clock)
    source.watch(True)
    reading = source.reading()
    assert not reading.met and "CoreGraphics: image not found" in reading.why and "stays unmet" in reading.why
    assert clock.next_deadline() is None


def test_a_failing_call_makes_the_constraint_unmet_not_met(
    monkeypatch: pytest.MonkeyPatch, windows_input: tuple[_User32, _Kernel32], clock: FakeClock, qapp: object
) -> None:
    user32, _ = windows_input
    user32.succeeds = False
    source = _source_on(monkeypatch, "win32", clock)
    source.watch(True)
    assert not source.reading().met and "GetLastInputInfo failed" in source.reading().why
    source.stop()
