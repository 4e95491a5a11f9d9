"""The window's language: Qt's translator for the user's locale, from the packaged .qm files.

Every string a person reads goes through ``tr()``/``QCoreApplication.translate``; the
English text in the source is the fallback, so a locale without a catalogue (or no
catalogue at all) reads English. ``WORKDECK_LANG`` (e.g. ``xx``, the bracketed
pseudo-translation) overrides the system's locale, to check the machinery by eye and in
tests. The catalogues are regenerated with ``make translations`` (tools/translations.py).
"""

from __future__ import annotations

import os

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from ui.resource_files import resource_path

#: Overrides QLocale.system(): a catalogue's suffix (``workdeck_<lang>.qm``).
LANG_ENV = "WORKDECK_LANG"
CATALOGUE = "workdeck"


def translations_dir() -> str:
    return str(resource_path("translations"))


def install_qt_translator(app: QCoreApplication, locale: QLocale) -> QTranslator | None:
    """Qt's own texts (OK, Cancel, a dock's Float button) in the same language, from the
    catalogues PySide6 ships; None where it has none for the locale."""
    translator = QTranslator(app)
    if not translator.load(locale, "qtbase", "_", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        translator.deleteLater()
        return None
    app.installTranslator(translator)
    return translator


def install_translator(app: QCoreApplication, lang: str | None = None) -> QTranslator | None:
    """Load and install the catalogue for ``lang`` (else ``$WORKDECK_LANG``, else the
    system's locale). Returns the installed translator (owned by ``app``), or None when
    no catalogue matches: the English source texts are shown then."""
    lang = lang or os.environ.get(LANG_ENV) or None
    translator = QTranslator(app)
    folder = translations_dir()
    if lang:
        # By name, not through QLocale: a pseudo-locale ("xx") is no locale Qt knows.
        loaded = translator.load(f"{CATALOGUE}_{lang}", folder)
        locale = QLocale(lang)
    else:
        locale = QLocale.system()
        loaded = translator.load(locale, CATALOGUE, "_", folder)
    if not loaded:
        translator.deleteLater()
        return None
    app.installTranslator(translator)
    # Qt's own buttons follow only when Workdeck speaks the language too: a German OK
    # beside English texts reads worse than all English.
    if locale.language() != QLocale.Language.C:
        install_qt_translator(app, locale)
    return translator
