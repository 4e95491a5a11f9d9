"""The copy worker on real folders: progress by bytes, quick check, mirror, interruption safety."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from engine.errors import BadSpecError
from engine.model import Outcome, StopReason
from engine.workers import copy as copy_module
from engine.workers.copy import TEMP_SUFFIX, CopyWorker
from tests.engine.worker_helpers import make_ctx


def _tree(root: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def _contents(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


@pytest.fixture
def src(tmp_path: Path) -> Path:
    root = tmp_path / "src"
    _tree(root, {"a.txt": b"alpha", "sub/b.bin": os.urandom(300_000), "sub/deeper/c.txt": b"c" * 10})
    (root / "link").symlink_to("a.txt")
    return root


def test_copies_a_folder_with_progress_by_bytes(src: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    ctx, rec = make_ctx([str(src), str(dest)])
    result = CopyWorker().run(ctx)
    assert result.outcome is Outcome.SUCCEEDED, rec.text
    assert _contents(dest) == _contents(src)
    assert os.readlink(dest / "link") == "a.txt"
    assert result.output == {"path": str(dest), "files": 4, "bytes": 300_015, "deleted": 0}
    assert rec.progress[-1][0] == 1.0
    assert (dest / "sub/b.bin").stat().st_mtime_ns == (src / "sub/b.bin").stat().st_mtime_ns


def test_a_second_run_copies_only_what_changed(src: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    CopyWorker().run(make_ctx([str(src), str(dest)])[0])
    (src / "a.txt").write_bytes(b"ALPHA!")
    ctx, rec = make_ctx([str(src), str(dest)])
    result = CopyWorker().run(ctx)
    assert result.output is not None and result.output["files"] == 1 and result.output["bytes"] == 6
    assert (dest / "a.txt").read_bytes() == b"ALPHA!"


def test_mirror_deletes_what_the_source_lacks_and_copy_keeps_it(src: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    _tree(dest, {"extra.txt": b"x", "old/stale.txt": b"y"})
    CopyWorker().run(make_ctx([str(src), str(dest)])[0])
    assert (dest / "extra.txt").exists()
    ctx, rec = make_ctx([str(src), str(dest), "mirror"])
    result = CopyWorker().run(ctx)
    assert result.outcome is Outcome.SUCCEEDED
    assert _contents(dest) == _contents(src)
    assert not (dest / "old").exists()
    assert result.output is not None and result.output["deleted"] == 2


def test_a_single_file_into_a_folder(src: Path, tmp_path: Path) -> None:
    dest = tmp_path / "dest"
    dest.mkdir()
    assert CopyWorker().run(make_ctx([str(src / "a.txt"), str(dest)])[0]).outcome is Outcome.SUCCEEDED
    assert (dest / "a.txt").read_bytes() == b"alpha"


def test_cancel_mid_file_leaves_no_partial_file_under_a_final_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(copy_module, "PROGRESS_INTERVAL", 0.0)
    monkeypatch.setattr(copy_module, "CHUNK", 64 * 1024)
    src, dest = tmp_path / "src", tmp_path / "dest"
    big = os.urandom(2_000_000)
    _tree(src, {"1-small.txt": b"done first", "2-big.bin": big, "3-later.txt": b"never"})
    _tree(dest, {"2-big.bin": b"the old version, complete"})

    def cancel_inside_big(ctx, fraction, message):  # type: ignore[no-untyped-def]
        if message.startswith("2-big.bin") and fraction is not None and fraction > 0.3:
            ctx.cancel(StopReason.CANCELLED_BY_USER)

    ctx, rec = make_ctx([str(src), str(dest)], on_progress=cancel_inside_big)
    result = CopyWorker().run(ctx)
    assert result.outcome is Outcome.CANCELLED
    # Every file under its final name is complete: a new copy or the untouched old one.
    assert (dest / "1-small.txt").read_bytes() == b"done first"
    assert (dest / "2-big.bin").read_bytes() == b"the old version, complete"
    assert not (dest / "3-later.txt").exists()
    assert not [p for p in dest.iterdir() if p.name.endswith(TEMP_SUFFIX)]

    # A crash (no cleanup) leaves a temporary file; the next run removes it and finishes.
    (dest / f".2-big.bin{TEMP_SUFFIX}").write_bytes(big[:1000])
    result = CopyWorker().run(make_ctx([str(src), str(dest)])[0])
    assert result.outcome is Outcome.SUCCEEDED
    assert _contents(dest) == _contents(src)


def test_unreadable_file_fails_the_run_after_copying_the_rest(tmp_path: Path) -> None:
    src, dest = tmp_path / "src", tmp_path / "dest"
    _tree(src, {"ok.txt": b"ok"})
    (src / "dangling").symlink_to("nowhere")  # copied as a link: fine
    (src / "dir-as-file").mkdir()
    _tree(dest, {})
    (dest / "ok.txt").mkdir(parents=True)  # a folder where a file must go: cannot replace
    ctx, rec = make_ctx([str(src), str(dest)])
    result = CopyWorker().run(ctx)
    assert result.outcome is Outcome.FAILED
    assert result.error is not None and "ok.txt" in result.error
    assert os.readlink(dest / "dangling") == "nowhere"


def test_validation_refuses_overlapping_folders(tmp_path: Path) -> None:
    worker = CopyWorker()
    with pytest.raises(BadSpecError, match="overlap"):
        worker.validate([str(tmp_path), str(tmp_path / "inside")])
    with pytest.raises(BadSpecError, match="mirror"):
        worker.validate([str(tmp_path / "a"), str(tmp_path / "b"), "sync"])
    with pytest.raises(BadSpecError):
        worker.validate([str(tmp_path)])
