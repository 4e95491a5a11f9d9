"""The notify worker: a message as a task step, filled from the chain's data."""

from __future__ import annotations

import pytest

from engine.errors import BadSpecError
from engine.model import Outcome
from engine.workers.notify import NotifyWorker, fill
from tests.engine.worker_helpers import make_ctx


def test_emits_the_message_filled_from_the_input() -> None:
    ctx, rec = make_ctx(["saved {path} ({bytes} bytes), {missing} stays"], {"path": "/tmp/x.iso", "bytes": 5})
    result = NotifyWorker().run(ctx)
    assert result.outcome is Outcome.SUCCEEDED
    assert rec.notes == ["saved /tmp/x.iso (5 bytes), {missing} stays"]
    assert result.output == {"message": rec.notes[0]}


def test_only_plain_names_are_filled() -> None:
    assert fill("{path.__class__} {0} {path}", {"path": "p"}) == "{path.__class__} {0} p"


def test_needs_a_message() -> None:
    with pytest.raises(BadSpecError, match="message"):
        NotifyWorker().validate(["  "])
    assert NotifyWorker.on_pool is False
