"""What the browser journeys share: a tiny stock file whose figures are worked out by hand, and
small helpers to read formatted figures off a page.

The stock file (French ERP export: `;`, comma decimals), valued under a pledge without
dispossession at fungibility 80 %, over-collateralisation 125 %, default waterfall (WIP without a
firm order excluded, no movement for 365 days excluded), stock date 2026-11-15:

    row 2  A001 raw material  100 × 10,00     =  1 000,00   moved 2026-09-15: eligible
                              resale 100 × 8,00      =    800,00
    row 3  B002 WIP            40 × 150,00    =  6 000,00   no firm order: ineligible "wip"
                              no resale price: no liquidation value
    row 4  C003 finished good  20 × 2 000,00  = 40 000,00   moved 2026-10-10: eligible
                              resale 20 × 1 500,00   = 30 000,00
    row 5  D004 finished good  10 × 99,00     =    990,00   no movement since 2025-01-01
                              resale 10 × 50,00      =    500,00   (683 days): ineligible "obsolete"

    book value         47 990,00 = 1 000,00 + 6 000,00 + 40 000,00 + 990,00
    ineligible          6 990,00 = 6 000,00 + 990,00
    eligible           41 000,00 = 1 000,00 + 40 000,00
    liquidation value  31 300,00 = 800,00 + 30 000,00 + 500,00; of eligible stock 30 800,00
    guarantee          32 800,00 = 80 % × 41 000,00
    financing          26 240,00 = 32 800,00 ÷ 125 %
    loan-to-value      85,19 %   = 26 240,00 ÷ 30 800,00 = 0,851948…, above the caps, which
                       the journeys' facility marks indicative (binding, they would lend
                       85 % × 800,00 + 65 % × 30 000,00 = 20 180,00)
    levers             clearing WIP: 47 000,00 × 80 % ÷ 125 % = 30 080,00, i.e. + 3 840,00;
                       clearing obsolete: 41 990,00 × 80 % ÷ 125 % = 26 873,60, i.e. + 633,60
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from django.db import transaction

from borrowers.models import ClientCompany, Firm, Role, User, Warehouse
from facilities.models import Facility, Lender, Structure

PASSWORD = "journey-password-2026"

AS_OF = dt.date(2026, 11, 15)
HEADER = "Code article;Désignation;Famille;Dépôt;Qté;PU HT;Date dernier mouvement;Prix de vente unitaire"
ROWS = (
    "A001;Acier laminé;MP;W01;100;10,00;15/09/2026;8,00",
    "B002;Sous-ensemble;En cours;W01;40;150,00;01/10/2026;",
    "C003;Pompe finie;PF;W01;20;2000,00;10/10/2026;1500,00",
    "D004;Vieux stock;PF;W01;10;99,00;01/01/2025;50,00",
)
STOCK_CSV = ("\n".join((HEADER, *ROWS)) + "\n").encode("utf-8")
FUNGIBILITY_PCT = "80"
OVER_COLLATERALISATION_PCT = "125"

# A file whose row 3 has a quantity that is not a number.
BROKEN_CSV = (
    "\n".join((HEADER, ROWS[0], "B002;Sous-ensemble;En cours;W01;quarante;150,00;01/10/2026;")) + "\n"
).encode("utf-8")


# The hand-worked figures as each language writes them (plain spaces: see `plain`).
FIGURES = {
    "en": {"book": "€47,990.00", "ineligible": "€6,990.00", "eligible": "€41,000.00", "financing": "€26,240.00"},
    "fr": {"book": "47 990,00 €", "ineligible": "6 990,00 €", "eligible": "41 000,00 €", "financing": "26 240,00 €"},
    "zh-hans": {"book": "€47,990.00", "ineligible": "€6,990.00", "eligible": "€41,000.00", "financing": "€26,240.00"},
}


def tr(language: str, text: str) -> str:
    """`text` as the catalogue of `language` has it, and checked to be translated: the journeys
    look for the words a French or Chinese reader sees, whatever the translator chose."""
    from django.utils import translation

    with translation.override(language):
        translated = translation.gettext(text)
    if language != "en":
        assert translated != text, f"{text!r} is not translated into {language}"
    return translated


def write(folder: Path, name: str, content: bytes) -> Path:
    path = folder / name
    path.write_bytes(content)
    return path


def field(page, label: str):  # type: ignore[no-untyped-def]
    """A form field by its whole label (required fields add an aria-hidden " *" to theirs)."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}( \*)?$"))


def plain(text: str) -> str:
    """Page text with every kind of space (babel's narrow no-break space in French, the no-break
    space before the euro sign) as one plain space, so hand-written figures compare."""
    return re.sub(r"[\s\u00a0\u202f]+", " ", text).strip()


def wait_until_processed(page, *, timeout: float = 60_000) -> str:  # type: ignore[no-untyped-def]
    """On an upload's page: wait until the htmx-polled status panel says the work is over (the
    progress bar goes away), and return the panel's text."""
    status = page.locator("#upload-status")
    status.wait_for()
    page.wait_for_function(
        "() => { const s = document.querySelector('#upload-status'); return s && !s.querySelector('progress'); }",
        timeout=timeout,
    )
    page.wait_for_load_state("networkidle")
    return plain(page.locator("#upload-status").inner_text())


class Dossier:
    """A firm with one client (warehouse W01), one lender and one pledge facility at the terms
    above, and one user per role; built with the ORM for the journeys that do not build it in
    the browser."""

    def __init__(self, *, client_language: str = "en", bank_language: str = "en") -> None:
        with transaction.atomic():
            self.firm = Firm.objects.create(name="Journey Advisory")
            self.client = ClientCompany.objects.create(
                firm=self.firm, legal_name="Lumen Trading SARL", currency="EUR", language=client_language
            )
            Warehouse.objects.create(client=self.client, code="W01", name="Lyon – usine")
            self.lender = Lender.objects.create(firm=self.firm, name="Banque Journée")
            self.facility = Facility.objects.create(
                client=self.client,
                lender=self.lender,
                name="Gage sur stocks 2026",
                structure=Structure.PLEDGE_WITHOUT_DISPOSSESSION,
                fungibility_share_pct=FUNGIBILITY_PCT,
                over_collateralisation_pct=OVER_COLLATERALISATION_PCT,
                # Caps marked indicative so the pledge figures above stand (binding, the caps
                # would lend 85 % × 800 + 65 % × 30 000 = 20 180,00): test_rule_editor_journey.py
                # and tests/dossier/test_terms_editor.py show binding caps.
                ltv_caps_indicative=True,
            )
            self.advisor = User.objects.create_user(
                "claire@journey.test", PASSWORD, role=Role.ADVISOR, firm=self.firm, language="en"
            )
            self.client_user = User.objects.create_user(
                "marc@lumen.test",
                PASSWORD,
                role=Role.CLIENT,
                firm=self.firm,
                client=self.client,
                language=client_language,
            )
            self.bank_user = User.objects.create_user(
                "sophie@banque-journee.test",
                PASSWORD,
                role=Role.BANK,
                firm=self.firm,
                lender=self.lender,
                language=bank_language,
            )
