"""The thumbnails worker on generated PNGs, in the test process and in a headless one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage

from engine.model import Outcome, StopReason
from tests.engine.worker_helpers import make_ctx
from ui.workers.thumbnails import ThumbnailsWorker

ROOT = Path(__file__).parents[2]


def _png(path: Path, width: int, height: int, color: str) -> None:
    image = QImage(width, height, QImage.Format.Format_RGB32)
    image.fill(QColor(color))
    assert image.save(str(path), "PNG")


@pytest.fixture
def pictures(tmp_path: Path) -> Path:
    folder = tmp_path / "pictures"
    folder.mkdir()
    _png(folder / "wide.png", 800, 400, "red")
    _png(folder / "tall.png", 300, 900, "blue")
    _png(folder / "tiny.png", 40, 30, "green")
    (folder / "notes.txt").write_text("not an image")
    (folder / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    return folder


def test_scales_each_image_to_fit_and_reports_progress(pictures: Path, tmp_path: Path) -> None:
    (pictures / "broken.png").unlink()
    out = tmp_path / "thumbs"
    ctx, rec = make_ctx([str(pictures), str(out), "128"])
    result = ThumbnailsWorker().run(ctx)
    assert result.outcome is Outcome.SUCCEEDED, rec.text
    sizes = {p.name: (QImage(str(p)).width(), QImage(str(p)).height()) for p in out.iterdir()}
    assert sizes == {"wide.png": (128, 64), "tall.png": (42, 128), "tiny.png": (40, 30)}
    assert QImage(str(out / "wide.png")).pixelColor(5, 5) == QColor("red")
    assert [f for f, _ in rec.progress] == [0.0, 1 / 3, 2 / 3, 1.0]
    assert result.output == {"path": str(out), "images": 3, "kept": 0, "failed": 0}
    # A second run keeps thumbnails newer than their images.
    again = ThumbnailsWorker().run(make_ctx([str(pictures), str(out), "128"])[0])
    assert again.output is not None and again.output["kept"] == 3


def test_an_undecodable_image_fails_the_run_after_the_others(pictures: Path, tmp_path: Path) -> None:
    ctx, rec = make_ctx([str(pictures), str(tmp_path / "thumbs")])
    result = ThumbnailsWorker().run(ctx)
    assert result.outcome is Outcome.FAILED
    assert result.error is not None and result.error.startswith("broken.png")
    assert len(list((tmp_path / "thumbs").glob("*.png"))) == 3


def test_cancel_between_images(pictures: Path, tmp_path: Path) -> None:
    def cancel_at_second(ctx, fraction, message):  # type: ignore[no-untyped-def]
        if fraction and fraction > 0.2:
            ctx.cancel(StopReason.CANCELLED_BY_USER)

    ctx, _ = make_ctx([str(pictures), str(tmp_path / "thumbs")], on_progress=cancel_at_second)
    assert ThumbnailsWorker().run(ctx).outcome is Outcome.CANCELLED
    assert len(list((tmp_path / "thumbs").iterdir())) <= 2


def test_works_in_a_headless_process_after_register_gui_workers(pictures: Path, tmp_path: Path) -> None:
    (pictures / "broken.png").unlink()
    code = (
        "import sys\n"
        "from PySide6.QtCore import QCoreApplication\n"
        "app = QCoreApplication([])\n"
        "from engine import workers\n"
        "from engine.workers.base import WorkContext\n"
        "from ui.workers import register_gui_workers\n"
        "register_gui_workers(); register_gui_workers()\n"
        "assert 'PySide6.QtGui' not in sys.modules, 'registering imported QtGui'\n"
        "w = workers.get('thumbnails')\n"
        "r = w.run(WorkContext(task_id='t', attempt=1, args=(sys.argv[1], sys.argv[2], '64')))\n"
        "print(r.outcome, r.output['images'], 'QGuiApplication' in dir(sys.modules.get('PySide6.QtGui')))\n"
    )
    env = {"QT_QPA_PLATFORM": "minimal", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-c", code, str(pictures), str(tmp_path / "t")],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[:2] == ["succeeded", "3"]
