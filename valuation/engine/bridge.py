"""Why financing moved between two valuations: the change split into parts that add up to it
exactly, to the cent (docs/domain.md, "Why availability moved").

The split is a chain of what-ifs. Start from the earlier valuation's inputs to its financing
(eligible cost, eligible liquidation value by liquidity class, terms) and swap in the later
valuation's, one part at a time, recomputing the financing with the engine's own formula
(``structures.financing_cents``) after each swap. Each part is the change that swap made, so the
parts telescope: their sum is the later financing minus the earlier, exactly, whatever the caps,
limits and minima that make financing non-linear. The order of the swaps:

1. **stock level**: the later file's book value (at the earlier file's exchange rates), with the
   earlier file's ineligible amounts, and its liquidation value per eligible euro;
2. **each ineligible reason**, one after the other: the later file's amount for that reason;
3. **rates and terms**: the later file's own liquidation values (recovery rates, appraisal, mix)
   and the later terms (advance rates, fungibility, over-collateralisation, limit, caps), with
   the earlier reserves;
4. **reserves**: the later reserves;
5. **currency**: the later file at its own exchange rates instead of the earlier ones.

"At the earlier rates": each currency the later file converted is revalued at the factor the
earlier valuation used for it (a currency the earlier file did not hold keeps the later factor,
so its stock counts as stock level). The resulting shift of book value is spread over the later
file's ineligible amounts and liquidation values in proportion (half-up to the cent); the eligible
amount then follows as book less ineligibles, so book = eligible + Σ ineligible holds at every
step.

Amounts are integer cents; every intermediate financing is the engine's, never an estimate.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from valuation.engine.money import div_half_up, to_cents
from valuation.engine.structures import financing_cents
from valuation.engine.terms import FacilityTerms, LiquidityClass, Structure

# The parts, in the order of the chain (and of the chart).
STOCK_LEVEL = "stock_level"
RATES_AND_TERMS = "rates_and_terms"
RESERVES = "reserves"
CURRENCY = "currency"
REASON = "reason"  # one part per ineligible reason, between stock level and rates and terms


class BridgeError(ValueError):
    """Two valuations that cannot be bridged (another currency, figures that do not reproduce)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Snapshot:
    """What one valuation's financing rests on, in cents (read from its stored result)."""

    currency: str
    book: int
    ineligible: Mapping[str, int]  # by reason, in the engine's order
    eligible: int
    nrv_by_class: Mapping[LiquidityClass, int]  # eligible liquidation value by liquidity class
    terms: FacilityTerms
    financing: int
    outstanding: int
    reserves: int  # the borrowing base's reserves, 0 for a pledge
    # Per converted currency: (book in that currency, exact factor to the facility's currency).
    conversions: Mapping[str, tuple[int, Fraction]]

    @property
    def eligible_nrv(self) -> int:
        return sum(self.nrv_by_class.values())


@dataclass(frozen=True)
class BridgePart:
    """One step of the chain: what it changed, and the financing once it is applied."""

    kind: str  # STOCK_LEVEL, REASON, RATES_AND_TERMS, RESERVES, CURRENCY
    reason: str  # the ineligible reason for a REASON part, else ""
    change: int  # cents: financing after this step − financing before it
    financing_after: int  # cents
    # What moved in the inputs: book value for stock level, the reason's ineligible amount
    # (later − earlier: positive means more stock excluded), eligible liquidation value for
    # rates and terms, reserves for reserves, book value for currency.
    input_change: int


@dataclass(frozen=True)
class Bridge:
    """The change in financing (and availability) from ``earlier`` to ``later``, split in parts."""

    earlier_financing: int
    later_financing: int
    parts: tuple[BridgePart, ...]
    earlier_outstanding: int
    later_outstanding: int

    @property
    def change(self) -> int:
        return self.later_financing - self.earlier_financing

    @property
    def outstanding_change(self) -> int:
        return self.later_outstanding - self.earlier_outstanding

    @property
    def availability_change(self) -> int:
        """Δ availability = Δ financing − Δ drawn."""
        return self.change - self.outstanding_change


def snapshot(result: Mapping[str, Any], terms: FacilityTerms, *, currency: str) -> Snapshot:
    """A valuation's stored result (``serialize.result_to_dict`` form) and its terms → Snapshot."""
    eligibility = result["eligibility"]
    liquidation = result["liquidation"]
    financing = result["financing"]
    nrv_by_class: dict[LiquidityClass, int] = {}
    for row in liquidation["by_category"]:
        klass = LiquidityClass(row["liquidity_class"])
        nrv_by_class[klass] = nrv_by_class.get(klass, 0) + to_cents(row["eligible_liquidation_value"])
    conversions = {}
    for conversion in result.get("conversions") or []:
        num, _, den = str(conversion["factor"]).partition("/")
        conversions[conversion["currency"]] = (
            to_cents(conversion["amount_before"]),
            Fraction(int(num), int(den or 1)),
        )
    return Snapshot(
        currency=currency,
        book=to_cents(eligibility["book_value"]),
        ineligible={row["reason"]: to_cents(row["amount"]) for row in eligibility["by_reason"]},
        eligible=to_cents(eligibility["eligible"]),
        nrv_by_class=nrv_by_class,
        terms=terms,
        financing=to_cents(financing["financing"]),
        outstanding=to_cents(financing["outstanding"]),
        reserves=to_cents((financing.get("borrowing_base") or {}).get("reserves") or "0"),
        conversions=conversions,
    )


def _scaled(amount: int, numerator: int, denominator: int) -> int:
    """amount × numerator ÷ denominator, half-up to the cent (amount unchanged when ÷ 0)."""
    if denominator == 0:
        return amount
    return div_half_up(amount * numerator, denominator)


def _mix(nrv_by_class: Mapping[LiquidityClass, int], eligible_from: int, eligible_to: int) -> dict[LiquidityClass, int]:
    """Liquidation values by class for ``eligible_to`` of eligible stock, at the same value per
    eligible cent as ``nrv_by_class`` had for ``eligible_from`` (nothing for nothing eligible)."""
    if eligible_from <= 0 or eligible_to <= 0:
        return {klass: 0 for klass in nrv_by_class}
    return {klass: _scaled(amount, eligible_to, eligible_from) for klass, amount in nrv_by_class.items()}


def _financing(eligible: int, nrv_by_class: Mapping[LiquidityClass, int], terms: FacilityTerms) -> int:
    """The engine's financing for these inputs; stock cannot be less than none."""
    eligible = max(eligible, 0)
    classes = {klass: max(amount, 0) for klass, amount in nrv_by_class.items()}
    return financing_cents(eligible, sum(classes.values()), terms, classes)


def _with_reserves(terms: FacilityTerms, source: FacilityTerms) -> FacilityTerms:
    """``terms`` with the reserves of ``source`` (none when ``source`` is not a borrowing base)."""
    if terms.structure != Structure.BORROWING_BASE or terms.borrowing_base is None:
        return terms
    reserves = (
        source.borrowing_base.reserves
        if source.structure == Structure.BORROWING_BASE and source.borrowing_base is not None
        else ()
    )
    return replace(terms, borrowing_base=replace(terms.borrowing_base, reserves=reserves))


def at_rates_of(later: Snapshot, earlier: Snapshot) -> Snapshot:
    """``later`` with each converted currency valued at the factor ``earlier`` used for it."""
    shift = 0
    for currency, (amount_before, factor) in later.conversions.items():
        earlier_factor = earlier.conversions.get(currency, (0, factor))[1]
        if earlier_factor != factor:
            # Each line was rounded to the cent when converted; the what-if converts the
            # currency's total, so it shifts by the whole difference of the two conversions.
            shift += _round(amount_before * earlier_factor) - _round(amount_before * factor)
    if shift == 0:
        return later
    book = later.book + shift
    ineligible = {reason: _scaled(amount, book, later.book) for reason, amount in later.ineligible.items()}
    return replace(
        later,
        book=book,
        ineligible=ineligible,
        eligible=book - sum(ineligible.values()),
        nrv_by_class={klass: _scaled(amount, book, later.book) for klass, amount in later.nrv_by_class.items()},
    )


def _round(amount: Fraction) -> int:
    """A Fraction of cents, half away from zero, to whole cents."""
    return div_half_up(amount.numerator, amount.denominator)


def bridge(earlier: Snapshot, later: Snapshot) -> Bridge:
    """Split ``later.financing − earlier.financing`` into the parts of the chain (module doc).

    Refuses valuations in two currencies, and valuations whose stored financing the engine's
    formula does not give back from their stored inputs (the chain would not start or end on the
    figures shown)."""
    if earlier.currency != later.currency:
        raise BridgeError("currency", "the two valuations are in different currencies")
    for shot in (earlier, later):
        if _financing(shot.eligible, shot.nrv_by_class, shot.terms) != shot.financing:
            raise BridgeError("not_reproducible", "a valuation's financing does not follow from its stored inputs")
    revalued = at_rates_of(later, earlier)
    parts: list[BridgePart] = []
    current = earlier.financing

    def step(kind: str, reason: str, financing: int, input_change: int) -> None:
        nonlocal current
        parts.append(BridgePart(kind, reason, financing - current, financing, input_change))
        current = financing

    # 1. Stock level: the later book, the earlier ineligibles and value per eligible cent.
    book_change = revalued.book - earlier.book
    eligible = earlier.eligible + book_change
    step(
        STOCK_LEVEL,
        "",
        _financing(eligible, _mix(earlier.nrv_by_class, earlier.eligible, eligible), earlier.terms),
        book_change,
    )

    # 2. Each ineligible reason, in the engine's order (the later file's, then any the earlier
    # file had that the later one no longer lists).
    reasons = list(revalued.ineligible) + [r for r in earlier.ineligible if r not in revalued.ineligible]
    for reason in reasons:
        moved = revalued.ineligible.get(reason, 0) - earlier.ineligible.get(reason, 0)
        eligible -= moved
        step(
            REASON,
            reason,
            _financing(eligible, _mix(earlier.nrv_by_class, earlier.eligible, eligible), earlier.terms),
            moved,
        )
    assert eligible == revalued.eligible  # book − Σ ineligible, by construction

    # 3. Rates and terms: the later liquidation values and terms, the earlier reserves.
    mixed = _mix(earlier.nrv_by_class, earlier.eligible, eligible)
    step(
        RATES_AND_TERMS,
        "",
        _financing(eligible, revalued.nrv_by_class, _with_reserves(later.terms, earlier.terms)),
        sum(revalued.nrv_by_class.values()) - sum(mixed.values()),
    )
    # 4. Reserves.
    step(RESERVES, "", _financing(eligible, revalued.nrv_by_class, later.terms), later.reserves - earlier.reserves)
    # 5. Currency: the later file at its own rates.
    step(CURRENCY, "", later.financing, later.book - revalued.book)
    assert current == later.financing
    return Bridge(
        earlier_financing=earlier.financing,
        later_financing=later.financing,
        parts=tuple(parts),
        earlier_outstanding=earlier.outstanding,
        later_outstanding=later.outstanding,
    )
