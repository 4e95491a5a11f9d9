"""Workdeck's user interface: the window, the tray and the command line."""

#: The one place the version is written: pyproject.toml reads it (dynamic version),
#: ``workdeck --version`` prints it, and a test checks the AppStream file's latest release.
__version__ = "0.1.0"
