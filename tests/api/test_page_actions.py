"""What the pages do, through the API (issue 13, item 6): the mapping of a stock file (read,
confirm or correct, preview), rejecting a file and processing it again, the audit trail, the
invitations and a report's access log. Each action has the same effect as on its page (state and
audit event, through the same services and forms), the same roles may do it, and a bad input is
a 400 naming the field, never a 500. Schema conformance: test_page_actions_schema.py."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from borrowers.models import AuditEvent, Invitation
from reports import services as report_services
from tests.api.conftest import token_client
from tests.conftest import World
from tests.pipeline.conftest import upload_csv  # noqa: F401 - real, processed stock files
from tests.workspace.conftest import make_run, make_upload
from valuation.models import ClientMapping, RunStatus, StockUpload, UploadStatus
from valuation.pipeline import services

pytestmark = pytest.mark.django_db

OUTSIDERS = ("advisor_b", "client_user_y", "bank_shared", "bank_unshared")


def _url(route: str, pk: int) -> str:
    return reverse(route, args=[pk])


def _post(client: Client, url: str, data: dict | None = None):
    return client.post(url, data or {}, content_type="application/json")


# ------------------------------------------------------------------------------------ mapping


def test_the_mapping_reads_as_on_the_page_with_samples_and_fields(world: World, upload_csv):  # noqa: F811
    upload = upload_csv(world)
    for persona in ("advisor_a", "client_user_x"):
        answer = token_client(world.persona(persona)).get(_url("upload-mapping", upload.pk))
        assert answer.status_code == 200, (persona, answer.content)
        body = answer.json()
        assert body["upload"] == upload.pk and body["status"] == "detected" and body["saved"] is None
        columns = {c["header"]: c for c in body["columns"]}
        assert columns["Qté"]["field"] == "quantity" and columns["Code article"]["samples"] == ["A001", "B002", "C003"]
        fields = {f["name"]: f for f in body["canonical_fields"]}
        assert fields["quantity"]["meaning"] == "Units on hand at the stock date." and fields["quantity"]["required"]


def test_only_those_who_may_map_the_file_reach_its_mapping(world: World, upload_csv):  # noqa: F811
    upload = upload_csv(world)
    for persona in OUTSIDERS:
        client = token_client(world.persona(persona))
        assert client.get(_url("upload-mapping", upload.pk)).status_code == 404, persona
        for route in ("upload-mapping", "upload-mapping-preview"):
            answer = _post(client, _url(route, upload.pk), {"columns": {"Qté": None}})
            assert answer.status_code == 404 and answer.json()["error"] == "not_found", (persona, route)
    assert Client().get(_url("upload-mapping", upload.pk)).status_code == 401
    assert not ClientMapping.objects.exists()


def test_client_proposes_a_mapping_and_an_advisor_confirms_it_as_on_the_page(
    world: World,
    upload_csv,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    """The page's test (tests/workspace/test_mapping_page.py), through the API."""
    upload = upload_csv(world)
    cfo, advisor = token_client(world.client_user_x), token_client(world.advisor_a)
    url = _url("upload-mapping", upload.pk)
    with django_capture_on_commit_callbacks(execute=True):
        answer = _post(cfo, url, {"columns": {"Date dernier mouvement": None}})
    assert answer.status_code == 202, answer.content
    assert answer.json()["status_url"].endswith(f"/api/uploads/{upload.pk}/")
    upload.refresh_from_db()
    assert upload.status == UploadStatus.ACCEPTED and "last_movement_date" not in upload.columns  # processed at once
    saved = ClientMapping.objects.get(client=world.client_x)
    assert saved.proposed_by == world.client_user_x and saved.mapped_by_client and upload.column_mapping == saved
    assert AuditEvent.objects.filter(action="propose-mapping", actor=world.client_user_x).count() == 1
    shown = advisor.get(url).json()
    assert shown["status"] == "mapped_by_client" and shown["saved"]["proposed_by"] == "cfo@xylo.test"

    # The advisor confirms it unchanged: nothing is processed again.
    with django_capture_on_commit_callbacks(execute=True) as queued:
        answer = _post(advisor, url, {})
    assert answer.status_code == 200 and queued == [], answer.content
    assert answer.json()["status"] == "confirmed" and answer.json()["saved"]["confirmed_by"] == "advisor@alpha.test"
    saved.refresh_from_db()
    assert saved.confirmed_by == world.advisor_a and not saved.mapped_by_client
    assert AuditEvent.objects.filter(action="confirm-mapping", actor=world.advisor_a).count() == 1


def test_an_advisor_s_correction_is_confirmed_and_the_file_processed_again(
    world: World,
    upload_csv,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    upload = upload_csv(world)
    with django_capture_on_commit_callbacks(execute=True):
        answer = _post(
            token_client(world.advisor_a),
            _url("upload-mapping", upload.pk),
            {"columns": {"Date dernier mouvement": ""}},
        )
    assert answer.status_code == 202
    upload.refresh_from_db()
    saved = ClientMapping.objects.get(client=world.client_x)
    assert saved.confirmed_by == world.advisor_a and saved.mapping["columns"]["Date dernier mouvement"] is None
    assert upload.status == UploadStatus.ACCEPTED and "last_movement_date" not in upload.columns
    event = AuditEvent.objects.get(action="confirm-mapping")
    assert event.actor == world.advisor_a and event.object_id == str(upload.pk)


@pytest.mark.parametrize(
    ("columns", "header", "message"),
    [
        ({"Nope": "quantity"}, "Nope", "Not a column of this file."),
        ({"Qté": "sku"}, "Qté", "is already fed by"),
        ({"Qté": "bogus"}, "Qté", "Select a valid choice."),
    ],
)
def test_a_bad_mapping_is_a_400_naming_the_column(world: World, upload_csv, columns, header, message):  # noqa: F811
    upload = upload_csv(world)
    client = token_client(world.advisor_a)
    for route in ("upload-mapping", "upload-mapping-preview"):
        answer = _post(client, _url(route, upload.pk), {"columns": columns})
        assert answer.status_code == 400, (route, answer.content)
        body = answer.json()
        by_column = body["fields"]["columns"]
        # A clash names both columns' roles; which of the two carries it follows the stored
        # header order, which PostgreSQL's jsonb does not keep: the named column or its rival.
        named = by_column.get(header) or [m for messages in by_column.values() for m in messages]
        assert body["error"] == "invalid" and message in " ".join(named), body
    assert not ClientMapping.objects.exists()


@pytest.mark.parametrize("body", [{"columns": ["Qté"]}, {"columns": "quantity"}, {"columns": {"Qté": ["x"]}}])
def test_a_mapping_of_the_wrong_shape_is_a_400_naming_columns(world: World, upload_csv, body):  # noqa: F811
    upload = upload_csv(world)
    answer = _post(token_client(world.advisor_a), _url("upload-mapping", upload.pk), body)
    assert answer.status_code == 400 and "columns" in answer.json()["fields"], answer.content


def test_not_json_is_a_400_never_a_500(world: World, upload_csv):  # noqa: F811
    upload = upload_csv(world)
    answer = token_client(world.advisor_a).post(
        _url("upload-mapping", upload.pk), "{not json", content_type="application/json"
    )
    assert answer.status_code == 400 and answer.json()["error"] == "parse_error"


def test_nothing_to_map_while_the_file_is_processed_is_a_409(world: World):
    upload = make_upload(world.client_x, world.client_user_x, as_of=dt.date(2026, 11, 1), status=UploadStatus.RUNNING)
    StockUpload.objects.filter(pk=upload.pk).update(mapping={"columns": {"Qté": "quantity"}})
    client = token_client(world.advisor_a)
    for answer in (client.get(_url("upload-mapping", upload.pk)), _post(client, _url("upload-mapping", upload.pk))):
        assert answer.status_code == 409 and answer.json()["error"] == "not_ready", answer.content
    # The world's file was never read: nothing to map either.
    assert client.get(_url("upload-mapping", world.upload_x.pk)).status_code == 409


def test_the_preview_reads_the_first_lines_with_totals_by_category_and_saves_nothing(
    world: World,
    upload_csv,  # noqa: F811
):
    """As the page's preview: raw materials 15 438,17 + 0,13 = 15 438,30, work in progress
    6 000,00, finished goods 7 500 375,00 + 999,90 = 7 501 374,90."""
    upload = upload_csv(world)
    client = token_client(world.client_user_x)
    answer = _post(client, _url("upload-mapping-preview", upload.pk))
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert len(body["rows"]) == 5 and body["rows"][0]["row"] == 2 and body["rows"][0]["values"]["sku"] == "A001"
    assert body["rows"][0]["values"]["last_movement_date"] == "2026-09-15"
    totals = {t["category"]: (t["lines"], Decimal(t["book_value"])) for t in body["totals"]}
    assert sorted(totals.values()) == [(1, Decimal("6000.00")), (2, Decimal("15438.30")), (2, Decimal("7501374.90"))]
    # Ignoring "Qté": nothing has a quantity, no line reads and the missing column is named.
    answer = _post(client, _url("upload-mapping-preview", upload.pk), {"columns": {"Qté": None}})
    assert answer.status_code == 200 and answer.json()["rows"] == []
    assert any("quantity" in (p["field"] or "") + p["message"] for p in answer.json()["problems"])
    assert not ClientMapping.objects.exists() and not AuditEvent.objects.filter(action__contains="mapping").exists()


# ------------------------------------------------------------------------ reject, reprocess


def _newer_upload_with_run(world: World):
    newer = make_upload(world.client_x, world.client_user_x, as_of=dt.date(2026, 11, 10))
    run = make_run(world.facility_x, newer, book_value=Decimal("10.00"), financing=Decimal("2.00"))
    assert services.current_run(world.facility_x) == run
    return newer, run


def test_an_advisor_rejects_an_accepted_file_as_on_the_page(world: World):
    newer, run = _newer_upload_with_run(world)
    client = token_client(world.advisor_a)
    answer = _post(client, _url("upload-reject", newer.pk), {"reason": "Wrong warehouse exported"})
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "rejected" and "Wrong warehouse exported" in answer.json()["failure_reason"]
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED and services.current_run(world.facility_x) == world.run_x
    event = AuditEvent.objects.get(action="reject-upload")
    assert event.actor == world.advisor_a and event.after["runs_withdrawn"] == [run.pk]
    again = _post(client, _url("upload-reject", newer.pk), {"reason": "again"})
    assert again.status_code == 400
    assert again.json()["fields"]["reason"] == ["Only an accepted stock file can be rejected."]


@pytest.mark.parametrize("data", [{}, {"reason": "   "}, {"reason": "x" * 501}, {"reason": None}])
def test_a_rejection_needs_a_reason(world: World, data):
    newer, _run = _newer_upload_with_run(world)
    answer = _post(token_client(world.advisor_a), _url("upload-reject", newer.pk), data)
    assert answer.status_code == 400 and "reason" in answer.json()["fields"], answer.content
    newer.refresh_from_db()
    assert newer.status == UploadStatus.ACCEPTED and not AuditEvent.objects.filter(action="reject-upload").exists()


def test_only_the_firm_s_advisors_reject_or_process_again(world: World):
    """The company's own user reads the file (403: not its to review, as the page hides the form);
    anyone else does not see it (404)."""
    newer, _run = _newer_upload_with_run(world)
    for persona, code in (("client_user_x", 403), *((p, 404) for p in OUTSIDERS)):
        client = token_client(world.persona(persona))
        assert _post(client, _url("upload-reject", newer.pk), {"reason": "no"}).status_code == code, persona
        assert _post(client, _url("upload-reprocess", newer.pk)).status_code == code, persona
    assert _post(Client(), _url("upload-reject", newer.pk), {"reason": "no"}).status_code == 401
    newer.refresh_from_db()
    assert newer.status == UploadStatus.ACCEPTED and not AuditEvent.objects.exists()


def test_a_rejected_file_is_processed_again_and_accepted(
    world: World,
    upload_csv,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    upload = upload_csv(world)
    client = token_client(world.advisor_a)
    assert _post(client, _url("upload-reject", upload.pk), {"reason": "Checking"}).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        answer = _post(client, _url("upload-reprocess", upload.pk))
    assert answer.status_code == 202 and answer["Location"] == answer.json()["status_url"], answer.content
    assert answer.json()["status"] == "queued"
    upload.refresh_from_db()
    assert upload.status == UploadStatus.ACCEPTED
    assert services.current_run(world.facility_x).upload_id == upload.pk
    event = AuditEvent.objects.get(action="reprocess-upload")
    assert event.actor == world.advisor_a and event.before == {"status": "rejected"}


def test_a_file_being_processed_is_not_processed_again(world: World):
    upload = make_upload(world.client_x, world.client_user_x, as_of=dt.date(2026, 11, 1), status=UploadStatus.QUEUED)
    answer = _post(token_client(world.advisor_a), _url("upload-reprocess", upload.pk))
    assert answer.status_code == 409 and answer.json()["error"] == "not_ready"
    assert not AuditEvent.objects.exists()


# ------------------------------------------------------------------- the page and the API alike


def _page_mapping_form(upload: StockUpload, **changes: str | None) -> dict[str, str]:
    columns = dict(upload.mapping["columns"]) | changes
    return {f"h{i}": (target or "") for i, target in enumerate(columns.values())}


@pytest.mark.parametrize("door", ["page", "api"])
def test_a_rejection_is_the_same_through_the_page_and_the_api(world: World, door: str):
    newer, run = _newer_upload_with_run(world)
    if door == "page":
        page = Client()
        page.force_login(world.advisor_a)
        answer = page.post(reverse("valuation:upload-reject", args=[newer.pk]), {"reason": "Wrong file"})
        assert answer.status_code == 302
    else:
        answer = _post(token_client(world.advisor_a), _url("upload-reject", newer.pk), {"reason": "Wrong file"})
        assert answer.status_code == 200
    newer.refresh_from_db()
    run.refresh_from_db()
    assert (newer.status, newer.failure_reason) == ("rejected", "Stock file rejected by advisor@alpha.test: Wrong file")
    assert run.status == RunStatus.FAILED and run.failure_reason == newer.failure_reason
    event = AuditEvent.objects.get()
    assert (event.action, event.actor, event.object_type, event.object_id) == (
        "reject-upload",
        world.advisor_a,
        "valuation.StockUpload",
        str(newer.pk),
    )
    assert event.before == {"status": "accepted"}
    assert event.after == {"status": "rejected", "reason": "Wrong file", "runs_withdrawn": [run.pk]}


@pytest.mark.parametrize("door", ["page", "api"])
def test_a_client_s_mapping_is_the_same_through_the_page_and_the_api(
    world: World,
    upload_csv,  # noqa: F811
    django_capture_on_commit_callbacks,
    door: str,
):
    upload = upload_csv(world)
    AuditEvent.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        if door == "page":
            page = Client()
            page.force_login(world.client_user_x)
            form = _page_mapping_form(upload, **{"Date dernier mouvement": None})
            assert page.post(reverse("valuation:upload-mapping", args=[upload.pk]), form).status_code == 302
        else:
            asked = {"columns": {"Date dernier mouvement": None}}
            answer = _post(token_client(world.client_user_x), _url("upload-mapping", upload.pk), asked)
            assert answer.status_code == 202
    upload.refresh_from_db()
    saved = ClientMapping.objects.get()
    assert upload.status == UploadStatus.ACCEPTED and "last_movement_date" not in upload.columns
    assert saved.proposed_by == world.client_user_x and saved.confirmed_by is None
    assert saved.mapping["columns"]["Date dernier mouvement"] is None and saved.mapping["columns"]["Qté"] == "quantity"
    assert [(e.action, e.actor) for e in AuditEvent.objects.filter(action__contains="mapping")] == [
        ("propose-mapping", world.client_user_x)
    ]


# ------------------------------------------------------------------------------ audit trail


def test_the_audit_trail_is_the_firm_s_advisors_with_the_page_s_filter(world: World):
    newer, _run = _newer_upload_with_run(world)
    services.reject_upload(upload=newer, by=world.advisor_a, reason="Wrong file")
    report_services.record_access(report=world.report_x, user=world.bank_shared, action="view")
    client = token_client(world.advisor_a)
    body = client.get("/api/audit/").json()
    assert body["count"] == 2 and {e["action"] for e in body["results"]} == {"reject-upload", "report.view"}
    rejected = client.get("/api/audit/", {"type": "valuation.StockUpload"}).json()
    assert rejected["count"] == 1
    event = rejected["results"][0]
    assert event["actor_name"] == "advisor@alpha.test" and event["object_id"] == str(newer.pk)
    assert (
        event["client"] == world.client_x.pk
        and {"field": "status", "before": "accepted", "after": "rejected"} in (event["changes"])
    )
    # Another firm's advisor, the client's and the bank's users read nothing of it.
    for persona in ("advisor_b", "client_user_x", "bank_shared"):
        assert token_client(world.persona(persona)).get("/api/audit/").json()["count"] == 0, persona


def test_the_audit_trail_pages_by_50_and_refuses_a_bad_filter(world: World):
    AuditEvent.objects.bulk_create(
        AuditEvent(firm=world.firm_a, action="update", object_type="x.Y", object_id=str(i), object_repr="y")
        for i in range(51)
    )
    client = token_client(world.advisor_a)
    first = client.get("/api/audit/").json()
    assert first["count"] == 51 and len(first["results"]) == 50 and first["next"].endswith("page=2")
    assert len(client.get("/api/audit/", {"page": 2}).json()["results"]) == 1
    assert client.get("/api/audit/", {"page": 9}).status_code == 404
    answer = client.get("/api/audit/", {"type": "x" * 101})
    assert answer.status_code == 400 and "type" in answer.json()["fields"]
    assert client.get("/api/audit/", {"type": "a\x00b"}).status_code == 400


# ------------------------------------------------------------------------------ invitations


def test_an_advisor_invites_a_client_user_as_on_the_page_and_no_token_is_shown(
    world: World, mailoutbox, django_capture_on_commit_callbacks
):
    client = token_client(world.advisor_a)
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post(
            "/api/invitations/",
            {"email": "Treasurer@Xylo.test", "role": "client", "client": world.client_x.pk},
            content_type="application/json",
        )
    assert answer.status_code == 201, answer.content
    invitation = Invitation.objects.get()
    body = answer.json()
    assert (
        body["email"] == "treasurer@xylo.test" and body["status"] == "pending" and body["client"] == world.client_x.pk
    )
    assert invitation.token not in answer.content.decode() and "token" not in body
    assert len(mailoutbox) == 1 and invitation.token in mailoutbox[0].body  # the link goes to the invitee only
    event = AuditEvent.objects.get(action="invite")
    assert event.actor == world.advisor_a and "token" not in event.after
    listed = client.get("/api/invitations/")
    assert listed.json()["count"] == 1 and invitation.token not in listed.content.decode()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "new@xylo.test", "role": "client"}, "client"),
        ({"email": "new@xylo.test", "role": "bank"}, "lender"),
        ({"email": "cfo@xylo.test", "role": "client", "client": "client_x"}, "email"),
        ({"email": "not an address", "role": "client"}, "email"),
        ({"email": "new@xylo.test", "role": "owner"}, "role"),
        ({"email": "new@xylo.test", "role": "client", "client": "client_b"}, "client"),
        ({"email": "new@xylo.test", "role": "bank", "lender": "lender_b"}, "lender"),
        ({"email": "new@xylo.test", "role": "client", "client": "nope"}, "client"),
    ],
)
def test_a_bad_invitation_is_a_400_naming_the_field(world: World, data, field):
    for key in ("client", "lender"):
        if isinstance(data.get(key), str) and hasattr(world, data[key]):
            data = data | {key: getattr(world, data[key]).pk}
    answer = token_client(world.advisor_a).post("/api/invitations/", data, content_type="application/json")
    assert answer.status_code == 400 and field in answer.json()["fields"], answer.content
    assert not Invitation.objects.exists()


def test_only_a_firm_administrator_invites_an_advisor(world: World):
    world.advisor_a.is_firm_admin = False
    world.advisor_a.save()
    answer = token_client(world.advisor_a).post(
        "/api/invitations/", {"email": "new@alpha.test", "role": "advisor"}, content_type="application/json"
    )
    assert answer.status_code == 400 and "role" in answer.json()["fields"]
    world.advisor_a.is_firm_admin = True
    world.advisor_a.save()
    answer = token_client(world.advisor_a).post(
        "/api/invitations/", {"email": "new@alpha.test", "role": "advisor"}, content_type="application/json"
    )
    assert answer.status_code == 201 and Invitation.objects.get().role == "advisor"


def test_only_advisors_invite_and_each_firm_lists_its_own(world: World):
    Invitation.objects.create(
        firm=world.firm_a, email="a@x.test", role="client", client=world.client_x, invited_by=world.advisor_a
    )
    for persona in ("client_user_x", "bank_shared"):
        client = token_client(world.persona(persona))
        answer = client.post(
            "/api/invitations/",
            {"email": "friend@x.test", "role": "client", "client": world.client_x.pk},
            content_type="application/json",
        )
        assert answer.status_code == 403, persona
        assert client.get("/api/invitations/").json()["count"] == 0, persona
    assert token_client(world.advisor_b).get("/api/invitations/").json()["count"] == 0
    assert Invitation.objects.count() == 1


# ------------------------------------------------------------------------------- access log


def test_the_access_log_shows_the_firm_s_advisors_who_read_the_report(world: World):
    bank = token_client(world.bank_shared)
    assert bank.get(f"/api/reports/{world.report_x.pk}/").status_code == 200  # logged
    answer = token_client(world.advisor_a).get(_url("report-access-log", world.report_x.pk))
    assert answer.status_code == 200
    entry = answer.json()["results"][0]
    assert answer.json()["count"] == 1
    assert (entry["user_name"], entry["party"], entry["action"]) == ("analyst@banque-un.test", "Banque Un", "view")
    # Those who only read the report are told 403, outsiders 404.
    assert bank.get(_url("report-access-log", world.report_x.pk)).status_code == 403
    assert token_client(world.client_user_x).get(_url("report-access-log", world.report_x.pk)).status_code == 403
    for persona in ("advisor_b", "client_user_y", "bank_unshared"):
        assert token_client(world.persona(persona)).get(_url("report-access-log", world.report_x.pk)).status_code == 404


def test_an_api_url_that_matches_no_route_answers_the_json_404(world: World):
    """An id that is not a number never reaches a view: the resolver's 404 is the API's JSON one
    under /api/ (as the schema says), the site's page elsewhere."""
    client = token_client(world.advisor_a)
    for url in ("/api/uploads/x/mapping/", "/api/reports/%C2%96/access-log/", "/api/nothing-here/"):
        answer = client.get(url)
        assert answer.status_code == 404 and answer["Content-Type"] == "application/json", url
        assert answer.json()["error"] == "not_found", url
    page = client.get("/uploads/x/mapping/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
