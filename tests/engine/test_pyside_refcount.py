"""PySide6 survives many void calls and emits (6.12.0 on Python < 3.12 does not).

PySide6 6.12.0 drops a reference to None on every void call and signal emit; on
Python < 3.12 (no immortal objects) None's count reaches zero after a few thousand
and the interpreter dies. The calls run in a child process so that a crash shows up
as this test failing with the child's stderr, not as pytest itself dying.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

CALLS = 20_000

_CHILD = textwrap.dedent(
    f"""
    import json, sys
    from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

    class Emitter(QObject):
        ping = Signal()
        value = Signal(object)

    app = QCoreApplication([])
    before = sys.getrefcount(None)
    timer = QTimer()
    for i in range({CALLS} // 4):  # four void calls per turn
        timer.setSingleShot(True)
        timer.setInterval(1000)
        timer.start()
        timer.stop()
    emitter = Emitter()
    received = [0]

    def on_value(value):  # counts without keeping references to None
        received[0] += 1

    emitter.value.connect(on_value)
    for i in range({CALLS} // 2):  # two emits per turn
        emitter.ping.emit()
        emitter.value.emit(None)
    after = sys.getrefcount(None)
    print(json.dumps({{"before": before, "after": after, "received": received[0]}}))
    """
)


def test_twenty_thousand_void_calls_and_emits_do_not_kill_the_interpreter() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    child = subprocess.run(
        [sys.executable, "-c", _CHILD], capture_output=True, text=True, timeout=60, env=env
    )
    assert child.returncode == 0, f"the child died ({child.returncode}):\n{child.stderr}"
    counts = json.loads(child.stdout.strip().splitlines()[-1])
    assert counts["received"] == CALLS // 2
    if sys.version_info < (3, 12):  # immortal None from 3.12 on: its count says nothing
        dropped = counts["before"] - counts["after"]
        assert dropped < 100, f"None lost {dropped} references over {CALLS} calls and {CALLS} emits"
