"""A stand-in for another Workdeck window: owns a database as role "window" and prints
"activated" when a second start asks it to come forward, then exits."""

from __future__ import annotations

import sys

from PySide6.QtCore import QCoreApplication

from engine.owner.host import EngineHost


def main() -> None:
    app = QCoreApplication(sys.argv)
    host = EngineHost.open(sys.argv[1], role="window")

    def activated() -> None:
        print("activated", flush=True)
        app.quit()

    host.activate_requested.connect(activated)
    host.start()
    print("ready", flush=True)
    try:
        app.exec()
    finally:
        host.stop()


if __name__ == "__main__":
    main()
