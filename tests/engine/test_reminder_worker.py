"""The reminder worker and the registry of built-in workers."""

from __future__ import annotations

import re

import pytest

from engine import workers
from engine.errors import BadSpecError
from engine.immediate import run_worker
from engine.model import Outcome
from engine.workers.base import WorkContext, WorkResult
from engine.workers.reminder import ReminderWorker


@pytest.mark.parametrize("args", [(), ("",), ("   ",), ("a", "b")])
def test_validate_refuses_an_empty_message(args: tuple[str, ...]) -> None:
    with pytest.raises(BadSpecError, match="needs a message"):
        ReminderWorker().validate(args)


def test_run_notifies_and_succeeds() -> None:
    messages: list[str] = []
    ctx = WorkContext(task_id="r1", attempt=1, args=("stand up",), on_notify=messages.append)
    assert ReminderWorker().run(ctx) == WorkResult(Outcome.SUCCEEDED)
    assert messages == ["stand up"]
    assert ReminderWorker.on_pool is False


def test_the_builtin_workers_are_registered() -> None:
    assert {"shell", "python", "reminder"} <= set(workers.names())
    assert workers.get("reminder").on_pool is False
    assert workers.get("shell").on_pool is True
    with pytest.raises(BadSpecError, match="unknown worker 'nope'"):
        workers.get("nope")


@pytest.mark.parametrize(("name", "args"), [("shell", ()), ("python", ("nope",)), ("reminder", ("",))])
def test_run_with_bad_args_fails_cleanly_instead_of_raising(name: str, args: tuple[str, ...]) -> None:
    """A stored spec that no longer validates fails its run with the worker's own
    message (the runner checks every worker's args before running it)."""
    logged: list[str] = []
    ctx = WorkContext(task_id="x", attempt=1, args=args, on_log=logged.append)
    result = run_worker(workers.get(name), ctx)
    assert result.outcome is Outcome.FAILED
    assert result.error is not None and "crashed" not in result.error
    with pytest.raises(BadSpecError, match=re.escape(result.error)):
        workers.get(name).validate(args)
    assert logged == [result.error + "\n"]


def test_a_lazily_registered_worker_is_built_when_first_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """register_lazy: the name is known at once (registered, names, the unknown-worker
    message), the loader runs at the first get and only then (issue 14: serve's start
    does not import QtGui for thumbnails)."""
    monkeypatch.setattr(workers, "_REGISTRY", dict(workers._REGISTRY))
    monkeypatch.setattr(workers, "_LAZY", {})
    loads: list[str] = []

    class Later(ReminderWorker):
        name = "later"

    def load() -> ReminderWorker:
        loads.append("later")
        return Later()

    workers.register_lazy("later", load)
    assert workers.registered("later") and "later" in workers.names()
    assert loads == []
    with pytest.raises(BadSpecError, match=r"known: .*later"):
        workers.get("nope")
    with pytest.raises(ValueError, match="registered twice"):
        workers.register_lazy("later", load)
    with pytest.raises(ValueError, match="registered twice"):
        workers.register(Later())
    first = workers.get("later")
    assert isinstance(first, Later) and workers.get("later") is first
    assert loads == ["later"]


def test_a_lazy_loader_must_make_the_worker_it_was_registered_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "_REGISTRY", dict(workers._REGISTRY))
    monkeypatch.setattr(workers, "_LAZY", {})
    workers.register_lazy("other", ReminderWorker)
    with pytest.raises(ValueError, match="made 'reminder'"):
        workers.get("other")
