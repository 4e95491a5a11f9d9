"""Workdeck's files are the user's alone, and never another user's trap.

Commands, their arguments and their output are as private as shell history (0600), so:

- every file Workdeck writes (database, its ``-wal``/``-shm``, the lock, the socket,
  the log) is created 0600 and the data folder 0700, whatever the umask; a file found
  with more is tightened, with a log line (:func:`tighten`). SQLite gives ``-wal`` and
  ``-shm`` the database file's own mode, so a 0600 database makes them 0600 too.
- nothing is opened through another user's symbolic link, nor through a hard link
  (a file with more than one name), both the way another local user in a shared
  folder (``/tmp``, a group project folder) would make root's ``workdeck`` overwrite a
  file of their choosing (:func:`open_private`, :func:`check_database`).
- a database owned by another user is refused, as a manifest is
  (engine.manifest.model.refuse_if_others_can_write): its tasks are commands that user
  chose, and ``serve`` would run them as us. Root's files are trusted.

A symbolic link at the database path is followed only when the link and what it
points to both belong to the user (a dotfiles setup that links the data folder's
database elsewhere keeps working); otherwise it is refused.

On Windows, files have ACLs, not modes and owner ids (``st_uid`` is always 0 and there
is no ``geteuid``): the mode and owner checks are skipped there, because the folders
Workdeck uses by default (the user's profile, ``%LOCALAPPDATA%``) are the user's alone by
their inherited ACL; the symbolic-link and hard-link refusals stay.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
from pathlib import Path

from engine.errors import BadInputError



def _log_tightened(path: Path | str, old: int, new: int) -> None:
    # logging is loaded only when there is something to say: not on a command line's path.
    import logging

    logging.getLogger(__name__).info("tightened %s from mode %o to %o: only you may read it", path, old, new)

FILE_MODE = 0o600
FOLDER_MODE = 0o700
#: The files SQLite keeps beside a database.
SIDE_FILES = ("-wal", "-shm", "-journal")


class UnsafePathError(BadInputError):
    """A path another user could control: a symlink, a hard link, a file of theirs."""


def _trusted(uid: int) -> bool:
    if sys.platform == "win32":  # no owner ids: see the module docstring
        return True
    return uid in (os.geteuid(), 0)


def _mine(uid: int) -> bool:
    if sys.platform == "win32":
        return True
    return uid == os.geteuid()


def _open_flags(flags: int) -> int:
    if sys.platform == "win32":
        # No O_NOFOLLOW: open_private checks for a link first (creating one needs a
        # privilege there). O_NOINHERIT is Windows' O_CLOEXEC.
        return flags | os.O_NOINHERIT | os.O_BINARY
    return flags | os.O_NOFOLLOW | os.O_CLOEXEC


def open_private(path: Path, flags: int) -> int:
    """``os.open(path, flags)`` for a file of ours: created 0600; refused if ``path`` is a
    symbolic link, not a regular file, has another name (a hard link) or belongs to
    another user; tightened to 0600 if it had more. Returns the descriptor."""
    if sys.platform == "win32" and os.path.islink(path):
        raise UnsafePathError(f"refused: {path} is a symbolic link; remove it")
    try:
        fd = os.open(path, _open_flags(flags), FILE_MODE)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafePathError(f"refused: {path} is a symbolic link; remove it") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise UnsafePathError(f"refused: {path} is not a regular file")
        if not _mine(info.st_uid):
            raise UnsafePathError(f"refused: {path} is owned by uid {info.st_uid}, not by you; remove it")
        if info.st_nlink > 1:
            raise UnsafePathError(f"refused: {path} has other names (hard links); remove it")
        if sys.platform != "win32" and stat.S_IMODE(info.st_mode) != FILE_MODE:
            os.fchmod(fd, FILE_MODE)
            if info.st_size or not flags & os.O_CREAT:
                _log_tightened(path, stat.S_IMODE(info.st_mode), FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def private_folder(path: Path) -> Path:
    """Create ``path`` (and its parents) for Workdeck's own data: the folder itself 0700,
    tightened with a log line if it had more."""
    path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    info = path.stat()
    if sys.platform == "win32":  # ACLs, not modes: see the module docstring
        return path
    if info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) != FOLDER_MODE:
        os.chmod(path, FOLDER_MODE)
        _log_tightened(path, stat.S_IMODE(info.st_mode), FOLDER_MODE)
    return path


def check_database(path: Path) -> Path:
    """The path to open for database ``path``, after the checks in the module docstring;
    raises :class:`UnsafePathError`. Does not create anything."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return path
    if stat.S_ISLNK(info.st_mode):
        target = Path(os.path.realpath(path))
        if not _mine(info.st_uid):
            raise UnsafePathError(f"refused: {path} is a symbolic link owned by uid {info.st_uid}, not by you")
        try:
            target_info = target.lstat()
        except FileNotFoundError:
            raise UnsafePathError(f"refused: {path} is a symbolic link to {target}, which does not exist") from None
        if not _mine(target_info.st_uid):
            raise UnsafePathError(f"refused: {path} links to {target}, owned by uid {target_info.st_uid}, not by you")
        path, info = target, target_info
    if not stat.S_ISREG(info.st_mode):
        raise UnsafePathError(f"refused: {path} is not a regular file")
    if not _trusted(info.st_uid):
        raise UnsafePathError(
            f"refused: database {path} is owned by uid {info.st_uid}, not by you; its tasks would run as you"
        )
    if info.st_nlink > 1:
        raise UnsafePathError(f"refused: database {path} has other names (hard links)")
    for suffix in SIDE_FILES:
        side = path.with_name(path.name + suffix)
        try:
            side_info = side.lstat()
        except FileNotFoundError:
            continue
        if stat.S_ISLNK(side_info.st_mode) or not _trusted(side_info.st_uid):
            raise UnsafePathError(f"refused: {side} is a symbolic link or another user's file; remove it")
    return path


def tighten(path: Path) -> None:
    """Make an existing database and its side files 0600 (ours only), with a log line."""
    if sys.platform == "win32":  # ACLs, not modes: see the module docstring
        return
    for file in (path, *(path.with_name(path.name + s) for s in SIDE_FILES)):
        try:
            info = file.lstat()
        except FileNotFoundError:
            continue
        if stat.S_ISREG(info.st_mode) and info.st_uid == os.geteuid() and stat.S_IMODE(info.st_mode) != FILE_MODE:
            os.chmod(file, FILE_MODE, follow_symlinks=False)
            _log_tightened(file, stat.S_IMODE(info.st_mode), FILE_MODE)


def create_database_file(path: Path) -> None:
    """Create a new, empty database file 0600 (SQLite would make it 0644 less the umask,
    and its -wal and -shm alike). Refuses to follow a symlink planted meanwhile."""
    fd = open_private(path, os.O_RDWR | os.O_CREAT | os.O_EXCL)
    os.close(fd)
