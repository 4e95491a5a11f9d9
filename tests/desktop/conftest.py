"""A real desktop for the tests in this folder, once per test session: an X server
(Xvfb), a window manager (openbox), a tray host (trayer, XEmbed), and a notification
server (dunst) on a private D-Bus session bus -- the recipe of
shared/tools/desktop-session.sh. Each test runs real ``workdeck`` window processes on a
temporary database inside it (QT_QPA_PLATFORM unset: the xcb platform, the real tray).

dunst's context menu runs ``dmenu``; ours is a script that picks the line a test asks
for (:meth:`Desktop.choose_action`), so a test answers a notification through dunst's
own ActionInvoked, as a user's click would. Teardown kills every process started here.
Where a tool is missing the tests skip and say which (.ci/run installs them all).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import wait_until

ROOT = Path(__file__).parents[2]
SCREEN = (1600, 1000)
TOOLS = ("Xvfb", "openbox", "trayer", "dunst", "dunstctl", "dbus-daemon", "dbus-monitor", "xdotool", "xwininfo", "xprop")


class Desktop:
    def __init__(self, tmp: Path, screen: tuple[int, int] = SCREEN) -> None:
        self.tmp = tmp
        self.screen = screen
        self.processes: list[subprocess.Popen[Any]] = []
        self.env: dict[str, str] = {}
        self.choice = tmp / "dmenu-choice"

    # -- starting ---------------------------------------------------------------------

    def start(self) -> None:
        read, write = os.pipe()
        xvfb = self._spawn(["Xvfb", "-displayfd", str(write), "-screen", "0", f"{self.screen[0]}x{self.screen[1]}x24",
                            "-nolisten", "tcp"], pass_fds=(write,), env=dict(os.environ))
        os.close(write)
        with os.fdopen(read) as pipe:
            number = pipe.readline().strip()
        assert number.isdigit(), f"Xvfb gave no display ({xvfb.poll()=})"
        bus = self._spawn(["dbus-daemon", "--session", "--nofork", "--print-address=1"], stdout=subprocess.PIPE,
                          text=True, env=dict(os.environ))
        address = bus.stdout.readline().strip() if bus.stdout else ""
        assert address, "dbus-daemon printed no address"
        self.env = {**os.environ, "DISPLAY": f":{number}", "DBUS_SESSION_BUS_ADDRESS": address,
                    "XDG_RUNTIME_DIR": str(self._dir("runtime")), "XDG_CONFIG_HOME": str(self._dir("config")),
                    "XDG_DATA_HOME": str(self._dir("data")), "XDG_CACHE_HOME": str(self._dir("cache")),
                    "PYTHONPATH": str(ROOT)}
        for key in ("QT_QPA_PLATFORM", "WORKDECK_DB", "DBUS_SYSTEM_BUS_ADDRESS"):
            self.env.pop(key, None)
        self._wait_for_x()
        self._start_wm()
        self._spawn(["trayer", "--edge", "top", "--align", "right", "--widthtype", "request", "--height", "24"])
        # trayer's panel exists at once; the window manager maps it when it gets to it.
        wait_until(lambda: self.window_ids("--class", "trayer", visible=False), timeout=30, what="trayer's window")
        menu = self.tmp / "choose.sh"
        menu.write_text(f'#!/bin/sh\ngrep -m1 -F -- "$(cat {self.choice})"\n')
        menu.chmod(0o755)
        rc = self.tmp / "dunstrc"
        rc.write_text(f"[global]\n    dmenu = {menu}\n    notification_limit = 0\n    history_length = 100\n")
        self._spawn(["dunst", "-config", str(rc)])
        wait_until(lambda: self.run_ok("dunstctl", "is-paused"), timeout=30, what="dunst on the bus")

    def _start_wm(self) -> None:
        """openbox, started again if it gives up at once: on a loaded machine a fresh X
        server has been seen to refuse its first clients for a moment, so each new try
        waits until the server takes clients again."""
        log = self.tmp / "openbox.log"
        for _ in range(5):
            with log.open("w") as sink:
                openbox = self._spawn(["openbox"], stdout=sink, stderr=subprocess.STDOUT)
            try:
                wait_until(lambda: openbox.poll() is not None or self._wm_running(), timeout=30, what="openbox")
            except AssertionError:
                break
            if openbox.poll() is None:
                return
            self._wait_for_x()
        raise AssertionError(f"openbox did not start: {log.read_text()}")

    def _wait_for_x(self) -> None:
        wait_until(lambda: self.run_ok("xprop", "-root"), timeout=30, what="the X server to take clients")

    def _dir(self, name: str) -> Path:
        path = self.tmp / name
        path.mkdir(mode=0o700, exist_ok=True)
        return path

    def _wm_running(self) -> bool:
        out = self.sh("xprop", "-root", "_NET_SUPPORTING_WM_CHECK", check=False) or ""
        return "window id" in out

    def _spawn(self, argv: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
        kwargs.setdefault("env", self.env)
        kwargs.setdefault("stdout", subprocess.DEVNULL)
        kwargs.setdefault("stderr", subprocess.DEVNULL)
        proc = subprocess.Popen(argv, start_new_session=True, **kwargs)
        self.processes.append(proc)
        return proc

    def stop(self) -> None:
        for proc in reversed(self.processes):
            if proc.poll() is None:
                # SIGTERM first: Xvfb then removes its lock and socket for the next one.
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
            for stream in (proc.stdout, proc.stderr):
                if stream is not None:
                    stream.close()
        self.processes.clear()

    # -- looking and acting -----------------------------------------------------------

    def sh(self, *argv: str, check: bool = True) -> str | None:
        result = subprocess.run(argv, env=self.env, capture_output=True, text=True, timeout=20)
        if result.returncode != 0:
            if check:
                raise AssertionError(f"{argv}: exit {result.returncode}: {result.stderr}")
            return None
        return result.stdout

    def run_ok(self, *argv: str) -> bool:
        return subprocess.run(argv, env=self.env, capture_output=True, timeout=20).returncode == 0

    def window_ids(self, *query: str, visible: bool = True) -> list[str]:
        only = ["--onlyvisible"] if visible else []
        return (self.sh("xdotool", "search", *only, *query, check=False) or "").split()

    def geometry(self, wid: str) -> tuple[int, int, int, int]:
        """x, y, width, height of a window's frame-less area, in root coordinates."""
        info = self.sh("xwininfo", "-id", wid) or ""
        fields = dict(line.strip().split(":", 1) for line in info.splitlines() if ":" in line)
        return (int(fields["Absolute upper-left X"]), int(fields["Absolute upper-left Y"]),
                int(fields["Width"]), int(fields["Height"]))

    def displayed(self) -> int:
        return int((self.sh("dunstctl", "count", "displayed") or "0").strip())

    def history(self) -> list[dict[str, Any]]:
        data = json.loads(self.sh("dunstctl", "history") or "{}")
        return [{k: v.get("data") for k, v in entry.items()} for entry in data.get("data", [[]])[0]]

    def choose_action(self, text: str) -> None:
        """Answer the newest notification through dunst's context menu, choosing the
        action whose label contains ``text``: dunst sends ActionInvoked as for a click."""
        self.choice.write_text(text)
        self.sh("dunstctl", "context")

    def clear(self) -> None:
        self.sh("dunstctl", "close-all", check=False)
        self.sh("dunstctl", "history-clear", check=False)


@pytest.fixture(scope="session")
def desktop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Desktop]:
    if sys.platform != "linux":
        pytest.skip(f"an X11 desktop with a freedesktop tray and notification server is Linux's; {sys.platform} "
                    "has its own (tested through tests/engine/platforms)")
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"needs a real desktop's tools, missing: {', '.join(missing)} "
                    "(Debian: xvfb openbox trayer dunst dbus-x11 xdotool x11-utils)")
    session = Desktop(tmp_path_factory.mktemp("desktop"))
    try:
        session.start()
        yield session
    finally:
        session.stop()


class DesktopWorkdeck:
    """``workdeck`` commands and window processes on a temporary database in the desktop."""

    def __init__(self, desktop: Desktop, tmp: Path) -> None:
        self.desktop = desktop
        self.db = tmp / "desk.db"
        self.env = dict(desktop.env)
        self.windows: list[subprocess.Popen[str]] = []
        self.monitor: subprocess.Popen[str] | None = None
        self.services: list[subprocess.Popen[str]] = []

    def own_bus(self) -> str:
        """Give this Workdeck a private session bus of its own (same X display): one with
        no notification server, or with a tray watcher. Ended by :meth:`stop`."""
        bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, text=True, start_new_session=True)
        self.services.append(bus)
        address = bus.stdout.readline().strip() if bus.stdout else ""
        assert address, "dbus-daemon printed no address"
        self.env["DBUS_SESSION_BUS_ADDRESS"] = address
        return address

    def service(self, *argv: str) -> subprocess.Popen[str]:
        """A helper process on this Workdeck's bus (a tray watcher...), ended by :meth:`stop`."""
        proc = subprocess.Popen(argv, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True, text=True)
        self.services.append(proc)
        return proc

    def tray_icon(self) -> tuple[int, int, int, int] | None:
        """The XEmbed tray icon's x, y, width, height when trayer has embedded it."""
        for panel in self.desktop.window_ids("--class", "trayer", visible=False):
            for line in (self.desktop.sh("xwininfo", "-tree", "-id", panel, check=False) or "").splitlines():
                if '"Workdeck": (' in line:
                    size, absolute = line.split()[-2:]
                    width, height = (int(v) for v in size.split("+")[0].split("x"))
                    x, y = (int(v) for v in absolute.lstrip("+").split("+"))
                    return x, y, width, height
        return None

    def argv(self, *args: Any) -> list[str]:
        return [sys.executable, "-m", "ui.cli", "--db", str(self.db), *map(str, args)]

    def run(self, *args: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.run(self.argv(*args), env=self.env, cwd=ROOT, capture_output=True, text=True, timeout=60)

    def ok(self, *args: Any) -> str:
        result = self.run(*args)
        assert result.returncode == 0, (args, result.returncode, result.stderr)
        return result.stdout

    def json(self, *args: Any) -> Any:
        return json.loads(self.ok(*args, "--json"))

    def window(self, *args: str) -> subprocess.Popen[str]:
        log = open(self.db.with_suffix(f".window{len(self.windows)}.log"), "w")  # noqa: SIM115 - closed at stop
        proc = subprocess.Popen(self.argv(*args), env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                text=True, start_new_session=True)
        log.close()
        self.windows.append(proc)
        if "--hidden" not in args:  # a hidden start shows only the tray icon: the test waits for that
            wait_until(lambda: proc.poll() is not None or self.desktop.window_ids("--name", "^Workdeck$"),
                       timeout=60, what="the Workdeck window")
        assert proc.poll() is None, self.window_log()
        return proc

    def window_log(self, index: int = -1) -> str:
        return self.db.with_suffix(f".window{index % max(1, len(self.windows))}.log").read_text()

    def watch_notify(self) -> Path:
        """Record every Notify call on the bus, as the server receives it."""
        out = self.db.with_suffix(".notify.txt")
        with out.open("w") as sink:
            self.monitor = subprocess.Popen(
                ["dbus-monitor", "--session",
                 "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"],
                env=self.env, stdout=sink, stderr=subprocess.DEVNULL, start_new_session=True)
        # Once the bus makes it a monitor it loses its name, and it prints that signal:
        # from then on no Notify call can pass unrecorded.
        wait_until(lambda: "member=NameLost" in out.read_text(), timeout=30, what="dbus-monitor to become a monitor")
        return out

    def stop(self) -> None:
        for proc in [*self.windows, *([self.monitor] if self.monitor else []), *reversed(self.services)]:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
            if proc.stdout is not None:
                proc.stdout.close()
        self.desktop.clear()


@pytest.fixture
def deck(desktop: Desktop, tmp_path: Path) -> Iterator[DesktopWorkdeck]:
    desktop.clear()
    workdeck = DesktopWorkdeck(desktop, tmp_path)
    try:
        yield workdeck
    finally:
        workdeck.stop()
