"""One instance per database, with real processes: a second window start brings the
first forward; a window offered to take over from `workdeck serve` owns the database
once serve has stopped gracefully."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("engine.owner.host", reason="the owner lock and socket come with the cli branch (engine/owner/host.py)")

from engine import ipc  # noqa: E402
from engine.errors import AlreadyOwnedError  # noqa: E402
from engine.owner.host import EngineHost, socket_path  # noqa: E402
from ui.instance import open_for_window  # noqa: E402

needs_yield = pytest.mark.skipif(
    not hasattr(EngineHost, "yield_requested"),
    reason="serve's 'yield' request (engine/ipc.py, engine/owner/host.py, ui/cli/) is not merged yet",
)

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the owner lock is fcntl-based (POSIX)")


def _spawn(args: list[str], ready: str, tmp_path: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_RUNTIME_DIR": str(tmp_path / "run"),
           "PYTHONPATH": str(ROOT)}
    (tmp_path / "run").mkdir(exist_ok=True, mode=0o700)
    os.environ["XDG_RUNTIME_DIR"] = env["XDG_RUNTIME_DIR"]  # this process looks for the same socket
    proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    for line in proc.stdout:  # blocking reads of its log: no sleeping, no polling
        if ready in line:
            return proc
    raise AssertionError(f"{args} ended before it was ready (exit {proc.wait()})")


def _end(proc: subprocess.Popen[str], *, exits_by_itself: bool = False) -> int:
    if not exits_by_itself and proc.poll() is None:
        proc.terminate()
    code = proc.wait(20)
    if proc.stdout is not None:
        proc.stdout.close()
    return code


@pytest.fixture
def runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "run"))
    yield tmp_path


def test_a_second_window_brings_the_first_forward(runtime: Path, qapp: Any) -> None:
    db = runtime / "w.db"
    first = _spawn([str(ROOT / "tests/ui/window_owner.py"), str(db)], "ready", runtime)
    try:
        assert open_for_window(db, ask=lambda exc: pytest.fail("a window is not offered a take-over")) is None
        assert first.stdout is not None
        assert first.stdout.readline().strip() == "activated"
    finally:
        assert _end(first, exits_by_itself=True) == 0


@needs_yield
def test_window_takes_over_from_serve(runtime: Path, qapp: Any) -> None:
    db = runtime / "w.db"
    serve = _spawn(["-m", "ui.cli", "--db", str(db), "serve"], "listening on", runtime)
    asked: list[AlreadyOwnedError] = []
    try:
        host = open_for_window(db, ask=lambda exc: asked.append(exc) or True)
        assert host is not None
        try:
            assert [(e.role, e.pid) for e in asked] == [("serve", serve.pid)]
            assert serve.wait(20) == 0  # it stopped gracefully, by itself
            host.start()  # listens where serve listened (a blocking ping from this thread would deadlock)
            assert host.role == "window" and host.engine.started
            assert Path(socket_path(db)).exists()
        finally:
            host.stop()
    finally:
        _end(serve)


@needs_yield
def test_declining_the_take_over_leaves_serve_running(runtime: Path, qapp: Any) -> None:
    db = runtime / "w.db"
    serve = _spawn(["-m", "ui.cli", "--db", str(db), "serve"], "listening on", runtime)
    try:
        assert open_for_window(db, ask=lambda exc: False) is None
        reply = ipc.call(socket_path(db), {"op": "ping"}, timeout=5)
        assert reply is not None and reply["role"] == "serve"
    finally:
        assert _end(serve) == 0
