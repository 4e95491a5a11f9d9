"""Regenerate the translation catalogues (``make translations``).

1. ``pyside6-lupdate`` extracts every tr()/translate()/QT_TRANSLATE_NOOP text of the
   window's sources into resources/translations/workdeck_en.ts (English is the source).
2. ``workdeck_xx.ts`` is a pseudo-translation made from it: each text in brackets, so a
   person (and tests/ui/test_i18n.py) sees at once which strings skip the translator.
3. ``pyside6-lrelease`` compiles both into the .qm files the window loads (ui/i18n.py).

Locations are left out of the .ts files: line numbers would change with every edit of
the sources and make merges conflict for no translator's benefit.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "resources" / "translations"
SOURCE_TS = OUT / "workdeck_en.ts"
PSEUDO_TS = OUT / "workdeck_xx.ts"
#: The engine module whose texts the window shows (marked with QT_TRANSLATE_NOOP).
ENGINE_SOURCES = ("engine/classify.py",)


def sources() -> list[Path]:
    return sorted((ROOT / "ui").rglob("*.py")) + [ROOT / name for name in ENGINE_SOURCES]


def tool(name: str) -> str | None:
    """A Qt tool next to this Python (the venv's bin) or on PATH."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


def lupdate(ts: Path) -> None:
    exe = tool("pyside6-lupdate")
    if exe is None:
        raise SystemExit("pyside6-lupdate not found: install PySide6")
    files = [str(p.relative_to(ROOT)) for p in sources()]
    subprocess.run([exe, *files, "-ts", str(ts), "-locations", "none", "-no-obsolete", "-silent",
                    "-source-language", "en", "-target-language", "en"],
                   cwd=ROOT, check=True)


def messages(ts: Path) -> set[tuple[str, str]]:
    """(context, source text) of every message in a .ts file."""
    root = ET.parse(ts).getroot()
    return {(ctx.findtext("name", ""), msg.findtext("source", ""))
            for ctx in root.iter("context") for msg in ctx.iter("message")}


def pseudo(text: str) -> str:
    """"[text]", keeping placeholders ({n}, %1, %n) and markup intact."""
    return f"[{text}]"


def write_pseudo(source: Path, target: Path) -> None:
    tree = ET.parse(source)
    root = tree.getroot()
    root.set("language", "xx")
    for msg in root.iter("message"):
        translation = msg.find("translation")
        assert translation is not None
        translation.attrib.pop("type", None)
        text = pseudo(msg.findtext("source", ""))
        forms = translation.findall("numerusform")
        if forms:
            for form in forms:
                form.text = text
        else:
            translation.text = text
    body = ET.tostring(root, encoding="unicode")
    target.write_text('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n' + body + "\n", encoding="utf-8")


def lrelease(ts: Path) -> None:
    exe = tool("pyside6-lrelease")
    if exe is None:
        raise SystemExit("pyside6-lrelease not found: install PySide6")
    subprocess.run([exe, "-silent", str(ts), "-qm", str(ts.with_suffix(".qm"))], check=True)


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    # English is the source: its catalogue stays untranslated ("unfinished"), so the
    # source texts show; it exists for translators to start from.
    lupdate(SOURCE_TS)
    write_pseudo(SOURCE_TS, PSEUDO_TS)
    for ts in (SOURCE_TS, PSEUDO_TS):
        lrelease(ts)
    print(f"{len(messages(SOURCE_TS))} texts in {SOURCE_TS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
