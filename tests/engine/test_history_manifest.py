"""The manifest's retention keys: the same bounds as the command line, named by line and key."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from engine.manifest.model import ManifestError, parse
from engine.manifest.io import export_manifest
from engine.model import Kind, Schedule, State, Task, TaskSpec

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    tool = tmp_path / "tool"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    return {"HOME": str(tmp_path), "PATH": str(tmp_path), "TZ": "UTC"}


def test_retention_keys_compile_to_the_spec(env: dict[str, str]) -> None:
    manifest = parse('[tasks.a]\nrun = ["tool"]\nevery = "1m"\nkeep_runs = 500\nkeep_for = "90d"\n'
                     'output_limit = "4M"\n[tasks.b]\nrun = ["tool"]\noutput_limit = 65536\n', "m.toml", now=NOW, env=env)
    a, b = manifest.tasks["a"].spec, manifest.tasks["b"].spec
    assert (a.keep_runs, a.keep_for, a.output_limit) == (500, 90 * 86400.0, 4 << 20)
    assert (b.keep_runs, b.keep_for, b.output_limit) == (None, None, 65536)


@pytest.mark.parametrize(("line", "expected"), [
    ("keep_runs = -1", "m.toml:3: tasks.a.keep_runs: keep-runs must be between 0 and 1,000,000"),
    ("keep_runs = 5000000", "m.toml:3: tasks.a.keep_runs: keep-runs must be between 0 and 1,000,000"),
    ('keep_runs = "ten"', "m.toml:3: tasks.a.keep_runs: must be an integer"),
    ('keep_for = "-2d"', "m.toml:3: tasks.a.keep_for: malformed duration"),
    ('keep_for = "5000d"', "m.toml:3: tasks.a.keep_for: keep-for must be between 0s and 3660d"),
    ('output_limit = "2T"', "m.toml:3: tasks.a.output_limit: malformed size '2T'"),
    ("output_limit = 10", "m.toml:3: tasks.a.output_limit: output-limit must be between 4.0 KiB and 1.0 GiB"),
])
def test_bad_retention_keys_are_named_by_line_and_key(env: dict[str, str], line: str, expected: str) -> None:
    with pytest.raises(ManifestError) as caught:
        parse(f'[tasks.a]\nrun = ["tool"]\n{line}\n', "m.toml", now=NOW, env=env)
    (problem,) = caught.value.problems
    assert str(problem).startswith(expected), str(problem)


def test_export_keeps_a_tasks_retention(env: dict[str, str]) -> None:
    spec = TaskSpec(worker="shell", args=("tool",), kind=Kind.DEFERRED, schedule=Schedule(every=60.0),
                    keep_runs=7, keep_for=0.0, output_limit=8192)
    text = export_manifest([Task(id="abc", spec=spec, state=State.ENQUEUED, created_at=NOW)], NOW)
    (back,) = parse(text, "m.toml", now=NOW, env=env).tasks.values()
    assert (back.spec.keep_runs, back.spec.keep_for, back.spec.output_limit) == (7, 0.0, 8192)
