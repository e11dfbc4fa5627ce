"""PDF rendering with WeasyPrint, fetching nothing but the app's own static files.

WeasyPrint's default fetcher follows any URL a document names: `file://`, remote hosts, `data:`.
With client text in a report (company, warehouse and line descriptions), one missed escape would
let a stock file read local files or call internal services (without a fetcher of our own, 8 of
12 hostile vectors we tried got through: tests/reports/test_safe_rendering.py). Two fences
therefore: Django autoescapes every client text in the templates, and
`SafeURLFetcher` answers only `static:<path>` URLs resolved inside STATIC_ROOT / STATICFILES_DIRS
plus the few exact URLs the renderer itself allows (the firm's logo), and refuses everything else.
"""

from __future__ import annotations

import datetime as dt
import logging
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from django.conf import settings
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import translation

from reports.context import presentation

log = logging.getLogger("stockpledge.reports")

STATIC_SCHEME = "static:"
LOGO_URL = "stockpledge:logo"
STATIC_TYPES = {".css", ".png", ".jpg", ".jpeg", ".gif", ".svg", ".woff", ".woff2", ".ttf", ".otf"}
LOGO_TYPES = {".png", ".jpg", ".jpeg", ".gif", ".svg"}
TEMPLATES = {
    "financing_report": "reports/pdf/financing_report.html",
    "borrowing_base_certificate": "reports/pdf/certificate.html",
}


class FetchRefused(ValueError):
    """The fetcher refused a URL (WeasyPrint logs it and leaves the resource out)."""


def static_roots() -> list[Path]:
    roots = [Path(p) for p in settings.STATICFILES_DIRS]
    if settings.STATIC_ROOT:
        roots.append(Path(settings.STATIC_ROOT))
    return [root.resolve() for root in roots]


def resolve_static(relative: str) -> Path | None:
    """The file `relative` names inside one of the static roots, or None (no `..`, no absolute
    path, no symlink leading out, only asset types)."""
    path = unquote(relative.split("?", 1)[0].split("#", 1)[0])
    if not path or "\x00" in path or "\\" in path or path.startswith("/"):
        return None
    if any(part in ("..", ".") for part in path.split("/")):
        return None
    if Path(path).suffix.lower() not in STATIC_TYPES:
        return None
    for root in static_roots():
        candidate = (root / path).resolve()
        if candidate.is_relative_to(root) and candidate.is_file():
            return candidate
    return None


class SafeURLFetcher:
    """Serves `static:<path>` from the static roots and the exact URLs in `allowed`; refuses
    every other URL (file, http(s), ftp, data, relative…) and records it in `refused`."""

    def __init__(self, *, allowed: dict[str, tuple[bytes, str]] | None = None) -> None:
        self.allowed = dict(allowed or {})
        self.served: list[str] = []
        self.refused: list[str] = []
        self._fail_on_errors = False  # read by weasyprint.urls.fetch: a refusal is not fatal

    def fetch(self, url: str, headers: Any = None) -> Any:
        from weasyprint.urls import URLFetcherResponse

        if url in self.allowed:
            body, mime = self.allowed[url]
            self.served.append(url)
            return URLFetcherResponse(url, body, {"Content-Type": mime})
        if url.startswith(STATIC_SCHEME):
            path = resolve_static(url[len(STATIC_SCHEME) :])
            if path is not None:
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                self.served.append(url)
                return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": mime})
        self.refused.append(url)
        log.warning("pdf fetch refused", extra={"object": url[:200], "outcome": "denied"})
        raise FetchRefused(f"The report renderer fetches no external resource: {url[:200]}")

    # WeasyPrint calls the fetcher object itself in some places.
    def __call__(self, url: str) -> Any:
        return self.fetch(url)


def _logo(name: str) -> dict[str, tuple[bytes, str]]:
    """The firm's logo from the default storage, as the one extra URL the fetcher serves."""
    suffix = Path(name).suffix.lower()
    if not name or suffix not in LOGO_TYPES:
        return {}
    try:
        with default_storage.open(name, "rb") as handle:
            body = handle.read(5 * 1024 * 1024 + 1)
    except OSError:
        return {}
    if len(body) > 5 * 1024 * 1024:
        return {}
    return {LOGO_URL: (body, mimetypes.guess_type(name)[0] or "image/png")}


def _waterfall_svg(frozen: dict[str, Any]) -> str:
    """The dossier's waterfall chart (valuation.workspace.charts), in the active language."""
    try:
        from valuation.workspace import charts
    except ImportError:  # the chart module ships with the dossier pages
        return ""
    result = frozen.get("result") or {}
    if not result.get("eligibility"):
        return ""
    bars = charts.waterfall_bars(result)
    return charts.waterfall_svg(
        bars, currency=frozen.get("currency") or "EUR", title=str(translation.gettext("From book value to financing"))
    )


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def report_html(frozen: dict[str, Any], *, extra: dict[str, Any] | None = None) -> str:
    """The report's HTML in its own language (client texts autoescaped by the templates)."""
    language = frozen.get("language") or settings.LANGUAGE_CODE
    template = TEMPLATES.get(frozen.get("kind", ""), TEMPLATES["financing_report"])
    with translation.override(language):
        context = {
            "c": frozen,
            "p": presentation(frozen),
            "currency": frozen.get("currency") or "EUR",
            "issued_on": _date(frozen.get("issued_on")),
            "as_of": _date(frozen.get("as_of")),
            "branding": frozen.get("branding") or {},
            "logo_url": LOGO_URL,
            "chart_svg": _waterfall_svg(frozen) if frozen.get("kind") != "borrowing_base_certificate" else "",
            "language": language,
            "cjk": language.startswith("zh"),
            **(extra or {}),
        }
        return render_to_string(template, context)


def write_pdf(html: str, *, fetcher: SafeURLFetcher) -> bytes:
    from weasyprint import HTML

    return HTML(string=html, base_url=None, url_fetcher=fetcher).write_pdf()


def render_report_pdf(frozen: dict[str, Any], *, extra: dict[str, Any] | None = None) -> bytes:
    """The PDF of a frozen report context."""
    branding = frozen.get("branding") or {}
    fetcher = SafeURLFetcher(allowed=_logo(branding.get("logo", "")))
    html = report_html(frozen, extra={"has_logo": bool(fetcher.allowed), **(extra or {})})
    return write_pdf(html, fetcher=fetcher)
