"""Done when: a script does the whole cycle (upload → run → report → share) through the API alone.

Only HTTP calls, authenticated with tokens obtained over HTTP; tasks run in-process when each
request's transaction commits (transactional database, as in production). Figures are the
hand-worked ones of the pipeline tests (tests/pipeline/conftest.py).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.conftest import PASSWORD, World
from tests.pipeline.conftest import AS_OF, BOOK, ELIGIBLE, FINANCING, GOOD_CSV

pytestmark = pytest.mark.django_db(transaction=True)


def login_with_token(email: str) -> Client:
    answer = Client().post("/api/auth/token/", {"email": email, "password": PASSWORD}, content_type="application/json")
    assert answer.status_code == 200, answer.content
    return Client(headers={"Authorization": f"Token {answer.json()['token']}"})


def test_a_script_uploads_values_reports_and_shares_through_the_api_alone(world: World):
    advisor = login_with_token(world.advisor_a.email)

    # 1. Upload the stock file: 202 and where to follow it.
    stock_file = SimpleUploadedFile("etat-stock.csv", GOOD_CSV, content_type="text/csv")
    answer = advisor.post(
        "/api/uploads/", {"client": world.client_x.pk, "file": stock_file, "as_of": AS_OF.isoformat()}
    )
    assert answer.status_code == 202, answer.content
    status_url = answer["Location"]
    assert answer.json()["status_url"] == status_url

    # 2. Poll it: processed in-process once the upload committed.
    upload = advisor.get(status_url).json()
    assert (upload["status"], upload["progress"], upload["line_count"]) == ("accepted", 100, 5)
    assert len(upload["runs"]) == 1

    # 3. The run: hand-worked figures, its waterfall and its ineligible lines.
    run = advisor.get(f"/api/runs/{upload['runs'][0]}/").json()
    assert run["status"] == "done"
    assert Decimal(run["book_value"]) == BOOK
    assert Decimal(run["eligible_value"]) == ELIGIBLE
    assert Decimal(run["financing"]) == FINANCING
    bars = advisor.get(f"/api/runs/{run['id']}/waterfall/").json()
    assert [(b["key"], Decimal(b["amount"])) for b in bars if b["key"] != "liquidation_value"] == [
        ("book_value", BOOK),
        ("reason:wip", Decimal("6000.00")),
        ("reason:obsolete", Decimal("999.90")),
        ("eligible", ELIGIBLE),
        ("financing", FINANCING),
    ]
    lines = advisor.get(f"/api/runs/{run['id']}/lines/?status=ineligible").json()
    assert [(x["row"], x["sku"], x["reason"]) for x in lines["results"]] == [
        (3, "B002", "wip"),
        (5, "D004", "obsolete"),
    ]

    # 4. Issue a report (202), poll until its PDF is rendered, download it.
    answer = advisor.post("/api/reports/", {"run": run["id"]}, content_type="application/json")
    assert answer.status_code == 202, answer.content
    report = advisor.get(answer["Location"]).json()
    assert report["render_status"] == "ready", report["failure_reason"]
    pdf = advisor.get(report["pdf_url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")

    # 5. Share it with the bank.
    answer = advisor.post(
        f"/api/reports/{report['id']}/shares/", {"lender": world.lender_a.pk}, content_type="application/json"
    )
    assert answer.status_code == 201, answer.content

    # The bank's system sees it, downloads it and decides.
    bank = login_with_token(world.bank_shared.email)
    assert report["id"] in [r["id"] for r in bank.get("/api/reports/").json()["results"]]
    assert bank.get(report["pdf_url"]).status_code == 200
    answer = bank.post(
        f"/api/reports/{report['id']}/decisions/", {"decision": "approve"}, content_type="application/json"
    )
    assert answer.status_code == 201, answer.content
    decisions = advisor.get(f"/api/reports/{report['id']}/decisions/").json()
    assert [(d["decision"], d["lender"]) for d in decisions] == [("approve", world.lender_a.pk)]
