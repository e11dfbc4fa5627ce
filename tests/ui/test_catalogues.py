"""The French and Chinese catalogues are complete, compiled and in step with the code.

Both locale/<lang>/LC_MESSAGES/django.po and the compiled django.mo are committed, so running the
app needs no gettext; `make messages` refreshes and compiles them. These tests fail when a .mo
says something other than its .po, when an entry is untranslated or fuzzy, when a translation
drops or invents a placeholder, or (with gettext installed) when the code holds a string the
catalogues do not have yet."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils import translation

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
LANGUAGES = ("fr", "zh_Hans")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")


def catalogue(language: str):
    with (LOCALE_DIR / language / "LC_MESSAGES" / "django.po").open("rb") as handle:
        return read_po(handle, locale=language)


def entries(language: str):
    return [message for message in catalogue(language) if message.id]


def translated(language: str):
    """Entries with every form translated and not fuzzy (the others fail the first test)."""
    done = []
    for message in entries(language):
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(strings) and not message.fuzzy:
            done.append(message)
    return done


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_is_translated_and_none_is_fuzzy(language):
    left = []
    for message in entries(language):
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            left.append(message.id)
    assert left == [], f"{language}: translate these (then `make messages`): {left}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_every_placeholder(language):
    wrong = []
    for message in translated(language):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = sorted(PLACEHOLDER.findall(ids[-1]))
        for string in strings:
            if sorted(PLACEHOLDER.findall(string)) != expected:
                wrong.append((ids[0], string))
    assert wrong == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogue_says_what_the_po_says(language):
    """Each .po entry reads back from the committed .mo unchanged: a .po edited without
    `make messages` (or a .mo left behind) fails here."""
    with (LOCALE_DIR / language / "LC_MESSAGES" / "django.mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    differ = []
    for message in translated(language):
        if isinstance(message.id, tuple):
            singular, plural = message.id
            # Plural form 0 is read with n = 1, form 1 with n = 2 (French; Chinese has one form).
            for index, string in enumerate(message.string):
                if compiled.ngettext(singular, plural, 1 if index == 0 else 2) != string:
                    differ.append(singular)
        elif message.context:
            if compiled.pgettext(message.context, message.id) != message.string:
                differ.append(message.id)
        elif compiled.gettext(message.id) != message.string:
            differ.append(message.id)
    assert differ == [], f"{language}: run `make messages` to recompile: {differ[:10]}"


def test_django_serves_the_catalogues():
    with translation.override("fr"):
        assert translation.gettext("Eligible stock") == "Stock éligible"
        assert translation.gettext("Liquidation value") == "Valeur de liquidation"
        assert translation.gettext("Stock pledge with dispossession") == "Gage sur stocks avec dépossession"
    with translation.override("zh-hans"):
        assert translation.gettext("Eligible stock") == "合格库存"
        assert translation.gettext("Over-collateralisation") == "超额担保"
        assert translation.gettext("Borrowing base") == "借款基数"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (scripts/system-deps.sh installs it)")
def test_the_catalogues_hold_every_string_of_the_code(tmp_path):
    """makemessages, run on a copy of the project, finds no msgid the committed catalogues lack."""
    base = Path(settings.BASE_DIR)
    copy = tmp_path / "project"
    ignore = shutil.ignore_patterns(".venv", "var", "node_modules", "__pycache__", "*.pyc", ".git", "screenshots")
    shutil.copytree(base, copy, ignore=ignore, symlinks=True)
    command = [
        sys.executable,
        "manage.py",
        "makemessages",
        "-l",
        "fr",
        "-l",
        "zh_Hans",
        "--ignore=bench/*",
        "--ignore=tests/*",
        "--ignore=var/*",
    ]
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "PATH": "/usr/bin:/bin",
        "DATABASE_URL": "sqlite://:memory:",
    }
    subprocess.run(command, cwd=copy, env=env, check=True, capture_output=True, timeout=300)
    for language in LANGUAGES:
        fresh = {message.id if isinstance(message.id, str) else message.id[0] for message in _read(copy, language)}
        ours = {message.id if isinstance(message.id, str) else message.id[0] for message in entries(language)}
        assert sorted(fresh - ours) == [], f"{language}: new strings; run `make messages` and translate them"


def _read(project: Path, language: str):
    with (project / "locale" / language / "LC_MESSAGES" / "django.po").open("rb") as handle:
        return [message for message in read_po(handle) if message.id]
