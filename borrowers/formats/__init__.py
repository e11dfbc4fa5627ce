"""Django's own date layouts per language (FORMAT_MODULE_PATH), matching borrowers/common/formatting.py,
so `{{ value|date }}`, `{{ value }}` and `{{ value|day }}` agree: fr 31/12/2026, en 31 Dec 2026,
zh-hans 2026年12月31日. Only what differs from Django's locale files is set here."""
