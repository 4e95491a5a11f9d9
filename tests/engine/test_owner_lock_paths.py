"""The runtime folder the command line finds the owner's socket in is platformdirs' own."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import platformdirs
import pytest

from engine.owner import lock as owner_lock


def _platformdirs_runtime_dir() -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return Path(platformdirs.user_runtime_dir("workdeck"))


@pytest.mark.posix
@pytest.mark.parametrize("mode", [0o700, 0o755])
def test_the_runtime_folder_is_platformdirs_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: int) -> None:
    xdg = tmp_path / "run"
    xdg.mkdir()
    xdg.chmod(mode)  # 0755 is not what the XDG spec asks for: platformdirs falls back, and so do we
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(xdg))
    fast = owner_lock._xdg_runtime_dir()
    assert (fast is not None) == (mode == 0o700)
    assert owner_lock.runtime_dir() == _platformdirs_runtime_dir()
    assert os.stat(owner_lock.runtime_dir()).st_mode & 0o777 == 0o700
