"""The demo stock file loaded by `manage.py seed_demo`: a French ERP export (`;`, comma decimals,
non-breaking-space thousands, Windows-1252), as a borrower would upload it."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile

from borrowers.models import ClientCompany, User

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


@dataclass(frozen=True)
class DemoLine:
    """One line of the demo stock, before an ERP writes it out."""

    code: str
    name: str
    family: str
    depot: str
    quantity: Decimal
    unit_cost: Decimal
    idle_days: int
    expiry_in_days: int | None
    consignment: bool
    retention: bool
    firm_order: bool | None


def _reference_lines(lines: int, seed: int) -> list[DemoLine]:
    """The stock at the reference date (DEMO_AS_OF): the same lines every time for a seed."""
    rng = np.random.default_rng(seed)
    families = rng.choice(["MP", "EC", "PF"], size=lines, p=[0.4, 0.2, 0.4])
    depots = rng.choice(["LYO", "VEN", "MAR"], size=lines, p=[0.6, 0.3, 0.1])
    stock = []
    for i in range(lines):
        family = str(families[i])
        low_qty, high_qty, low_cost, high_cost = SIZES[family]
        quantity = Decimal(int(rng.integers(low_qty, high_qty)))
        unit_cost = Decimal(int(rng.integers(low_cost, high_cost))) / 100
        idle_days = int(rng.choice([5, 30, 90, 200, 500], p=[0.35, 0.3, 0.2, 0.1, 0.05]))
        expiry = int(rng.integers(10, 400)) if family == "MP" and i % 7 == 0 else None
        stock.append(
            DemoLine(
                code=f"{family}-{i + 1:05d}",
                name=PRODUCTS[family][i % len(PRODUCTS[family])],
                family=family,
                depot=str(depots[i]),
                quantity=quantity,
                unit_cost=unit_cost,
                idle_days=idle_days,
                expiry_in_days=expiry,
                consignment=family == "MP" and i % 23 == 0,
                retention=family == "MP" and i % 11 == 0,
                firm_order=(i % 3 == 0) if family == "EC" else None,
            )
        )
    return stock


def _earlier_lines(reference: list[DemoLine], *, months_before: int, level: Decimal) -> list[DemoLine]:
    """The same warehouse some months earlier: the same articles (a few not yet bought), each
    quantity at the month's stock level with its own spread, and lines idle for fewer days."""
    rng = np.random.default_rng(9000 + months_before)
    spread = rng.uniform(0.8, 1.2, size=len(reference))
    present = rng.random(len(reference)) >= 0.03
    earlier = []
    for line, factor, kept in zip(reference, spread, present, strict=True):
        if not kept:
            continue
        quantity = max(Decimal(1), (line.quantity * level * Decimal(str(round(float(factor), 3)))).quantize(Decimal(1)))
        earlier.append(
            dataclasses.replace(line, quantity=quantity, idle_days=max(1, line.idle_days - 30 * months_before // 2))
        )
    return earlier


def _french_csv(stock: list[DemoLine], as_of: dt.date) -> bytes:
    """A French ERP export of the stock at `as_of` (Sage-like: `;`, comma decimals, Windows-1252)."""
    out = [";".join(HEADERS)]
    for line in stock:
        amount = line.quantity * line.unit_cost
        expiry = (
            (as_of + dt.timedelta(days=line.expiry_in_days)).strftime("%d/%m/%Y")
            if line.expiry_in_days is not None
            else ""
        )
        out.append(
            ";".join(
                [
                    line.code,
                    line.name,
                    line.family,
                    line.depot,
                    _french(line.quantity).removesuffix(",00"),
                    "u",
                    _french(line.unit_cost),
                    (as_of - dt.timedelta(days=line.idle_days)).strftime("%d/%m/%Y"),
                    expiry,
                    "O" if line.consignment else "N",
                    "O" if line.retention else "N",
                    _french(amount * Decimal("0.4")) if line.retention else "",
                    "" if line.firm_order is None else ("O" if line.firm_order else "N"),
                    _french(line.unit_cost * RESALE_SHARE_OF_COST[line.family]),
                ]
            )
        )
    return ("\r\n".join(out) + "\r\n").encode("cp1252")


def demo_export(lines: int = 1200, seed: int = 2026) -> bytes:
    """The reference export (at DEMO_AS_OF); the same bytes every time (so a re-run is a duplicate)."""
    return _french_csv(_reference_lines(lines, seed), DEMO_AS_OF)


def _month_ends(last: dt.date, count: int) -> list[dt.date]:
    """The `count` month ends up to `last`, oldest first."""
    ends = [last]
    while len(ends) < count:
        ends.append(ends[-1].replace(day=1) - dt.timedelta(days=1))
    return ends[::-1]


@dataclass(frozen=True)
class Period:
    as_of: dt.date
    file_name: str
    data: bytes
    content_type: str


# The lamp maker's stock over the year to DEMO_AS_OF, as a share of October's: it builds up over
# the summer for the autumn and year-end season and is drawn down in winter.
SEASON = ("0.93", "0.91", "0.92", "0.95", "0.97", "0.99", "1.01", "1.05", "1.09", "1.12", "1.05")


def lumiere_history() -> list[Period]:
    """Twelve monthly Sage exports of Atelier Lumière, November 2025 to October 2026."""
    reference = _reference_lines(1200, 2026)
    ends = _month_ends(DEMO_AS_OF, len(SEASON) + 1)
    periods = []
    for months_before, as_of in zip(range(len(ends) - 1, -1, -1), ends, strict=True):
        if months_before == 0:
            data = demo_export()
        else:
            level = Decimal(SEASON[len(SEASON) - months_before])
            data = _french_csv(_earlier_lines(reference, months_before=months_before, level=level), as_of)
        periods.append(Period(as_of, f"export-stock-sage-{as_of.isoformat()}.csv", data, "text/csv"))
    return periods


# The Chinese client: a components maker in Suzhou exporting from its ERP (Kingdee-like headers,
# GB18030, ISO dates). Average line about 55,000 CNY: 1,200 lines ≈ 65 M, about its average stock.
CHINESE_HEADERS = [
    "物料编码",
    "物料名称",
    "物料类别",
    "仓库",
    "现存数量",
    "计量单位",
    "单价",
    "最后出库日期",
    "保质期至",
]
CHINESE_FAMILIES = {
    "原材料": (["冷轧钢板", "铝锭", "工程塑料粒子", "铜线"], (200, 3000), (500, 4500)),
    "在制品": (["压铸件毛坯", "待装配电机"], (50, 600), (4000, 16000)),
    "产成品": (["精密齿轮箱", "伺服电机总成", "汽车座椅滑轨"], (20, 400), (15000, 60000)),
}
CHINESE_LEVELS = ("0.94", "1.04", "1")  # August, September, October 2026
CHINESE_SITES = {"SZ01": 0.7, "SH02": 0.3}


def suzhou_export(as_of: dt.date, *, level: Decimal, seed: int = 86) -> bytes:
    """A GB18030 export of the Suzhou client's stock at `as_of` (same articles every month)."""
    rng = np.random.default_rng(seed)
    month = np.random.default_rng(seed + as_of.month)
    out = [",".join(CHINESE_HEADERS)]
    names = list(CHINESE_FAMILIES)
    families = rng.choice(names, size=1200, p=[0.45, 0.15, 0.40])
    sites = rng.choice(list(CHINESE_SITES), size=1200, p=list(CHINESE_SITES.values()))
    for i in range(1200):
        family = str(families[i])
        products, (low_qty, high_qty), (low_cost, high_cost) = CHINESE_FAMILIES[family]
        base_quantity = int(rng.integers(low_qty, high_qty))
        unit_cost = Decimal(int(rng.integers(low_cost, high_cost))) / 100
        idle_days = int(rng.choice([3, 20, 60, 150, 400], p=[0.4, 0.3, 0.18, 0.08, 0.04]))
        quantity = max(1, round(base_quantity * float(level) * month.uniform(0.85, 1.15)))
        expiry = (as_of + dt.timedelta(days=int(rng.integers(20, 500)))).isoformat() if i % 9 == 0 else ""
        out.append(
            ",".join(
                [
                    f"CN{i + 1:06d}",
                    products[i % len(products)],
                    family,
                    str(sites[i]),
                    str(quantity),
                    "件",
                    f"{unit_cost:.2f}",
                    (as_of - dt.timedelta(days=idle_days)).isoformat(),
                    expiry,
                ]
            )
        )
    return ("\r\n".join(out) + "\r\n").encode("gb18030")


def suzhou_history() -> list[Period]:
    """Three monthly exports of the Suzhou client, August to October 2026."""
    ends = _month_ends(DEMO_AS_OF, len(CHINESE_LEVELS))
    return [
        Period(as_of, f"库存明细-{as_of.isoformat()}.csv", suzhou_export(as_of, level=Decimal(level)), "text/csv")
        for as_of, level in zip(ends, CHINESE_LEVELS, strict=True)
    ]


def ensure_demo_uploads(*, client: ClientCompany, periods: list[Period]) -> int:
    """Upload each period's export that the client does not have yet, oldest first, through the
    real pipeline. Returns how many were uploaded."""
    from valuation.pipeline import services

    have = set(client.uploads.values_list("as_of", flat=True))
    uploader = User.objects.filter(client=client).first() or User.objects.filter(firm=client.firm).first()
    uploaded = 0
    for period in periods:
        if period.as_of in have:
            continue
        services.create_upload(
            client=client,
            by=uploader,
            file=SimpleUploadedFile(period.file_name, period.data, period.content_type),
            as_of=period.as_of,
        )
        uploaded += 1
    return uploaded


# ------------------------------------------------------------------------ roll-forward (issue 16)


def ensure_demo_rollforward(*, client: ClientCompany) -> int:
    """Each valued period of the client's facilities after the first gets its purchases, production
    and cost of goods sold, entered once by the client's user: they reconcile to the cent with the
    stock files, except a shrinkage of 0.4 % of the closing stock left out of the latest period
    (unreconciled, within the default tolerance of 0.5 %) and a count loss entered as an adjustment
    in the one before. Returns how many periods were entered."""
    from facilities.models import Facility
    from valuation.pipeline import rollforward

    uploader = User.objects.filter(client=client).first() or User.objects.filter(firm=client.firm).first()
    entered = 0
    cent = Decimal("0.01")
    for facility in Facility.objects.filter(client=client):
        rows = rollforward.facility_periods(facility)
        valued = [row for row in rows if row.period.opening is not None and row.period.reported_closing is not None]
        for index, row in enumerate(valued):
            if row.record is not None:
                continue
            period = row.period
            closing, opening = period.reported_closing, period.opening
            purchases = (closing * Decimal("0.55")).quantize(cent)
            production = (closing * Decimal("0.12")).quantize(cent)
            adjustments = Decimal("0")
            if index == len(valued) - 2:
                adjustments = -(closing * Decimal("0.002")).quantize(cent)  # a count loss, entered
            shrinkage = (closing * Decimal("0.004")).quantize(cent) if index == len(valued) - 1 else Decimal("0")
            # cost of goods sold = opening + purchases + production + adjustments − closing, so the
            # period reconciles; the latest leaves its shrinkage unexplained.
            cogs = opening + purchases + production + adjustments - closing - shrinkage
            if cogs < 0:
                purchases, cogs = purchases - cogs, Decimal("0")
            rollforward.save_inputs(
                facility=facility,
                period_end=period.period_end,
                purchases=purchases,
                production=production,
                cost_of_goods_sold=cogs,
                adjustments=adjustments,
                note="",
                by=uploader,
            )
            entered += 1
    return entered


# -------------------------------------------------------------------- end of roll-forward (issue 16)
