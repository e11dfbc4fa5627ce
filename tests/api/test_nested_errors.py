"""A refused row of a nested list is named by its row and field (`rates.1.nolv_pct`), as the
documented error schema says: `fields` maps a name to a list of messages."""

from __future__ import annotations

from tests.api.conftest import token_client


def test_a_bad_rate_names_its_row_and_field(world):
    body = {
        "facility": world.facility_x.pk,
        "appraiser": "Hall & Co",
        "effective_date": "2026-06-30",
        "rates": [{"category": "raw_material", "nolv_pct": "70"}, {"category": "wip", "nolv_pct": "100000"}],
    }
    answer = token_client(world.advisor_a).post("/api/appraisals/", body, content_type="application/json")
    assert answer.status_code == 400
    fields = answer.json()["fields"]
    assert list(fields) == ["rates.1.nolv_pct"], fields
    assert all(isinstance(message, str) for message in fields["rates.1.nolv_pct"])
