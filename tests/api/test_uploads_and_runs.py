"""Stock files through the API (multipart, 202, polling, validation report) and valuation runs
(waterfall, paginated and filtered lines). Figures: tests/pipeline/conftest.py, worked by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.api.conftest import token_client
from tests.conftest import World
from tests.pipeline.conftest import AS_OF, BAD_CSV, BOOK, ELIGIBLE, FINANCING, GOOD_CSV
from valuation.models import StockUpload, ValuationRun

pytestmark = pytest.mark.django_db


def post_file(client, world: World, content: bytes = GOOD_CSV, *, name: str = "stock.csv", **extra):
    data = {"client": world.client_x.pk, "file": SimpleUploadedFile(name, content), "as_of": AS_OF.isoformat()}
    data.update(extra)
    return client.post("/api/uploads/", data)


@pytest.fixture
def accepted_run(world: World, django_capture_on_commit_callbacks) -> ValuationRun:
    """GOOD_CSV uploaded by the client's CFO through the API and processed in-process."""
    with django_capture_on_commit_callbacks(execute=True):
        answer = post_file(token_client(world.client_user_x), world)
    assert answer.status_code == 202, answer.content
    return ValuationRun.objects.get(upload_id=answer.json()["id"], facility=world.facility_x)


# ---------------------------------------------------------------------------------- uploads


def test_an_upload_answers_202_with_where_to_follow_it_and_starts_queued(world: World):
    answer = post_file(token_client(world.client_user_x), world)
    assert answer.status_code == 202
    upload = answer.json()
    assert answer["Location"] == upload["status_url"] == f"http://testserver/api/uploads/{upload['id']}/"
    assert (upload["status"], upload["progress"], upload["original_name"]) == ("queued", 0, "stock.csv")
    assert StockUpload.objects.get(pk=upload["id"]).uploaded_by == world.client_user_x


def test_polling_shows_the_accepted_file_its_lines_and_its_runs(world: World, accepted_run: ValuationRun):
    polled = token_client(world.advisor_a).get(f"/api/uploads/{accepted_run.upload_id}/").json()
    assert (polled["status"], polled["stage"], polled["progress"]) == ("accepted", "done", 100)
    assert polled["line_count"] == 5
    assert polled["runs"] == [accepted_run.pk]
    assert polled["report"]["accepted"] is True


def test_a_rejected_file_reports_each_problem_with_its_row_and_column(world: World, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        answer = post_file(token_client(world.advisor_a), world, BAD_CSV)
    polled = token_client(world.advisor_a).get(answer["Location"]).json()
    assert polled["status"] == "rejected" and polled["runs"] == []
    located = {(p["row"], p["column"], p["value"]) for p in polled["report"]["problems"] if p["severity"] == "error"}
    assert located == {(3, "Qté", "quarante"), (4, "Famille", "Divers")}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "stock.exe"}, "file"),
        ({"content": b""}, "file"),
        ({"as_of": (dt.date(2099, 1, 1)).isoformat()}, "as_of"),
        ({"as_of": "31/10/2026"}, "as_of"),
        ({"sheet": "x" * 101}, "sheet"),
    ],
)
def test_bad_uploads_are_refused_naming_the_field(world: World, change: dict, field: str):
    change = dict(change)
    content = change.pop("content", GOOD_CSV)
    name = change.pop("name", "stock.csv")
    answer = post_file(token_client(world.advisor_a), world, content, name=name, **change)
    assert answer.status_code == 400, answer.content
    assert field in answer.json()["fields"]
    assert not StockUpload.objects.exclude(pk=world.upload_x.pk).exists()


@pytest.mark.parametrize("persona", ["advisor_b", "client_user_y", "bank_shared"])
def test_nobody_uploads_for_a_company_that_is_not_theirs(world: World, persona: str):
    answer = post_file(token_client(world.persona(persona)), world)
    assert answer.status_code == 400 and "client" in answer.json()["fields"]
    assert not StockUpload.objects.exclude(pk=world.upload_x.pk).exists()


def test_the_stock_date_may_be_today(world: World):
    answer = post_file(token_client(world.advisor_a), world, as_of=timezone.localdate().isoformat())
    assert answer.status_code == 202


# ------------------------------------------------------------------------------------- runs


def test_a_run_carries_its_hand_worked_figures_and_waterfall(world: World, accepted_run: ValuationRun):
    client = token_client(world.client_user_x)
    # The waterfall is the client's once the advisor shows it to the company.
    assert client.get(f"/api/runs/{accepted_run.pk}/waterfall/").status_code == 404
    world.client_x.client_sees_waterfall = True
    world.client_x.save()
    run = client.get(f"/api/runs/{accepted_run.pk}/").json()
    assert (Decimal(run["book_value"]), Decimal(run["eligible_value"]), Decimal(run["financing"])) == (
        BOOK,
        ELIGIBLE,
        FINANCING,
    )
    assert run["client"] == world.client_x.pk
    bars = {
        b["key"]: (b["kind"], Decimal(b["amount"]))
        for b in client.get(f"/api/runs/{accepted_run.pk}/waterfall/").json()
    }
    assert bars["book_value"] == ("total", BOOK)
    assert bars["reason:wip"] == ("decrease", Decimal("6000.00"))
    assert bars["reason:obsolete"] == ("decrease", Decimal("999.90"))
    assert bars["eligible"] == ("total", ELIGIBLE)
    assert bars["financing"] == ("total", FINANCING)
    assert token_client(world.client_user_y).get(f"/api/runs/{accepted_run.pk}/waterfall/").status_code == 404


def rows(client, run: ValuationRun, query: str = "") -> list[int]:
    answer = client.get(f"/api/runs/{run.pk}/lines/?{query}")
    assert answer.status_code == 200, answer.content
    return [line["row"] for line in answer.json()["results"]]


def test_lines_filter_by_eligibility_reason_category_and_warehouse(world: World, accepted_run: ValuationRun):
    client = token_client(world.advisor_a)
    assert rows(client, accepted_run) == [2, 3, 4, 5, 6]
    assert rows(client, accepted_run, "status=eligible") == [2, 4, 6]
    assert rows(client, accepted_run, "status=ineligible") == [3, 5]
    assert rows(client, accepted_run, "reason=wip") == [3]
    assert rows(client, accepted_run, "reason=obsolete") == [5]
    assert rows(client, accepted_run, "warehouse=W02") == [5]
    assert rows(client, accepted_run, "category=raw_material") == [2, 6]
    assert rows(client, accepted_run, "category=finished_good&status=eligible") == [4]
    assert rows(client, accepted_run, "category=nothing") == []
    assert rows(client, accepted_run, "q=pompe") == [4]
    assert rows(client, accepted_run, "sort=-book_value") == [4, 2, 3, 5, 6]


def test_a_line_carries_its_amounts_to_the_cent_and_the_page_its_totals(world: World, accepted_run: ValuationRun):
    answer = token_client(world.advisor_a).get(f"/api/runs/{accepted_run.pk}/lines/").json()
    by_row = {line["row"]: line for line in answer["results"]}
    # Row 2: 1 250,5 × 12,3456 = 15 438,17 eligible; row 6: 0,125 → 0,13 half-up.
    assert (by_row[2]["sku"], Decimal(by_row[2]["book_value"]), Decimal(by_row[2]["eligible"])) == (
        "A001",
        Decimal("15438.17"),
        Decimal("15438.17"),
    )
    assert Decimal(by_row[6]["book_value"]) == Decimal("0.13")
    assert (Decimal(by_row[3]["ineligible"]), by_row[3]["reason"]) == (Decimal("6000.00"), "wip")
    assert by_row[2]["reason"] == ""
    assert Decimal(answer["totals"]["book_value"]) == BOOK
    assert Decimal(answer["totals"]["eligible"]) == ELIGIBLE
    assert Decimal(answer["totals"]["ineligible"]) == Decimal("6999.90")
    filtered = token_client(world.advisor_a).get(f"/api/runs/{accepted_run.pk}/lines/?status=ineligible").json()
    assert Decimal(filtered["totals"]["book_value"]) == Decimal("6999.90")  # 6 000,00 + 999,90


def test_lines_come_50_a_page(world: World, django_capture_on_commit_callbacks):
    """120 lines of 1 × 1,00 (finished goods, all eligible): pages of 50, 50 and 20."""
    body = "\n".join(
        ["SKU;Description;Category;Warehouse;Quantity;Unit cost"] + [f"S{n:03d};Item;PF;W01;1;1,00" for n in range(120)]
    )
    with django_capture_on_commit_callbacks(execute=True):
        answer = post_file(token_client(world.advisor_a), world, (body + "\n").encode())
    run = ValuationRun.objects.get(upload_id=answer.json()["id"], facility=world.facility_x)
    client = token_client(world.advisor_a)
    first = client.get(f"/api/runs/{run.pk}/lines/").json()
    assert (first["count"], first["num_pages"], first["previous"]) == (120, 3, None)
    assert [x["row"] for x in first["results"]] == list(range(2, 52))
    assert Decimal(first["totals"]["book_value"]) == Decimal("120.00")
    second = client.get(first["next"]).json()
    assert [x["row"] for x in second["results"]] == list(range(52, 102))
    third = client.get(second["next"]).json()
    assert [x["row"] for x in third["results"]] == list(range(102, 122)) and third["next"] is None
    assert client.get(third["previous"]).json()["page"] == 2


@pytest.mark.parametrize(
    ("query", "field"),
    [("page=0", "page"), ("page=abc", "page"), ("status=maybe", "status"), ("sort=price", "sort")],
)
def test_bad_line_queries_name_the_parameter(world: World, accepted_run: ValuationRun, query: str, field: str):
    answer = token_client(world.advisor_a).get(f"/api/runs/{accepted_run.pk}/lines/?{query}")
    assert answer.status_code == 400 and field in answer.json()["fields"]


def test_a_run_without_a_lines_file_has_no_lines(world: World):
    answer = token_client(world.advisor_a).get(f"/api/runs/{world.run_x.pk}/lines/").json()
    assert (answer["count"], answer["results"]) == (0, [])


def test_runs_filter_by_upload_facility_and_status(world: World, accepted_run: ValuationRun):
    client = token_client(world.advisor_a)
    ids = lambda query: [r["id"] for r in client.get(f"/api/runs/?{query}").json()["results"]]  # noqa: E731
    assert ids(f"upload={accepted_run.upload_id}") == [accepted_run.pk]
    assert set(ids(f"facility={world.facility_x.pk}")) == {accepted_run.pk, world.run_x.pk}
    assert ids("status=failed") == []
    answer = client.get("/api/runs/?status=sideways")
    assert answer.status_code == 400 and "status" in answer.json()["fields"]


def test_a_client_user_sees_only_completed_runs_of_its_company(world: World, accepted_run: ValuationRun):
    ValuationRun.objects.filter(pk=accepted_run.pk).update(status="running")
    listed = token_client(world.client_user_x).get("/api/runs/").json()["results"]
    assert [r["id"] for r in listed] == [world.run_x.pk]
    assert token_client(world.client_user_y).get("/api/runs/").json()["results"] == []


def test_lists_take_a_fixed_number_of_queries(world: World, django_assert_max_num_queries):
    for n in range(15):
        upload = StockUpload.objects.create(
            client=world.client_x,
            file=world.upload_x.file.name,
            original_name=f"s{n}.csv",
            checksum=f"{n:064d}",
            size=1,
            uploaded_by=world.advisor_a,
            as_of=AS_OF,
        )
        ValuationRun.objects.create(facility=world.facility_x, upload=upload, as_of=AS_OF, terms_hash=str(n))
    client = token_client(world.advisor_a)
    with django_assert_max_num_queries(4):  # token + user, count, page, runs (prefetched)
        assert client.get("/api/uploads/").json()["count"] == 16
    with django_assert_max_num_queries(3):
        assert client.get("/api/runs/").json()["count"] == 16


def test_uploads_per_person_are_rate_limited_with_a_clear_answer(world: World, settings):
    """Past the hourly allowance an upload is refused with 429, when to come back, and a message;
    nothing is stored, and another person is not held back."""
    settings.STOCK_UPLOADS_PER_HOUR = 3
    client = token_client(world.client_user_x)
    before = StockUpload.objects.count()
    for _n in range(2):  # the world's own upload was the CFO's first of the hour
        assert post_file(client, world).status_code == 202
    refused = post_file(client, world)
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    body = refused.json()
    assert body["error"] == "throttled" and "3 stock files in the last hour" in body["detail"]
    assert StockUpload.objects.count() == before + 2
    assert post_file(token_client(world.advisor_a), world).status_code == 202
    StockUpload.objects.filter(uploaded_by=world.client_user_x).update(
        uploaded_at=timezone.now() - dt.timedelta(hours=2)
    )
    assert post_file(client, world).status_code == 202  # an hour later, allowed again
