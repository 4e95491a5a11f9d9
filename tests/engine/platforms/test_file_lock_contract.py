"""The owner lock's primitive behaves the same on every platform (engine.platforms.file_lock).

One suite, run against the real POSIX implementation (flock) and against the real
Windows implementation on a double of ``LockFileEx`` that behaves as Windows does
(tests/engine/platforms/ownership_doubles.py). Then :class:`engine.owner.lock.OwnerLock` itself,
on both, keeps what owners and command lines rely on.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.errors import AlreadyOwnedError
from engine.owner.lock import OwnerLock
from engine.platforms.file_lock import FileLock, PosixFileLock, WindowsFileLock
from tests.engine.platforms.hold_lock import implementation

ROOT = Path(__file__).parents[3]
# flock is POSIX's; the LockFileEx double stands on F_OFD_SETLK, which is Linux's.
IMPLEMENTATIONS = [pytest.param("posix", marks=pytest.mark.posix),
                   pytest.param("windows-double", marks=pytest.mark.linux)]


@pytest.fixture(params=IMPLEMENTATIONS)
def impl(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def locks(impl: str) -> FileLock:
    return implementation(impl)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "work.db.lock"


@pytest.fixture
def open_fd(path: Path) -> Iterator[object]:
    fds: list[int] = []

    def opener() -> int:
        fds.append(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        return fds[-1]

    yield opener
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def test_the_implementations_are_what_they_say(locks: FileLock, impl: str) -> None:
    assert isinstance(locks, PosixFileLock if impl == "posix" else WindowsFileLock)


def test_exclusive_excludes_everyone_even_a_second_descriptor_of_this_process(locks: FileLock, open_fd) -> None:
    first, second = open_fd(), open_fd()
    assert locks.try_lock(first, shared=False)
    assert not locks.try_lock(second, shared=False)
    assert not locks.try_lock(second, shared=True)


def test_shared_holders_share_and_keep_an_exclusive_one_out(locks: FileLock, open_fd) -> None:
    a, b, c = open_fd(), open_fd(), open_fd()
    assert locks.try_lock(a, shared=True)
    assert locks.try_lock(b, shared=True)
    assert not locks.try_lock(c, shared=False)


def test_closing_or_unlocking_frees_it(locks: FileLock, open_fd) -> None:
    first, second = open_fd(), open_fd()
    assert locks.try_lock(first, shared=False)
    locks.unlock(first)
    assert locks.try_lock(second, shared=False)
    os.close(second)
    third = open_fd()
    assert locks.try_lock(third, shared=False)


def test_the_record_at_the_start_stays_readable_and_writable(locks: FileLock, open_fd, path: Path) -> None:
    fd = open_fd()
    assert locks.try_lock(fd, shared=False)
    os.write(fd, b'{"pid": 1, "role": "serve"}')
    assert path.read_bytes() == b'{"pid": 1, "role": "serve"}'


def _holder(impl: str, path: Path, mode: str) -> subprocess.Popen[str]:
    child = subprocess.Popen([sys.executable, "-m", "tests.engine.platforms.hold_lock", impl, str(path), mode],
                             cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "locked"
    return child


def test_another_process_s_lock_holds_until_it_dies(locks: FileLock, impl: str, path: Path, open_fd) -> None:
    child = _holder(impl, path, "exclusive")
    try:
        fd = open_fd()
        assert not locks.try_lock(fd, shared=True)
        child.kill()  # no clean-up of its own: the OS drops the lock
        child.wait(10)
        assert locks.try_lock(fd, shared=False)
    finally:
        child.kill()
        child.wait(10)
        assert child.stdin is not None and child.stdout is not None
        child.stdin.close()
        child.stdout.close()


def test_another_process_shares_with_us(locks: FileLock, impl: str, path: Path, open_fd) -> None:
    child = _holder(impl, path, "shared")
    try:
        assert locks.try_lock(open_fd(), shared=True)
        assert not locks.try_lock(open_fd(), shared=False)
    finally:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.close()
        child.wait(10)
        child.stdout.close()


# ---------------------------------------------------------------- OwnerLock on both


def test_an_owner_excludes_owners_and_command_lines_and_is_named(locks: FileLock, tmp_path: Path) -> None:
    db = tmp_path / "work.db"
    owner = OwnerLock(db, locks=locks)
    owner.acquire("serve")
    try:
        assert not OwnerLock(db, locks=locks).try_acquire("cli")
        with pytest.raises(AlreadyOwnedError, match=rf"workdeck serve \(pid {os.getpid()}\)"):
            OwnerLock(db, locks=locks).acquire("window", cli_wait=0.05)
    finally:
        owner.release()
    again = OwnerLock(db, locks=locks)
    assert again.try_acquire("window")
    again.release()


def test_command_lines_share_and_keep_an_owner_out(locks: FileLock, tmp_path: Path) -> None:
    db = tmp_path / "work.db"
    first, second = OwnerLock(db, locks=locks), OwnerLock(db, locks=locks)
    assert first.try_acquire("cli") and second.try_acquire("cli")
    try:
        with pytest.raises(AlreadyOwnedError, match="workdeck cli"):
            OwnerLock(db, locks=locks).acquire("serve", cli_wait=0.05)
    finally:
        first.release()
        second.release()
