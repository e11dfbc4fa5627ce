"""Sites a stock file names that the client never declared, and the advisor's "accept this site".

Stock at an undeclared site is ineligible ("undeclared_site", ``valuation.engine.sites``) until an
advisor accepts the site. Accepting declares it with the fail-safe facts (leased without a
landlord waiver, not insured, no dispossession possible), which the advisor confirms or corrects in
the same form: a site nobody has looked at never raises financing on its own. The client's
facilities are then valued again from their stored lines, off the request.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from borrowers.common import audit
from borrowers.common.errors import DomainError
from borrowers.models import ClientCompany, Tenure, User, Warehouse
from valuation.models import StockLine, StockUpload

# What an accepted site is until the advisor says otherwise: the facts that finance least.
SAFE_SITE_FACTS: dict[str, Any] = {
    "tenure": Tenure.LEASED,
    "landlord_waiver": False,
    "insured": False,
    "dispossession_possible": False,
}
ACCEPT_FIELDS = ("code", "name", "tenure", "landlord_waiver", "insured", "dispossession_possible")


@dataclass(frozen=True)
class UndeclaredSite:
    """A site code of a stock file with no declared warehouse: its lines and book value.

    ``code`` "" stands for lines whose warehouse cell is empty (nothing to accept: fix the file);
    ``near`` names a declared site whose code differs only in case or spaces.
    """

    code: str
    lines: int
    book_value: Decimal
    near: str = ""

    @property
    def acceptable(self) -> bool:
        return bool(self.code) and not self.near


def declared_codes(client: ClientCompany) -> set[str]:
    return {code.strip() for code in client.warehouses.values_list("code", flat=True)}


def undeclared_sites(upload: StockUpload) -> list[UndeclaredSite]:
    """The file's sites the client has not declared, with their line count and book value.

    One grouped query on the upload's lines, and only when the file names an undeclared site:
    a file whose sites are all declared costs no query on its lines.
    """
    found = [str(code) for code in upload.warehouses or []]
    if not found:
        return []
    declared = declared_codes(upload.client)
    missing = [code for code in found if code.strip() not in declared]
    if not missing:
        return []
    rows = (
        StockLine.objects.filter(upload=upload, warehouse__in=[*missing, ""])
        .values("warehouse")
        .annotate(lines=Count("row"), book=Sum("book_value"))
        .order_by("warehouse")
    )
    folded = {code.casefold().strip(): code for code in declared}
    return [
        UndeclaredSite(
            code=row["warehouse"],
            lines=row["lines"],
            book_value=row["book"] or Decimal("0.00"),
            near=folded.get(row["warehouse"].casefold().strip(), "") if row["warehouse"] else "",
        )
        for row in rows
    ]


@transaction.atomic
def accept_site(*, client: ClientCompany, by: User, code: str, **facts: Any) -> tuple[Warehouse, list[Any]]:
    """Declare ``code`` as one of the client's sites (audited) and value its facilities again.

    ``facts``: name, tenure, landlord_waiver, insured, dispossession_possible; any not given takes
    its fail-safe value (``SAFE_SITE_FACTS``; the name defaults to the code). Refused, naming the
    field, for an empty code or one the client already has (in any case). Returns the warehouse
    and the runs queued (computed once the transaction commits).
    """
    if not by.is_advisor or by.firm_id != client.firm_id:
        raise DomainError(_("Only the firm's advisors can accept a site."), code="forbidden")
    code = (code or "").strip()
    if not code:
        raise DomainError(_("Give the site's code as the stock file writes it."), field="code")
    if client.warehouses.filter(code__iexact=code).exists():
        raise DomainError(
            _("This client already has a warehouse with the code %(code)s (in some case).") % {"code": code},
            field="code",
        )
    unknown = set(facts) - set(ACCEPT_FIELDS)
    if unknown:
        raise DomainError(_("Unknown setting: %(name)s.") % {"name": sorted(unknown)[0]}, field=sorted(unknown)[0])
    values = {**SAFE_SITE_FACTS, **{k: v for k, v in facts.items() if v is not None}}
    values["name"] = (values.get("name") or "").strip() or code
    warehouse = Warehouse(client=client, code=code, **values)
    warehouse.full_clean()
    warehouse.save()
    audit.record(actor=by, action="accept-site", instance=warehouse, after=audit.snapshot(warehouse))
    return warehouse, revalue_client(client=client, by=by)


def revalue_client(*, client: ClientCompany, by: User | None) -> list[Any]:
    """Queue each of the client's facilities for a valuation of its latest stock file under its
    terms as they now read (the declared sites are part of them), once the transaction commits."""
    from valuation.pipeline import services

    runs = []
    for facility in client.facilities.all():
        run = services.recompute_latest(facility=facility, by=by)
        if run is not None:
            runs.append(run)
    return runs
