"""Tidy the catalogues after `makemessages`, before `compilemessages` (run by `make messages`).

xgettext marks any msgid holding "%" as python-format, so "selling costs (% of resale)" — a label
never %-formatted — is read as holding a "% o" directive, and msgfmt then refuses a translation
that writes "%" its own way (Chinese: "（占转售价的 %）"). Such entries are flagged
no-python-format instead. Then each catalogue's header is set and what is still untranslated or
fuzzy is listed, so the translator knows what is left (tests/ui/test_catalogues.py fails on it).
Entries no longer in the code (obsolete, "#~") are dropped.

    .venv/bin/python locale/tidy.py
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel import Locale
from babel.messages.pofile import read_po, write_po

LOCALE_DIR = Path(__file__).resolve().parent
LANGUAGES = {"fr": "French", "zh_Hans": "Simplified Chinese"}


def is_literal_percent(msgid: str) -> bool:
    """True when every % in msgid is a plain percent sign followed by a space ("(% of …)")."""
    return "%" in msgid and all(msgid[i + 1 : i + 2] == " " for i, c in enumerate(msgid) if c == "%")


def tidy(path: Path, language: str) -> list[str]:
    with path.open("rb") as handle:
        catalogue = read_po(handle, locale=language)
    left: list[str] = []
    for message in catalogue:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if all(is_literal_percent(i) for i in ids):
            message.flags.discard("python-format")
            message.flags.add("no-python-format")
            if all(strings):
                # msgmerge flags these fuzzy on every run because the flag above differs from what
                # xgettext extracts: same msgid, same translation, nothing for a translator to do.
                message.flags.discard("fuzzy")
                message.user_comments = [c for c in message.user_comments if not c.startswith("| msgid")]
        if message.fuzzy or not all(strings):
            left.append(ids[0])
    catalogue.fuzzy = False
    catalogue.locale = Locale.parse(language)
    catalogue.project, catalogue.version = "StockPledge", "1.0"
    catalogue.copyright_holder = "StockPledge"
    catalogue.msgid_bugs_address = ""
    catalogue.last_translator = "StockPledge <translations@stockpledge.local>"
    catalogue.language_team = LANGUAGES[language]
    catalogue.header_comment = f"# StockPledge: {LANGUAGES[language]} catalogue; `make messages` refreshes it."
    with path.open("wb") as handle:
        write_po(handle, catalogue, width=100, include_previous=False, ignore_obsolete=True)
    return left


def main() -> int:
    for language in LANGUAGES:
        left = tidy(LOCALE_DIR / language / "LC_MESSAGES" / "django.po", language)
        print(f"{language}: {len(left)} message(s) to translate")
        for msgid in left:
            print(f"    {msgid!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
