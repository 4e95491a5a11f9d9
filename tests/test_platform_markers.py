"""The ``posix`` and ``linux`` markers (tests/conftest.py): skipped elsewhere with their
reason, never skipped where they belong. The platform is patched for the hook's call
only; CI's Windows and macOS runners are where it happens for real."""

from __future__ import annotations

import os
import sys

import pytest

from tests import conftest


class _Item:
    def __init__(self, *markers: str) -> None:
        self.markers = set(markers)
        self.added: list[pytest.MarkDecorator] = []

    def get_closest_marker(self, name: str) -> object | None:
        return name if name in self.markers else None

    def add_marker(self, marker: pytest.MarkDecorator) -> None:
        self.added.append(marker)


def _skip_reasons(items: list[_Item]) -> list[list[str]]:
    conftest.pytest_collection_modifyitems(None, items)  # type: ignore[arg-type]
    return [[m.kwargs["reason"] for m in item.added if m.name == "skip"] for item in items]


@pytest.mark.parametrize(
    ("platform", "os_name", "skipped"),
    [("linux", "posix", [False, False, False]), ("darwin", "posix", [False, False, True]),
     ("win32", "nt", [False, True, True])],
)
def test_markers_skip_only_elsewhere_and_say_why(monkeypatch: pytest.MonkeyPatch, platform: str, os_name: str,
                                                 skipped: list[bool]) -> None:
    items = [_Item(), _Item("posix"), _Item("linux")]
    monkeypatch.setattr(sys, "platform", platform)
    monkeypatch.setattr(os, "name", os_name)
    reasons = _skip_reasons(items)
    monkeypatch.undo()
    assert [bool(r) for r in reasons] == skipped
    for item, item_reasons in zip(items, reasons, strict=True):
        for reason in item_reasons:
            assert reason.startswith("needs ") and platform in reason
            assert any(reason.startswith(conftest.PLATFORM_MARKERS[m][1]) for m in item.markers)


def test_the_markers_are_registered_with_their_reason(pytestconfig: pytest.Config) -> None:
    lines = pytestconfig.getini("markers")
    for name, (_, reason) in conftest.PLATFORM_MARKERS.items():
        assert f"{name}: {reason}; skipped elsewhere" in lines
