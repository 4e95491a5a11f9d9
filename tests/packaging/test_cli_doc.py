"""docs/cli.md is the command line's contract: it names every command and option there is."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path

from ui.cli import build_parser

DOC = (Path(__file__).parents[2] / "docs" / "cli.md").read_text()


def _commands(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Iterator[
        tuple[tuple[str, ...], argparse.ArgumentParser]]:
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, (*path, name))


def test_every_command_is_documented() -> None:
    missing = [" ".join(path) for path, _ in _commands(build_parser())
               if path and f"workdeck {' '.join(path)}" not in DOC]
    assert not missing, f"document these commands in docs/cli.md: {missing}"


def test_every_option_is_documented() -> None:
    missing = []
    for path, parser in _commands(build_parser()):
        for action in parser._actions:
            for option in action.option_strings:
                if option.startswith("--") and option != "--help" and f"`{option}" not in DOC \
                        and f"[{option}" not in DOC and f"({option}" not in DOC and f" {option} " not in DOC:
                    missing.append(f"workdeck {' '.join(path)} {option}".replace("  ", " "))
    assert not missing, f"document these options in docs/cli.md: {missing}"
