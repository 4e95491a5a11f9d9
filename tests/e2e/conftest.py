"""Real ``workdeck`` processes on a temporary database, and their cleanup.

Every process a test starts (servers, and the task processes a killed server left
behind) is killed at teardown if it still runs: no test leaves processes running.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil
import pytest

from engine import ipc
from engine.owner.lock import socket_path
from engine.store import Store

ROOT = Path(__file__).parents[2]


def wait_until(condition: Callable[[], Any], timeout: float = 10.0, what: str = "condition") -> Any:
    """Poll ``condition`` until it is truthy; e2e tests may sleep briefly between polls."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


def open_descriptors(pid: int) -> dict[int, str]:
    """What a live process's descriptors name (Linux: /proc). One it closes between the
    listing and the reading is left out: a process that just started still opens and
    closes files (its manifest, /proc, the checkpoint's connection)."""
    held: dict[int, str] = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            held[int(fd)] = os.readlink(f"/proc/{pid}/fd/{fd}")
        except FileNotFoundError:  # closed meanwhile
            continue
    return held


class Workdeck:
    def __init__(self, tmp: Path, runtime: Path) -> None:
        self.db = tmp / "e2e.db"
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "QT_QPA_PLATFORM": "offscreen",
                    "XDG_RUNTIME_DIR": str(runtime)}
        self.env.pop("WORKDECK_DB", None)
        self.processes: list[subprocess.Popen[str]] = []
        self.leftovers: list[psutil.Process] = []

    def argv(self, *args: Any, db: Path | None = None) -> list[str]:
        return [sys.executable, "-m", "ui.cli", "--db", str(db or self.db), *map(str, args)]

    def run(self, *args: Any, db: Path | None = None, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.argv(*args, db=db), env=self.env, cwd=ROOT, capture_output=True, text=True,
                              timeout=timeout)

    def ok(self, *args: Any) -> str:
        result = self.run(*args)
        assert result.returncode == 0, (args, result.returncode, result.stderr)
        return result.stdout

    def json(self, *args: Any) -> Any:
        """The command's --json output (given before any ``--``)."""
        cut = args.index("--") if "--" in args else len(args)
        return json.loads(self.ok(*args[:cut], "--json", *args[cut:]))

    def popen(self, *args: Any, db: Path | None = None) -> subprocess.Popen[str]:
        proc = subprocess.Popen(self.argv(*args, db=db), env=self.env, cwd=ROOT, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        self.processes.append(proc)
        return proc

    def serve(self) -> subprocess.Popen[str]:
        proc = self.popen("serve")
        wait_until(lambda: proc.poll() is not None or self.ping() is not None, what="serve to listen")
        assert proc.poll() is None, proc.communicate()
        return proc

    def ping(self) -> Any:
        return ipc.call(socket_path(self.db), {"op": "ping"}, timeout=5.0)

    def add(self, *command: str) -> str:
        """Add through the owner's socket from this process: the CLI's protocol, minus a
        process start (for tests that add many tasks)."""
        from engine.model import TaskSpec

        spec = TaskSpec(worker="shell", args=command)
        reply = ipc.call(socket_path(self.db), {"op": "add", "spec": spec.to_json()}, timeout=10.0)
        assert reply and reply["ok"], reply
        return str(reply["task"]["id"])

    def stop(self, proc: subprocess.Popen[str], sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        proc.send_signal(sig)
        proc.wait(timeout)
        proc.communicate()
        return proc.returncode

    def remember_children(self, proc: subprocess.Popen[str]) -> list[psutil.Process]:
        children = psutil.Process(proc.pid).children(recursive=True)
        self.leftovers.extend(children)
        return children

    @contextmanager
    def store(self) -> Iterator[Store]:
        store = Store(self.db)
        try:
            yield store
        finally:
            store.close()

    def cleanup(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
            proc.communicate()
        for child in self.leftovers:
            try:
                if child.is_running():
                    child.kill()
                    child.wait(5)
            except psutil.NoSuchProcess:
                pass


@pytest.fixture
def wd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Workdeck]:
    runtime = Path(tempfile.mkdtemp(prefix="wd-"))  # short: sockets need short paths
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))  # so this process finds the same socket
    deck = Workdeck(tmp_path, runtime)
    try:
        yield deck
    finally:
        deck.cleanup()
        shutil.rmtree(runtime, ignore_errors=True)
