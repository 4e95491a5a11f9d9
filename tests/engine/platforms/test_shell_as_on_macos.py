"""The shell run's wait for its leader, along macOS' path, at its seam.

macOS' Python before 3.13 has no ``os.waitid``: the thread that waits for the leader
(engine.workers.shell_events.wait_unreaped) uses a kqueue's NOTE_EXIT there, which, like
``waitid(WNOWAIT)``, leaves the process for the supervisor to reap. Linux has no kqueue,
so this checks the calls against a recording ``select`` module; CI's macOS runner runs
the real one (every shell test goes through it there).
"""

from __future__ import annotations

import os
import sys
import types

import pytest

from engine.workers import shell_events


class _Kqueue:
    def __init__(self, calls: list[tuple[object, ...]]) -> None:
        self.calls = calls

    def control(self, changes: list[object], max_events: int, timeout: float | None) -> list[object]:
        self.calls.append(("control", changes, max_events, timeout))
        return changes

    def close(self) -> None:
        self.calls.append(("close",))


def _fake_select(calls: list[tuple[object, ...]]) -> types.ModuleType:
    module = types.ModuleType("select")
    module.KQ_FILTER_PROC = -5  # type: ignore[attr-defined]  # macOS' values
    module.KQ_EV_ADD = 0x1  # type: ignore[attr-defined]
    module.KQ_EV_ONESHOT = 0x10  # type: ignore[attr-defined]
    module.KQ_NOTE_EXIT = 0x80000000  # type: ignore[attr-defined]
    module.kqueue = lambda: _Kqueue(calls)  # type: ignore[attr-defined]
    module.kevent = lambda *args: ("kevent", *args)  # type: ignore[attr-defined]
    return module


def test_on_macos_the_leader_is_awaited_with_kqueue_not_waitid(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[object, ...]] = []
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setitem(sys.modules, "select", _fake_select(calls))
    monkeypatch.delattr(os, "waitid", raising=False)  # as in macOS' Python 3.11 and 3.12

    shell_events.wait_unreaped(4242)

    event = ("kevent", 4242, -5, 0x1 | 0x10, 0x80000000)
    assert calls == [("control", [event], 1, None), ("close",)]


def test_the_kqueue_is_closed_when_the_process_is_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[object, ...]] = []
    fake = _fake_select(calls)

    class _Gone(_Kqueue):
        def control(self, changes: list[object], max_events: int, timeout: float | None) -> list[object]:
            raise ProcessLookupError("no such process")  # kevent's ESRCH: reaped already

    fake.kqueue = lambda: _Gone(calls)  # type: ignore[attr-defined]
    monkeypatch.setattr(sys, "platform", "darwin")
    monkeypatch.setitem(sys.modules, "select", fake)

    with pytest.raises(OSError):  # the waiting thread takes any OSError as "not running"
        shell_events.wait_unreaped(4242)
    assert calls == [("close",)]
