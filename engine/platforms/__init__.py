"""What differs between Linux, Windows and macOS, each behind one small interface.

Every module here imports on every platform: a platform's own modules (fcntl,
msvcrt, ctypes.windll, ...) are imported inside the implementation that uses them,
chosen at run time from ``sys.platform``.
"""
