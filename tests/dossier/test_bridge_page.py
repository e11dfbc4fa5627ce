""" "Why availability moved": the bridge of two real valuations of facility_x, through the page.

Hand-worked from tests/dossier/conftest.py. The earlier file (13 November) lacks row 4, the
75 000,00 of finished goods: book 8 000,03, WIP 6 000,00 and obsolete 999,90 excluded, eligible
1 000,13, financing 750,10 ÷ 150 % = 500,07. The later file (15 November) is the full one:
financing 38 000,07. The whole change, +37 500,00, is stock level (75 000,00 more book value, the
same amounts excluded for each reason, the same terms): 76 000,13 × 75 % ÷ 150 % = 38 000,07.
"""

from __future__ import annotations

import re
from decimal import Decimal

from django.urls import reverse

from tests.dossier.conftest import FINANCING
from tests.dossier.test_compare import _earlier_run
from valuation.workspace import bridge


def test_the_change_is_all_stock_level_hand_worked(world, dossier_run, django_capture_on_commit_callbacks):
    earlier = _earlier_run(world, django_capture_on_commit_callbacks)
    assert str(earlier.financing) == "500.07" and dossier_run.financing == FINANCING
    page = bridge.bridge_page(world.facility_x, earlier, dossier_run)
    assert not page.error
    changes = {row.key: str(row.change) for row in page.rows}
    assert changes.pop("stock_level") == "37500.00"
    assert {"reason:wip", "reason:obsolete", "rates_and_terms", "reserves", "currency"} <= set(changes)
    assert set(changes.values()) == {"0.00"}  # every other part: nothing moved
    assert str(page.change) == "37500.00" and str(page.availability_change) == "37500.00"
    stock_level = page.rows[0]
    assert str(stock_level.input_change) == "75000.00"


def test_the_page_shows_the_parts_linked_to_their_lines(client, world, dossier_run, django_capture_on_commit_callbacks):
    earlier = _earlier_run(world, django_capture_on_commit_callbacks)
    client.force_login(world.advisor_a)
    url = reverse("valuation:facility-bridge", args=[world.facility_x.pk])
    response = client.get(url, {"a": earlier.pk, "b": dossier_run.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and 'data-key="stock_level"' in html
    lines = reverse("valuation:facility-lines", args=[world.facility_x.pk])
    assert re.search(
        rf'data-key="reason:wip"><th scope="row"><a href="{lines}\?run={dossier_run.pk}&amp;reason=wip', html
    )
    # By default: the current run against the one before it.
    assert client.get(url).status_code == 200


def test_a_run_of_another_facility_is_not_found(client, world, dossier_run):
    client.force_login(world.advisor_a)
    url = reverse("valuation:facility-bridge", args=[world.facility_x.pk])
    assert client.get(url, {"a": 999_999, "b": dossier_run.pk}).status_code == 404


def test_the_api_gives_the_same_parts(client, world, dossier_run, django_capture_on_commit_callbacks):
    earlier = _earlier_run(world, django_capture_on_commit_callbacks)
    client.force_login(world.advisor_a)
    url = f"/api/facilities/{world.facility_x.pk}/bridge/"
    body = client.get(url, {"a": earlier.pk, "b": dossier_run.pk}).json()
    assert body["error"] == "" and body["change"] == "37500.00"
    assert body["parts"][0]["key"] == "stock_level" and body["parts"][0]["change"] == "37500.00"
    assert sum(Decimal(part["change"]) for part in body["parts"]) == Decimal(body["change"])
    assert client.get(url, {"a": "x"}).status_code == 400
