"""A command's exit status in words: signals on POSIX, NTSTATUS codes on Windows.

Windows cannot run here; its exit statuses are plain numbers, so the seam is the
function that words them (engine.platforms.exit_status) and the run's result that uses
it with ``sys.platform`` patched.
"""

from __future__ import annotations

import sys

import pytest

from engine.model import Outcome
from engine.platforms import exit_status
from engine.workers.base import WorkContext
from engine.workers.shell_threads import ThreadSupervisor


@pytest.mark.parametrize(
    ("returncode", "words"),
    [
        (3221225786, "stopped by Ctrl+C or Ctrl+Break, or its console was closed (exit status 0xC000013A, "
                     "STATUS_CONTROL_C_EXIT)"),
        (-1073741510, "stopped by Ctrl+C or Ctrl+Break, or its console was closed (exit status 0xC000013A, "
                      "STATUS_CONTROL_C_EXIT)"),  # the same DWORD read as signed
        (0xC0000005, "crashed: it accessed memory it does not own (exit status 0xC0000005, STATUS_ACCESS_VIOLATION)"),
        (0xC0000135, "could not start: a DLL it needs was not found (exit status 0xC0000135, STATUS_DLL_NOT_FOUND)"),
        (0xC0001234, "ended with Windows error status 0xC0001234"),  # not in the table: hex, as documented
        (3, "exited with status 3"),
        (1, "exited with status 1"),  # what TerminateJobObject (our own kill) gives
    ],
)
def test_windows_statuses_in_words(returncode: int, words: str) -> None:
    assert exit_status.describe(returncode, "win32") == words


@pytest.mark.posix
@pytest.mark.parametrize("platform", ["linux", "darwin"])
def test_posix_statuses_are_signals_or_numbers(platform: str) -> None:
    assert exit_status.describe(-9, platform) == "killed by signal SIGKILL"
    assert exit_status.describe(-15, platform) == "killed by signal SIGTERM"
    assert exit_status.describe(-200, platform) == "killed by signal 200"  # no such signal
    assert exit_status.describe(3, platform) == "exited with status 3"
    assert exit_status.describe(3221225786, platform) == "exited with status 3221225786"  # only Windows' NTSTATUS


def test_every_table_entry_is_an_error_or_warning_status_with_its_name() -> None:
    for code, (name, words) in exit_status.NTSTATUS.items():
        assert code & 0x80000000 and name.startswith("STATUS_") and words


def test_a_run_s_reason_on_windows_names_the_ntstatus(monkeypatch: pytest.MonkeyPatch) -> None:
    # The run's result as the Windows supervisor makes it: only its ctx is read.
    supervisor = ThreadSupervisor.__new__(ThreadSupervisor)
    supervisor.ctx = WorkContext(task_id="t", attempt=1, args=("x",), on_log=lambda text: None)
    monkeypatch.setattr(sys, "platform", "win32")
    result = supervisor._result(3221225786)
    monkeypatch.undo()
    assert result.outcome is Outcome.FAILED and result.exit_code == 3221225786
    assert result.error == exit_status.describe(3221225786, "win32")
    assert "Ctrl+C" in (result.error or "")
