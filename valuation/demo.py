"""The demo stock file loaded by `manage.py seed_demo`: a French ERP export (`;`, comma decimals,
non-breaking-space thousands, Windows-1252), as a borrower would upload it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile

from borrowers.models import ClientCompany, User

DEMO_FILE_NAME = "export-stock-sage-2026-10-31.csv"
DEMO_AS_OF = dt.date(2026, 10, 31)
HEADERS = [
    "Code article",
    "Désignation",
    "Famille",
    "Dépôt",
    "Qté",
    "Unité",
    "PU HT",
    "Date dernier mouvement",
    "Date de péremption",
    "Consignation",
    "Réserve de propriété",
    "Montant impayé",
    "Commande ferme",
    "Prix de vente unitaire",
]
PRODUCTS = {
    "MP": ["Tôle acier 2 mm", "Verre trempé", "Câble cuivre", "Aluminium profilé", "Résine époxy", "LED 5050"],
    "EC": ["Sous-ensemble suspension", "Corps de lampe usiné", "Diffuseur à polir"],
    "PF": ["Suspension Lumière", "Applique murale", "Lampadaire Arc", "Spot encastrable", "Lampe de bureau"],
}


# Per family: quantity and unit cost (in cents) drawn uniformly in [low, high), so that a line
# is worth about 5,000 on average and the 1,200 lines about 6 M: the client's average stock
# (cost of sales 24 M ÷ rotation 4).
SIZES = {
    "MP": (10, 790, 250, 2250),  # ~400 units × ~12.50
    "EC": (5, 195, 1000, 9000),  # ~100 units × ~50.00
    "PF": (5, 95, 2000, 18000),  # ~50 units × ~100.00
}
# What a line would fetch in a forced sale, net of the costs of selling it, as a share of its
# cost: below cost for every family (steel and LEDs sell back under their price, half-made lamp
# bodies for little, finished lamps at a discount to clear).
RESALE_SHARE_OF_COST = {"MP": Decimal("0.80"), "EC": Decimal("0.40"), "PF": Decimal("0.85")}


def _french(amount: Decimal) -> str:
    """1234567.5 → '1 234 567,50' with non-breaking spaces, as French ERPs write it."""
    whole, _, cents = f"{amount:.2f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return "\u00a0".join(groups) + "," + cents


def demo_export(lines: int = 1200, seed: int = 2026) -> bytes:
    """A seeded, realistic export; the same bytes every time (so a re-run is a duplicate)."""
    rng = np.random.default_rng(seed)
    out = [";".join(HEADERS)]
    families = rng.choice(["MP", "EC", "PF"], size=lines, p=[0.4, 0.2, 0.4])
    depots = rng.choice(["LYO", "VEN", "MAR"], size=lines, p=[0.6, 0.3, 0.1])
    for i in range(lines):
        family = str(families[i])
        name = PRODUCTS[family][i % len(PRODUCTS[family])]
        low_qty, high_qty, low_cost, high_cost = SIZES[family]
        quantity = Decimal(int(rng.integers(low_qty, high_qty)))
        unit_cost = Decimal(int(rng.integers(low_cost, high_cost))) / 100
        idle_days = int(rng.choice([5, 30, 90, 200, 500], p=[0.35, 0.3, 0.2, 0.1, 0.05]))
        last_move = DEMO_AS_OF - dt.timedelta(days=idle_days)
        expiry = (
            (DEMO_AS_OF + dt.timedelta(days=int(rng.integers(10, 400)))).strftime("%d/%m/%Y")
            if family == "MP" and i % 7 == 0
            else ""
        )
        consignment = "O" if family == "MP" and i % 23 == 0 else "N"
        retention = family == "MP" and i % 11 == 0
        unpaid = _french(quantity * unit_cost * Decimal("0.4")) if retention else ""
        firm_order = ("O" if i % 3 == 0 else "N") if family == "EC" else ""
        resale = _french(unit_cost * RESALE_SHARE_OF_COST[family])
        out.append(
            ";".join(
                [
                    f"{family}-{i + 1:05d}",
                    name,
                    family,
                    str(depots[i]),
                    _french(quantity).removesuffix(",00"),
                    "u",
                    _french(unit_cost),
                    last_move.strftime("%d/%m/%Y"),
                    expiry,
                    consignment,
                    "O" if retention else "N",
                    unpaid,
                    firm_order,
                    resale,
                ]
            )
        )
    return ("\r\n".join(out) + "\r\n").encode("cp1252")


def ensure_demo_upload(*, client: ClientCompany) -> None:
    """Upload the demo export for the client through the real pipeline, unless it is there."""
    from valuation import services

    if client.uploads.exists():
        return
    uploader = User.objects.filter(client=client).first() or User.objects.filter(firm=client.firm).first()
    data = demo_export()
    services.create_upload(
        client=client, by=uploader, file=SimpleUploadedFile(DEMO_FILE_NAME, data, "text/csv"), as_of=DEMO_AS_OF
    )
