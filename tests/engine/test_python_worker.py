"""The python worker: import and call ``module:function(ctx)``."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from engine.errors import BadSpecError
from engine.model import Outcome, StopReason
from engine.workers.base import WorkContext, WorkResult
from engine.workers.python import PythonWorker
from tests.engine import pyworker_targets

T = "tests.engine.pyworker_targets"


def _ctx(target: str, logs: list[str], progress: list[Any] | None = None, **input: Any) -> WorkContext:
    return WorkContext(
        task_id="p1",
        attempt=1,
        args=(target,),
        input=input,
        on_log=logs.append,
        on_progress=lambda f, m: (progress if progress is not None else []).append((f, m)),
    )


@pytest.mark.parametrize("args", [(), ("",), ("module",), ("module:",), (":f",), ("a b:c",), ("m:f", "x"), ("1m:f",)])
def test_validate_refuses_what_is_not_module_colon_function(args: tuple[str, ...]) -> None:
    with pytest.raises(BadSpecError, match="module:function"):
        PythonWorker().validate(args)


def test_validate_accepts_dotted_modules_and_qualified_names() -> None:
    PythonWorker().validate(("package.module:function",))
    PythonWorker().validate(("package.module:Class.method",))


def test_progress_log_and_output_data() -> None:
    logs: list[str] = []
    progress: list[Any] = []
    result = PythonWorker().run(_ctx(f"{T}:double", logs, progress, x=21))
    assert result == WorkResult(Outcome.SUCCEEDED, output={"doubled": 42})
    assert progress == [(0.5, "half way")]
    assert logs == ["hello from python\n"]


def test_none_and_qualified_names() -> None:
    assert PythonWorker().run(_ctx(f"{T}:nothing", [])) == WorkResult(Outcome.SUCCEEDED)
    assert PythonWorker().run(_ctx(f"{T}:Holder.method", [])).output == {"ok": True}


def test_an_exception_fails_with_the_traceback_in_the_log_and_the_last_line_as_error() -> None:
    logs: list[str] = []
    result = PythonWorker().run(_ctx(f"{T}:divide_by_zero", logs))
    assert result.outcome is Outcome.FAILED
    assert result.error == "ZeroDivisionError: division by zero"
    log = "".join(logs)
    assert log.startswith("Traceback (most recent call last):")
    assert "in divide_by_zero" in log


@pytest.mark.parametrize(
    ("target", "error"),
    [
        ("workdeck_no_such_module:f", "ModuleNotFoundError: No module named 'workdeck_no_such_module'"),
        (f"{T}:no_such_function", "AttributeError: module 'tests.engine.pyworker_targets' has no attribute"),
        (f"{T}:not_callable", "TypeError: tests.engine.pyworker_targets:not_callable is a int, not a function"),
    ],
)
def test_a_target_that_cannot_be_called_fails_clearly(target: str, error: str) -> None:
    logs: list[str] = []
    result = PythonWorker().run(_ctx(target, logs))
    assert result.outcome is Outcome.FAILED
    assert result.error is not None and result.error.startswith(error)
    assert "Traceback" in "".join(logs)


@pytest.mark.parametrize(
    ("target", "error"),
    [
        ("returns_a_list", "returned list; a python task returns a dict or None"),
        ("returns_too_much", "over the 65536-byte limit"),
        ("returns_a_set", "output data is not JSON"),
    ],
)
def test_output_that_is_not_a_small_json_object_fails(target: str, error: str) -> None:
    logs: list[str] = []
    result = PythonWorker().run(_ctx(f"{T}:{target}", logs))
    assert result.outcome is Outcome.FAILED
    assert result.error is not None and error in result.error
    assert error in "".join(logs)


def test_cancellation_is_cooperative_and_ends_cancelled() -> None:
    pyworker_targets.started.clear()
    ctx = _ctx(f"{T}:waits_for_cancel", [])
    results: list[WorkResult] = []
    thread = threading.Thread(target=lambda: results.append(PythonWorker().run(ctx)))
    thread.start()
    assert pyworker_targets.started.wait(10)
    ctx.cancel(StopReason.CANCELLED_BY_USER)
    thread.join(10)
    assert not thread.is_alive()
    # It returned data, but a cancelled run is cancelled whatever it returns.
    assert results == [WorkResult(Outcome.CANCELLED)]
