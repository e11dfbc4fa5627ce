"""The site parts of the upload page and the dossier: the run's site flags (undeclared, uninsured,
dispossession impossible) and, for advisors, an "accept this site" form per undeclared site
(the acceptance itself is valuation/pipeline/sites.py)."""

from __future__ import annotations

from typing import Any

from valuation.models import StockUpload, UploadStatus
from valuation.pipeline.sites import undeclared_sites


def site_context(user: Any, upload: StockUpload | None) -> dict[str, object]:
    """The undeclared sites of ``upload`` and, for advisors, an "accept this site" form for each
    (the upload page and the dossier both show them)."""
    from valuation.forms import AcceptSiteForm

    if upload is None or not getattr(user, "is_advisor", False) or upload.status != UploadStatus.ACCEPTED:
        return {"undeclared_sites": []}
    found = undeclared_sites(upload)
    return {
        "undeclared_sites": [
            (site, AcceptSiteForm(initial={"code": site.code, "name": site.code}, prefix=f"site-{i}"))
            for i, site in enumerate(found)
        ],
        "site_upload": upload,
    }


# The engine's site warnings (valuation/engine/sites.py): the dossier puts them at the top.
SITE_WARNING_PREFIXES = ("stock at undeclared site ", "stock at uninsured site ", "pledge with dispossession: ")


def site_flags(result: dict[str, Any] | None, *, currency: str) -> list[str]:
    """The run's site flags (undeclared, uninsured, dispossession impossible) in the reader's
    language, each naming the site, its line count and book value."""
    from borrowers.common.labels import warning_text

    warnings = (result or {}).get("warnings") or []
    return [warning_text(w, currency=currency) for w in warnings if str(w).startswith(SITE_WARNING_PREFIXES)]


def dossier_site_context(user: Any, facility: Any, run: Any) -> dict[str, object]:
    """The dossier's site parts: the run's site flags, the undeclared sites of its stock file
    with "accept this site" for advisors, and the facility's sites where dispossession is
    impossible (shown even before any valuation)."""
    context: dict[str, object] = {"dispossession_sites": facility.dispossession_impossible_sites}
    if run is None or run.status != "done":
        return context | {"undeclared_sites": [], "site_flags": []}
    currency = run.currency or facility.currency or "EUR"
    return context | {"site_flags": site_flags(run.result, currency=currency)} | site_context(user, run.upload)
