"""The ``thumbnails`` worker: decode and scale a folder's images with QImage.

``args = [SRC_FOLDER, DEST_FOLDER]`` or ``[SRC_FOLDER, DEST_FOLDER, SIZE]`` (pixels,
default 256): every image directly in SRC_FOLDER that Qt can read becomes
``DEST_FOLDER/<name>.png``, scaled to fit SIZE x SIZE (never enlarged), turned
upright by its EXIF orientation. This is the seed's "decoding bitmaps": it runs on
the job runner's thread pool, one image after another, so it never touches the UI
thread; progress counts images, cancellation is checked between images.

A thumbnail newer than its image is kept. Each is written to a temporary name and
renamed (``os.replace``), so a cancelled run leaves no broken PNG behind.

QImage needs QtGui, which ``engine/`` never imports: this worker lives in the UI
package and is registered by :func:`ui.workers.register_gui_workers` (the window and
``serve`` call it). QImage and QImageReader need no display and no QGuiApplication.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QImageReader

from engine.errors import BadSpecError
from engine.model import Outcome
from engine.workers.base import Worker, WorkContext, WorkResult

DEFAULT_SIZE = 256
TEMP_SUFFIX = ".workdeck-part"


def image_suffixes() -> set[str]:
    return {"." + bytes(fmt.data()).decode().lower() for fmt in QImageReader.supportedImageFormats()}


class ThumbnailsWorker(Worker):
    name = "thumbnails"
    path_args: ClassVar[tuple[int, ...]] = (0, 1)
    source_args: ClassVar[tuple[int, ...]] = (0,)

    def validate(self, args: Sequence[str]) -> None:
        if len(args) not in (2, 3) or not all(isinstance(a, str) and a for a in args):
            raise BadSpecError("thumbnails needs SOURCE_FOLDER and DEST_FOLDER, and optionally a SIZE in pixels")
        if len(args) == 3 and (not args[2].isdigit() or not 8 <= int(args[2]) <= 4096):
            raise BadSpecError(f"thumbnails: SIZE is a number of pixels from 8 to 4096, not {args[2]!r}")

    def run(self, ctx: WorkContext) -> WorkResult:
        src, dest = Path(ctx.args[0]).expanduser(), Path(ctx.args[1]).expanduser()
        size = int(ctx.args[2]) if len(ctx.args) == 3 else DEFAULT_SIZE
        if not src.is_dir():
            message = f"thumbnails: not a folder: {src}"
            ctx.log(message + "\n")
            return WorkResult(Outcome.FAILED, error=message)
        dest.mkdir(parents=True, exist_ok=True)
        suffixes = image_suffixes()
        images = sorted(p for p in src.iterdir() if p.suffix.lower() in suffixes and p.is_file())
        made, kept, failed = 0, 0, []
        for index, image in enumerate(images):
            if ctx.cancelled:
                return WorkResult(Outcome.CANCELLED)
            ctx.progress(index / len(images), f"{image.name} ({index + 1} of {len(images)})")
            target = dest / (image.stem + ".png")
            if target.exists() and target.stat().st_mtime_ns >= image.stat().st_mtime_ns:
                kept += 1
                continue
            error = _thumbnail(image, target, size)
            if error:
                failed.append(f"{image.name}: {error}")
                ctx.log(f"error: {image.name}: {error}\n")
            else:
                made += 1
        summary = f"{made} thumbnails made, {kept} up to date, {len(failed)} failed"
        ctx.log(summary + "\n")
        ctx.progress(1.0, summary)
        output = {"path": str(dest), "images": made, "kept": kept, "failed": len(failed)}
        if failed:
            return WorkResult(Outcome.FAILED, exit_code=1, output=output, error=failed[0])
        return WorkResult(Outcome.SUCCEEDED, exit_code=0, output=output)


def _thumbnail(image: Path, target: Path, size: int) -> str | None:
    """Write ``target``; return an error message or None."""
    reader = QImageReader(str(image))
    reader.setAutoTransform(True)
    original = reader.size()
    if original.isValid() and (original.width() > size or original.height() > size):
        # Decoding at the smaller size lets JPEG skip most of the work.
        reader.setScaledSize(original.scaled(QSize(size, size), Qt.AspectRatioMode.KeepAspectRatio))
    picture = reader.read()
    if picture.isNull():
        return reader.errorString() or "cannot decode"
    if picture.width() > size or picture.height() > size:
        picture = picture.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    temp = target.with_name(f".{target.name}{TEMP_SUFFIX}")
    if not picture.save(str(temp), "PNG"):
        temp.unlink(missing_ok=True)
        return f"cannot write {target}"
    os.replace(temp, target)
    return None
