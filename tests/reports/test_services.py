"""Report workflows: numbering, certification before sharing, sharing and withdrawal, comments,
decisions, access logging; each refusal names its field."""

from __future__ import annotations

import pytest

from borrowers.common.errors import DomainError
from borrowers.models import AuditEvent
from facilities.models import Structure
from reports import services
from reports.models import Certification, RenderStatus, ReportAccess, ReportKind, ReportVersion
from tests.engine.helpers import lines
from tests.reports.conftest import TERMS_B, issue_and_render, make_run


def visible(user) -> set[int]:
    return set(ReportVersion.objects.visible_to(user).values_list("pk", flat=True))


@pytest.fixture
def certificate(world, django_capture_on_commit_callbacks) -> ReportVersion:
    run = make_run(world, lines(["8000000"]), TERMS_B, structure=Structure.BORROWING_BASE)
    return issue_and_render(
        run, world.advisor_a, kind=ReportKind.BORROWING_BASE_CERTIFICATE, capture=django_capture_on_commit_callbacks
    )


def test_versions_are_numbered_per_facility_and_kind_and_signed(world, run_a, django_capture_on_commit_callbacks):
    first = issue_and_render(run_a, world.advisor_a, capture=django_capture_on_commit_callbacks)
    second = issue_and_render(run_a, world.advisor_a, capture=django_capture_on_commit_callbacks)
    assert (first.number, second.number) == (1, 2)
    assert first.author == world.advisor_a and first.context["author_name"] == str(world.advisor_a)
    assert first.language == "fr"  # the client's report language by default
    assert AuditEvent.objects.filter(action="report.issued", object_id=str(first.pk)).exists()


def test_only_the_firms_advisors_issue(world, run_a):
    for user in (world.advisor_b, world.client_user_x, world.bank_shared):
        with pytest.raises(DomainError) as error:
            services.issue_report(run=run_a, by=user)
        assert error.value.field == "by"


def test_a_certificate_needs_a_borrowing_base_facility(world, run_a):
    with pytest.raises(DomainError) as error:
        services.issue_report(run=run_a, by=world.advisor_a, kind=ReportKind.BORROWING_BASE_CERTIFICATE)
    assert error.value.field == "kind"


def test_an_unfinished_run_is_refused(world, run_a):
    run_a.status = "running"
    run_a.save()
    with pytest.raises(DomainError) as error:
        services.issue_report(run=run_a, by=world.advisor_a)
    assert error.value.field == "run"


def test_a_certificate_is_certified_before_it_is_shared(world, certificate, django_capture_on_commit_callbacks):
    with pytest.raises(DomainError) as error:
        services.share_report(report=certificate, lender=world.lender_a, by=world.advisor_a)
    assert error.value.field == "report" and "certify" in error.value.message
    with pytest.raises(DomainError):
        services.certify(report=certificate, by=world.client_user_y, signatory_name="Y", statement="ok")
    with pytest.raises(DomainError):
        services.certify(report=certificate, by=world.advisor_a, signatory_name="A", statement="ok")
    with pytest.raises(DomainError) as error:
        services.certify(report=certificate, by=world.client_user_x, signatory_name=" ", statement="ok")
    assert error.value.field == "signatory_name"
    with django_capture_on_commit_callbacks(execute=True):
        made = services.certify(
            report=certificate,
            by=world.client_user_x,
            signatory_name="Claire Martin",
            signatory_title="CFO",
            statement="I certify these figures.",
        )
    assert made.certified_by == world.client_user_x
    event = AuditEvent.objects.get(action="report.certified")
    assert event.after["signatory_name"] == "Claire Martin" and event.actor == world.client_user_x
    with pytest.raises(DomainError) as error:
        services.certify(report=certificate, by=world.client_user_x, signatory_name="X", statement="again")
    assert error.value.code == "already_certified"
    certificate.refresh_from_db()
    assert certificate.render_status == RenderStatus.READY  # rendered again with the certification block
    from tests.reports.conftest import pdf_text

    assert "Claire Martin" in pdf_text(certificate)
    share = services.share_report(report=certificate, lender=world.lender_a, by=world.advisor_a)
    assert share.withdrawn_at is None
    assert certificate.pk in visible(world.bank_shared)


def test_share_and_withdraw_decide_what_the_lender_sees(world, run_a, django_capture_on_commit_callbacks):
    report = issue_and_render(run_a, world.advisor_a, capture=django_capture_on_commit_callbacks)
    assert report.pk not in visible(world.bank_shared)
    share = services.share_report(report=report, lender=world.lender_a, by=world.advisor_a)
    assert services.share_report(report=report, lender=world.lender_a, by=world.advisor_a) == share  # once
    assert report.pk in visible(world.bank_shared)
    assert report.pk not in visible(world.bank_unshared)
    assert report.pk not in visible(world.client_user_x)  # sharing with a lender is not with the client
    assert report.pk not in visible(world.advisor_b)
    services.withdraw_share(share=share, by=world.advisor_a)
    assert report.pk not in visible(world.bank_shared)
    assert AuditEvent.objects.filter(action="report.share_withdrawn").count() == 1
    with pytest.raises(DomainError) as error:
        services.share_report(report=report, lender=world.lender_b, by=world.advisor_a)
    assert error.value.field == "lender"


def test_decisions_come_from_a_lender_it_is_shared_with(world, certificate):
    Certification.objects.create(
        report=certificate, signatory_name="C", statement="s", certified_by=world.client_user_x
    )
    services.share_report(report=certificate, lender=world.lender_a, by=world.advisor_a)
    for user in (world.bank_unshared, world.advisor_a, world.client_user_x):
        with pytest.raises(DomainError) as error:
            services.record_decision(report=certificate, by=user, decision="approve")
        assert error.value.code == "forbidden"
    with pytest.raises(DomainError) as error:
        services.record_decision(report=certificate, by=world.bank_shared, decision="changes")
    assert error.value.field == "comment"
    with pytest.raises(DomainError) as error:
        services.record_decision(report=certificate, by=world.bank_shared, decision="maybe")
    assert error.value.field == "decision"
    waived = services.record_decision(
        report=certificate, by=world.bank_shared, decision="waive", comment="Reserve on WIP waived this month"
    )
    assert (waived.lender, waived.author, waived.decision) == (world.lender_a, world.bank_shared, "waive")
    approved = services.record_decision(report=certificate, by=world.bank_shared, decision="approve")
    assert approved.comment == ""
    assert AuditEvent.objects.filter(action="report.decision.waive").exists()


def test_waiving_is_for_certificates_only(world):
    with pytest.raises(DomainError) as error:
        services.record_decision(report=world.report_x, by=world.bank_shared, decision="waive", comment="x")
    assert error.value.field == "decision"


def test_comments_from_advisors_and_the_shared_lender_only(world):
    services.add_comment(report=world.report_x, author=world.advisor_a, body="Figures as of October.")
    services.add_comment(report=world.report_x, author=world.bank_shared, body="Why is WIP excluded?")
    for user in (world.bank_unshared, world.client_user_x, world.advisor_b):
        with pytest.raises(DomainError):
            services.add_comment(report=world.report_x, author=user, body="hello")
    with pytest.raises(DomainError) as error:
        services.add_comment(report=world.report_x, author=world.advisor_a, body="   ")
    assert error.value.field == "body"
    assert world.report_x.comments.count() == 2


def test_access_is_logged_and_audited(world):
    services.record_access(report=world.report_x, user=world.bank_shared, action="view")
    services.record_access(report=world.report_x, user=world.bank_shared, action="download")
    assert list(ReportAccess.objects.values_list("action", flat=True).order_by("id")) == ["view", "download"]
    assert AuditEvent.objects.filter(action__in=["report.view", "report.download"]).count() == 2
    with pytest.raises(DomainError):
        services.record_access(report=world.report_x, user=world.bank_shared, action="print")


def test_a_render_is_claimed_once(world, run_a, django_capture_on_commit_callbacks):
    """A re-delivered render task finds the version already done and leaves it alone."""
    report = issue_and_render(run_a, world.advisor_a, capture=django_capture_on_commit_callbacks)
    name = report.pdf.name
    assert services.render_pdf(report_id=report.pk) is False
    report.refresh_from_db()
    assert report.pdf.name == name and report.render_attempts == 1


def test_a_crashing_render_is_marked_failed_with_a_reason(world, run_a):
    from reports import tasks

    report = services.issue_report(run=run_a, by=world.advisor_a)  # on_commit not run: still queued
    ReportVersion.objects.filter(pk=report.pk).update(context={"kind": "financing_report", "result": "not a dict"})
    tasks.render_report.apply(args=[report.pk])
    report.refresh_from_db()
    assert report.render_status == RenderStatus.FAILED and report.failure_reason


def test_clients_follow_a_render_but_not_a_failed_one_and_lenders_wait_for_the_pdf(world, run_a):
    report = services.issue_report(run=run_a, by=world.advisor_a)  # the render is still queued
    services.share_report(report=report, lender=world.lender_a, by=world.advisor_a)
    services.share_with_client(report=report, by=world.advisor_a)
    assert report.pk in visible(world.client_user_x)
    assert report.pk not in visible(world.bank_shared)  # a lender sees a finished PDF only
    ReportVersion.objects.filter(pk=report.pk).update(render_status=RenderStatus.FAILED)
    assert report.pk not in visible(world.client_user_x)


def test_a_financing_report_reaches_the_client_only_when_shared_with_it_as_the_client_copy(
    world, run_a, django_capture_on_commit_callbacks
):
    """Issued is not shared: the client's users see a financing report once an advisor shares it
    with them, and download a copy without the levers and the line annex unless included."""
    from tests.reports.conftest import pdf_text

    report = issue_and_render(run_a, world.advisor_a, language="en", capture=django_capture_on_commit_callbacks)
    assert report.pk not in visible(world.client_user_x)
    with pytest.raises(DomainError) as error:
        services.share_with_client(report=report, by=world.client_user_x)
    assert error.value.code == "forbidden"
    assert not report.client_pdf  # no client copy is rendered for a version never shared with the client
    with django_capture_on_commit_callbacks(execute=True):
        services.share_with_client(report=report, by=world.advisor_a)
    report.refresh_from_db()
    assert report.pk in visible(world.client_user_x) and report.pk not in visible(world.client_user_y)
    full, copy = pdf_text(report), _pdf_file_text(report.client_pdf)
    assert "Levers" in full and "Levers" not in copy
    assert report.pdf_for(world.client_user_x) == report.client_pdf
    assert report.pdf_for(world.bank_shared) == report.pdf
    with django_capture_on_commit_callbacks(execute=True):
        services.share_with_client(report=report, by=world.advisor_a, include_levers=True)
    report.refresh_from_db()
    assert "Levers" in _pdf_file_text(report.client_pdf)
    assert AuditEvent.objects.filter(action="report.shared_with_client").count() == 2
    services.withdraw_from_client(report=report, by=world.advisor_a)
    assert report.pk not in visible(world.client_user_x)


def _pdf_file_text(field) -> str:  # type: ignore[no-untyped-def]
    import io

    from pypdf import PdfReader

    with field.open("rb") as handle:
        return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(handle.read())).pages)


def test_no_report_from_a_file_the_client_mapped_until_an_advisor_confirms_the_mapping(world, run_a):
    """Figures read with columns the borrower chose itself (a resale price taken for the unit cost
    would raise them) do not reach a bank before an advisor has confirmed that mapping."""
    from django.utils import timezone

    from valuation.models import ClientMapping

    mapping = ClientMapping.objects.create(
        client=world.client_x, signature="s" * 64, headers=["Ref", "Qty", "Price"], proposed_by=world.client_user_x
    )
    run_a.upload.column_mapping = mapping
    run_a.upload.save(update_fields=["column_mapping"])
    with pytest.raises(DomainError) as error:
        services.issue_report(run=run_a, by=world.advisor_a)
    assert error.value.code == "unconfirmed_mapping" and error.value.field == "run"
    assert not ReportVersion.objects.filter(run=run_a).exists()
    mapping.confirmed_by, mapping.confirmed_at = world.advisor_a, timezone.now()
    mapping.save()
    assert services.issue_report(run=run_a, by=world.advisor_a).run_id == run_a.pk


def test_a_version_shared_with_the_client_before_its_render_gets_its_client_copy_from_that_render(
    world, run_a, django_capture_on_commit_callbacks
):
    report = services.issue_report(run=run_a, by=world.advisor_a, language="en")  # its render still queued
    services.share_with_client(report=report, by=world.advisor_a, include_annex=True)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.render_pdf(report_id=report.pk)
    report.refresh_from_db()
    assert report.render_status == RenderStatus.READY and report.client_pdf
    copy = _pdf_file_text(report.client_pdf)
    assert "Levers" not in copy and "Levers" in _pdf_file_text(report.pdf)
