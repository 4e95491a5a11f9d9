"""The Windows power watch at its seams (engine.platforms.sleep_windows): user32 and
kernel32 are scripted fakes; the thread, the ctypes window-procedure callback and the
Qt hand-over are real."""

from __future__ import annotations

import ctypes
import logging

import pytest
from PySide6.QtCore import QObject

from engine.platforms import sleep_windows as win
from engine.platforms.sleep_windows import WindowsSleepWatch
from tests.engine.platforms.doubles import FakeKernel32ForWindows, FakeUser32


def test_the_window_is_top_level_so_broadcasts_reach_it(qapp: object) -> None:
    """A message-only window (parent HWND_MESSAGE) gets no broadcast: WM_POWERBROADCAST
    and WM_TIMECHANGE would never arrive."""
    user32 = FakeUser32()
    watch = WindowsSleepWatch(user32, FakeKernel32ForWindows())
    owner = QObject()
    watch.start(owner, lambda source: None)
    try:
        assert watch.kernel_watch and user32.created_parent is None
    finally:
        watch.stop()
    assert user32.destroyed == [0x77] and user32.unregistered == [win.CLASS_NAME]


def test_other_messages_go_to_the_default_procedure() -> None:
    user32 = FakeUser32()
    watch = WindowsSleepWatch(user32, FakeKernel32ForWindows())
    assert watch.window_procedure(0x77, 0x0001, 0, 0) == 0  # WM_CREATE
    assert watch.window_procedure(0x77, win.WM_POWERBROADCAST, 0x0004, 0) == 0  # PBT_APMSUSPEND
    assert user32.default_calls == [0x0001, win.WM_POWERBROADCAST]
    assert watch.window_procedure(0x77, win.WM_POWERBROADCAST, win.PBT_APMRESUMESUSPEND, 0) == 1
    assert watch.window_procedure(0x77, win.WM_TIMECHANGE, 0, 0) == 0
    assert user32.default_calls == [0x0001, win.WM_POWERBROADCAST]  # those two were ours


def test_a_refused_window_class_leaves_the_periodic_check(qapp: object, caplog: pytest.LogCaptureFixture) -> None:
    user32 = FakeUser32(register_ok=False)
    watch = WindowsSleepWatch(user32, FakeKernel32ForWindows())
    owner = QObject()
    with caplog.at_level(logging.WARNING, "engine.platforms.sleep_windows"):
        watch.start(owner, lambda source: None)
        watch.stop()
    assert not watch.kernel_watch and "RegisterClassW failed" in caplog.text


def test_without_the_dlls_nothing_starts(qapp: object, caplog: pytest.LogCaptureFixture) -> None:
    watch = WindowsSleepWatch()  # this is not Windows: load_dlls refuses
    owner = QObject()
    with caplog.at_level(logging.WARNING, "engine.platforms.sleep_windows"):
        watch.start(owner, lambda source: None)
    assert watch._thread is None and not watch.kernel_watch and "no power broadcasts" in caplog.text
    watch.stop()


def test_the_structures_have_windows_sizes() -> None:
    if ctypes.sizeof(ctypes.c_void_p) == 8:
        assert ctypes.sizeof(win.MSG) == 48 and ctypes.sizeof(win.WNDCLASSW) == 72
