"""The ``copy`` worker: copy or mirror a file or folder, with progress by bytes.

``args = [SRC, DEST]`` or ``[SRC, DEST, "mirror"]``.

- SRC a folder: its contents go into the folder DEST (created), recursively. A file
  whose copy already has the same size and modification time is skipped (rsync's quick
  check), so a second run copies only what changed. ``mirror`` also deletes what DEST
  holds that SRC does not, making DEST an exact copy.
- SRC a file: copied to DEST, or into DEST if DEST is a folder.
- Symbolic links are copied as links, never followed (no loops, nothing outside SRC).

Safe on interruption: each file is written to a temporary name in its destination
folder (``.NAME.workdeck-part``) and renamed over its final name (``os.replace``) only
once complete and flushed; a cancelled or crashed copy leaves no half-written file
under a final name. Leftover temporary files are removed by the next run.
A file that cannot be read or written is reported and skipped; the run then fails
(after copying everything else), like rsync's "partial transfer".
"""

from __future__ import annotations

import os
import shutil
import stat
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from engine.errors import BadSpecError
from engine.model import Outcome
from engine.workers.base import Worker, WorkContext, WorkResult

CHUNK = 1024 * 1024
TEMP_SUFFIX = ".workdeck-part"
PROGRESS_INTERVAL = 0.1


class CopyWorker(Worker):
    name = "copy"
    path_args: ClassVar[tuple[int, ...]] = (0, 1)
    source_args: ClassVar[tuple[int, ...]] = (0,)

    def validate(self, args: Sequence[str]) -> None:
        if len(args) not in (2, 3) or not all(isinstance(a, str) and a for a in args):
            raise BadSpecError("copy needs SOURCE and DESTINATION, and optionally \"mirror\"")
        if len(args) == 3 and args[2] not in ("copy", "mirror"):
            raise BadSpecError(f"copy: the third argument is \"mirror\" or \"copy\", not {args[2]!r}")
        src, dest = Path(args[0]).expanduser().absolute(), Path(args[1]).expanduser().absolute()
        if src == dest or dest.is_relative_to(src) or src.is_relative_to(dest):
            raise BadSpecError(f"copy: {dest} and {src} overlap; copy to a folder outside the source")

    def run(self, ctx: WorkContext) -> WorkResult:
        src, dest = Path(ctx.args[0]).expanduser(), Path(ctx.args[1]).expanduser()
        mirror = len(ctx.args) == 3 and ctx.args[2] == "mirror"
        if not src.exists() and not src.is_symlink():
            message = f"copy: source does not exist: {src}"
            ctx.log(message + "\n")
            return WorkResult(Outcome.FAILED, error=message)
        if src.is_dir() and not src.is_symlink():
            return _Copy(ctx, src, dest, mirror).run()
        target = dest / src.name if dest.is_dir() else dest
        return _Copy(ctx, src.parent, target.parent, False, only=(src.name, target.name)).run()


@dataclass
class _Item:
    src: Path
    dest: Path
    size: int
    link: bool = False


class _Copy:
    def __init__(
        self, ctx: WorkContext, src: Path, dest: Path, mirror: bool, only: tuple[str, str] | None = None
    ) -> None:
        self.ctx, self.src, self.dest, self.mirror, self.only = ctx, src, dest, mirror, only
        self.done = 0
        self.total = 0
        self.errors: list[str] = []
        self._last_progress = 0.0

    def run(self) -> WorkResult:
        ctx = self.ctx
        ctx.progress(None, "looking at what changed")
        try:
            self.dest.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return self._fail(f"cannot create {self.dest}: {exc.strerror}")
        todo = [item for item in self._plan() if not _up_to_date(item)]
        if ctx.cancelled:
            return WorkResult(Outcome.CANCELLED)
        self.total = sum(item.size for item in todo)
        copied = 0
        for item in todo:
            if ctx.cancelled:
                return WorkResult(Outcome.CANCELLED)
            if self._copy_one(item):
                copied += 1
        if ctx.cancelled:
            return WorkResult(Outcome.CANCELLED)
        deleted = self._delete_extra() if self.mirror else 0
        summary = f"{copied} copied, {deleted} deleted, {len(self.errors)} failed ({self.done} bytes)"
        ctx.log(summary + "\n")
        ctx.progress(1.0, summary)
        output = {"path": str(self.dest), "files": copied, "bytes": self.done, "deleted": deleted}
        if self.errors:
            return WorkResult(Outcome.FAILED, exit_code=23, output=output, error=f"{len(self.errors)} files failed: {self.errors[0]}")
        return WorkResult(Outcome.SUCCEEDED, exit_code=0, output=output)

    def _fail(self, message: str) -> WorkResult:
        self.ctx.log(message + "\n")
        return WorkResult(Outcome.FAILED, error=message)

    def _plan(self) -> Iterator[_Item]:
        if self.only is not None:
            name, target = self.only
            info = (self.src / name).lstat()
            yield _Item(self.src / name, self.dest / target, info.st_size, stat.S_ISLNK(info.st_mode))
            return
        for folder, dirs, files in os.walk(self.src, onerror=lambda e: self.errors.append(str(e))):
            rel = Path(folder).relative_to(self.src)
            out = self.dest / rel
            self._remove_stale_temps(out)
            for name in sorted(dirs):
                if (Path(folder) / name).is_symlink():
                    dirs.remove(name)  # a link to a folder is copied as a link, not walked
                    yield _Item(Path(folder) / name, out / name, 0, link=True)
            for name in sorted(files):
                path = Path(folder) / name
                try:
                    info = path.lstat()
                except OSError as exc:
                    self._error(f"{path}: {exc.strerror}")
                    continue
                if stat.S_ISLNK(info.st_mode):
                    yield _Item(path, out / name, 0, link=True)
                elif stat.S_ISREG(info.st_mode):
                    yield _Item(path, out / name, info.st_size)
                else:
                    self.ctx.log(f"skipped (not a regular file): {path}\n")

    def _copy_one(self, item: _Item) -> bool:
        temp = item.dest.with_name(f".{item.dest.name}{TEMP_SUFFIX}")
        try:
            item.dest.parent.mkdir(parents=True, exist_ok=True)
            if item.link:
                temp.unlink(missing_ok=True)
                os.symlink(os.readlink(item.src), temp)
                os.replace(temp, item.dest)
                return True
            with open(item.src, "rb") as source, open(temp, "wb") as out:
                while chunk := source.read(CHUNK):
                    if self.ctx.cancelled:
                        break
                    out.write(chunk)
                    self.done += len(chunk)
                    self._report(item)
                else:
                    out.flush()
                    os.fsync(out.fileno())
            if self.ctx.cancelled:
                temp.unlink(missing_ok=True)
                return False
            shutil.copystat(item.src, temp)
            os.replace(temp, item.dest)
            return True
        except OSError as exc:
            temp.unlink(missing_ok=True)
            self._error(f"{item.src}: {exc.strerror or exc}")
            return False

    def _delete_extra(self) -> int:
        """Mirror: remove what DEST holds that SRC does not. Never follows links out of DEST."""
        deleted = 0
        for folder, dirs, files in os.walk(self.dest):
            rel = Path(folder).relative_to(self.dest)
            for name in [*dirs, *files]:
                path = Path(folder) / name
                source = self.src / rel / name
                if source.exists() or source.is_symlink():
                    continue
                if name in dirs:
                    dirs.remove(name)  # gone as a whole: do not walk into it
                try:
                    if path.is_dir() and not path.is_symlink():
                        shutil.rmtree(path)
                    else:
                        path.unlink()
                    deleted += 1
                    self.ctx.log(f"deleted {path}\n")
                except OSError as exc:
                    self._error(f"{path}: {exc.strerror}")
        return deleted

    def _remove_stale_temps(self, folder: Path) -> None:
        try:
            entries = list(folder.iterdir())
        except OSError:
            return
        for entry in entries:
            if entry.name.startswith(".") and entry.name.endswith(TEMP_SUFFIX):
                entry.unlink(missing_ok=True)

    def _error(self, message: str) -> None:
        self.errors.append(message)
        self.ctx.log(f"error: {message}\n")

    def _report(self, item: _Item) -> None:
        now = time.monotonic()
        if now - self._last_progress < PROGRESS_INTERVAL:
            return
        self._last_progress = now
        fraction = self.done / self.total if self.total else None
        self.ctx.progress(fraction, f"{item.src.name}: {self.done} of {self.total} bytes")


def _up_to_date(item: _Item) -> bool:
    try:
        dest = item.dest.lstat()
        if item.link:
            return stat.S_ISLNK(dest.st_mode) and os.readlink(item.dest) == os.readlink(item.src)
        src = item.src.stat()
    except OSError:
        return False
    return stat.S_ISREG(dest.st_mode) and dest.st_size == src.st_size and dest.st_mtime_ns == src.st_mtime_ns
