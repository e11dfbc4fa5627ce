"""The vocabulary of the access matrix: personas and expected answers per kind of route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from borrowers.models import Invitation
from tests.conftest import PERSONAS, World

ANON, ADV_A, ADV_B, CX, CY, BANK, BANK_NO, CTRL, CTRL_NO = PERSONAS

Expect = dict[str, int | set[int]]


def pages(anon: int = 302, **who: int | set[int]) -> Expect:
    """Web pages: anonymous visitors are sent to log in; everyone not named gets 404."""
    table: Expect = {p: 404 for p in PERSONAS}
    table[ANON] = anon
    table.update(who)
    return table


def api(**who: int) -> Expect:
    """API routes: anonymous callers get 401; everyone not named gets 404."""
    table: Expect = {p: 404 for p in PERSONAS}
    table[ANON] = 401
    table.update(who)
    return table


def everyone(code: int | set[int], anon: int | set[int] | None = None) -> Expect:
    table: Expect = {p: code for p in PERSONAS}
    if anon is not None:
        table[ANON] = anon
    return table


ADVISORS = {ADV_A: 200, ADV_B: 200}
ALL_LOGGED_IN = {p: 200 for p in PERSONAS if p != ANON}


def _invitation_token(w: World) -> dict[str, Any]:
    invitation = Invitation.objects.create(
        firm=w.firm_a, email="new@xylo.test", role="client", client=w.client_x, invited_by=w.advisor_a
    )
    return {"token": invitation.token}


# route name -> (URL kwargs from the world, expected status per persona)
Routes = dict[str, tuple[Callable[[World], dict[str, Any]], Expect]]
