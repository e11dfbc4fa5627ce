"""Notifications (issue 15): preferences, de-duplication, e-mail retried and sent once, the daily
digest, the hooks in the upload pipeline and the report workflows, the inbox and its badge."""

from __future__ import annotations

import smtplib

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.test import Client
from django.urls import reverse
from django.utils import translation

from borrowers import tasks
from borrowers.common import notify as notify_module
from borrowers.common.notify import notify, save_preferences
from borrowers.models import Notification, NotificationKind, NotificationPreference
from facilities.models import Structure
from reports import services as report_services
from reports.models import ReportKind
from tests.engine.helpers import lines
from tests.pipeline.conftest import AS_OF, BAD_CSV, GOOD_CSV, csv_file
from tests.reports.conftest import TERMS_B, make_run
from valuation.models import UploadStatus
from valuation.pipeline import services as pipeline_services

pytestmark = pytest.mark.django_db
K = NotificationKind


class FlakyBackend(EmailBackend):
    """The locmem backend, but the mail server refuses the first message it is given."""

    calls = 0

    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        type(self).calls += 1
        if type(self).calls == 1:
            raise smtplib.SMTPServerDisconnected("connection unexpectedly closed")
        return super().send_messages(messages)


def rows(user) -> list[Notification]:
    return list(Notification.objects.filter(user=user))


def send(capture, **kwargs):
    with capture(execute=True):
        return notify(**kwargs)


# ------------------------------------------------------------------------------- preferences


def test_defaults_put_every_kind_in_the_inbox_and_email_what_concerns_the_role(
    world, django_capture_on_commit_callbacks
):
    # A client user is e-mailed when its file is accepted; an advisor is not by default.
    send(
        django_capture_on_commit_callbacks,
        users=[world.client_user_x, world.advisor_a],
        kind=K.UPLOAD_ACCEPTED,
        title="Stock file accepted",
        body="5 lines",
        url="/uploads/1/",
    )
    assert len(rows(world.client_user_x)) == 1 and len(rows(world.advisor_a)) == 1
    assert [m.to for m in mail.outbox] == [[world.client_user_x.email]]
    message = mail.outbox[0]
    assert message.subject == "[StockPledge] Stock file accepted"
    assert "5 lines" in message.body and "http://localhost:8000/uploads/1/" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html" and 'href="http://localhost:8000/uploads/1/"' in html
    assert rows(world.client_user_x)[0].emailed_at is not None


def test_no_mail_is_sent_in_the_request_only_once_the_transaction_commits(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notify(users=[world.client_user_x], kind=K.REPORT_SHARED, title="Shared")
    assert mail.outbox == [] and len(callbacks) == 1


def test_in_app_and_email_off_records_nothing(world, django_capture_on_commit_callbacks):
    save_preferences(user=world.client_user_x, choices={K.REPORT_SHARED: (False, False)}, daily_digest=False)
    created = send(django_capture_on_commit_callbacks, users=[world.client_user_x], kind=K.REPORT_SHARED, title="x")
    assert created == [] and rows(world.client_user_x) == [] and mail.outbox == []


def test_in_app_off_keeps_it_out_of_the_inbox_but_still_emails(world, django_capture_on_commit_callbacks):
    save_preferences(user=world.client_user_x, choices={K.REPORT_SHARED: (False, True)}, daily_digest=False)
    send(django_capture_on_commit_callbacks, users=[world.client_user_x], kind=K.REPORT_SHARED, title="Shared")
    assert list(notify_module.inbox(world.client_user_x)) == []
    assert notify_module.unread_count(world.client_user_x) == 0
    assert len(mail.outbox) == 1


def test_email_off_means_no_mail(world, django_capture_on_commit_callbacks):
    save_preferences(user=world.client_user_x, choices={K.REPORT_SHARED: (True, False)}, daily_digest=False)
    send(django_capture_on_commit_callbacks, users=[world.client_user_x], kind=K.REPORT_SHARED, title="Shared")
    assert len(rows(world.client_user_x)) == 1 and mail.outbox == []


def test_the_digest_replaces_immediate_mails_with_one_a_day(world, django_capture_on_commit_callbacks):
    save_preferences(user=world.client_user_x, choices={}, daily_digest=True)
    send(django_capture_on_commit_callbacks, users=[world.client_user_x], kind=K.REPORT_SHARED, title="Report one")
    send(django_capture_on_commit_callbacks, users=[world.client_user_x], kind=K.UPLOAD_ACCEPTED, title="File two")
    # An advisor without the digest is not in the daily run (their e-mails went at once, or not at all).
    send(django_capture_on_commit_callbacks, users=[world.advisor_a], kind=K.BANK_COMMENT, title="Comment")
    assert [m.to for m in mail.outbox] == [[world.advisor_a.email]]
    mail.outbox.clear()

    assert tasks.send_daily_digests.apply().get() == 1
    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert digest.to == [world.client_user_x.email]
    assert digest.subject == "[StockPledge] Your daily summary: 2 notifications"
    assert "Report one" in digest.body and "File two" in digest.body
    assert "Report one" in digest.alternatives[0][0]
    # The next day's run has nothing more to tell.
    assert tasks.send_daily_digests.apply().get() == 0
    assert len(mail.outbox) == 1


def test_the_digest_leaves_out_what_was_already_read(world, django_capture_on_commit_callbacks):
    save_preferences(user=world.client_user_x, choices={}, daily_digest=True)
    first, *_ = send(django_capture_on_commit_callbacks, users=[world.client_user_x], kind=K.REPORT_SHARED, title="A")
    send(django_capture_on_commit_callbacks, users=[world.client_user_x], kind=K.REPORT_SHARED, title="B")
    notify_module.mark_read(user=world.client_user_x, notification_id=first.pk)
    assert notify_module.send_digest(user_id=world.client_user_x.pk) == 1
    assert "B" in mail.outbox[0].body and "- " in mail.outbox[0].body


def test_the_preferences_page_saves_each_kind_and_the_digest(world, django_capture_on_commit_callbacks):
    client = Client()
    client.force_login(world.bank_shared)
    page = client.get(reverse("borrowers:notification-preferences"))
    assert page.status_code == 200
    # Bank default: report_shared by e-mail is ticked, bank_comment is not.
    assert 'name="report_shared__email" id="id_report_shared__email" checked' in page.content.decode()
    assert 'name="bank_comment__email" id="id_bank_comment__email">' in page.content.decode()
    data = {f"{kind}__in_app": "on" for kind in K.values}
    data.pop("report_shared__in_app")
    data["daily_digest"] = "on"
    response = client.post(reverse("borrowers:notification-preferences"), data)
    assert response.status_code == 302
    saved = NotificationPreference.objects.get(user=world.bank_shared, kind=K.REPORT_SHARED)
    assert (saved.in_app, saved.email) == (False, False)
    assert notify_module.digest_on(world.bank_shared)
    send(django_capture_on_commit_callbacks, users=[world.bank_shared], kind=K.REPORT_SHARED, title="x")
    assert rows(world.bank_shared) == []


def test_a_bad_preferences_post_is_no_server_error(world):
    client = Client()
    client.force_login(world.advisor_a)
    response = client.post(reverse("borrowers:notification-preferences"), {"daily_digest": ["x"] * 3, "nope": "1"})
    assert response.status_code in (200, 302)


# -------------------------------------------------------------------- language, de-duplication


def test_each_person_reads_the_text_in_their_own_language(world, django_capture_on_commit_callbacks):
    world.client_user_x.language = "fr"
    world.client_user_x.save(update_fields=["language"])
    with translation.override("en"):
        send(
            django_capture_on_commit_callbacks,
            users=[world.client_user_x, world.advisor_a],
            kind=K.REPORT_SHARED,
            title=lambda: f"title in {translation.get_language()}",
        )
    assert rows(world.client_user_x)[0].title == "title in fr"
    assert rows(world.advisor_a)[0].title == "title in en"


def test_the_same_event_notifies_each_person_once(world, django_capture_on_commit_callbacks):
    for _attempt in range(3):
        send(
            django_capture_on_commit_callbacks,
            users=[world.client_user_x, world.client_user_x],
            kind=K.REPORT_SHARED,
            title="Shared",
            subject_key="share:7",
        )
    assert len(rows(world.client_user_x)) == 1 and len(mail.outbox) == 1
    # Another event (another key) does notify.
    send(
        django_capture_on_commit_callbacks,
        users=[world.client_user_x],
        kind=K.REPORT_SHARED,
        title="x",
        subject_key="share:8",
    )
    assert len(rows(world.client_user_x)) == 2


def test_an_unknown_kind_is_refused(world):
    with pytest.raises(ValueError):
        notify(users=[world.advisor_a], kind="coffee_ready", title="x")


# ------------------------------------------------------------------------ sending, retried once


def test_a_refused_send_is_retried_and_the_mail_goes_out_once(world, settings, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "tests.ui.test_notifications.FlakyBackend"
    FlakyBackend.calls = 0
    with django_capture_on_commit_callbacks(execute=False):
        (note,) = notify(users=[world.client_user_x], kind=K.REPORT_SHARED, title="Shared")
    result = tasks.send_notification_email.apply(args=[note.pk])
    # In eager mode autoretry runs the retry at once inside apply(): the first try was refused
    # (the claim handed back), the retry claimed the row again and sent it.
    assert FlakyBackend.calls == 2
    assert result.state == "SUCCESS" and result.get() is True
    assert len(mail.outbox) == 1
    note.refresh_from_db()
    assert note.emailed_at is not None


def test_a_redelivered_task_sends_nothing_twice(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        (note,) = notify(users=[world.client_user_x], kind=K.REPORT_SHARED, title="Shared")
    assert tasks.send_notification_email.apply(args=[note.pk]).get() is True
    first_sent = Notification.objects.get(pk=note.pk).emailed_at
    assert tasks.send_notification_email.apply(args=[note.pk]).get() is False
    assert len(mail.outbox) == 1
    assert Notification.objects.get(pk=note.pk).emailed_at == first_sent


def test_a_send_that_keeps_failing_gives_the_claim_back(world, settings, django_capture_on_commit_callbacks):
    class Down(EmailBackend):
        def send_messages(self, messages):  # type: ignore[no-untyped-def]
            raise smtplib.SMTPConnectError(421, "service not available")

    settings.EMAIL_BACKEND = f"{__name__}.DownBackend"
    globals()["DownBackend"] = Down
    with django_capture_on_commit_callbacks(execute=False):
        (note,) = notify(users=[world.client_user_x], kind=K.REPORT_SHARED, title="Shared")
    with pytest.raises(smtplib.SMTPConnectError):
        notify_module.send_email(notification_id=note.pk)
    note.refresh_from_db()
    assert note.emailed_at is None  # the next retry (or delivery) may claim it


# -------------------------------------------------------------------------------------- hooks


def upload(world, capture, content: bytes):
    with capture(execute=True):
        created = pipeline_services.create_upload(
            client=world.client_x, by=world.client_user_x, file=csv_file(content), as_of=AS_OF
        )
    created.refresh_from_db()
    return created


def test_an_accepted_file_notifies_its_uploader_and_the_firms_advisors(world, django_capture_on_commit_callbacks):
    accepted = upload(world, django_capture_on_commit_callbacks, GOOD_CSV)
    assert accepted.status == UploadStatus.ACCEPTED
    # (The valuation may also open alerts, notified on their own: tests/workspace/test_monitoring.py.)
    Notification.objects.filter(kind=K.ALERT_RAISED).delete()
    mail.outbox[:] = [m for m in mail.outbox if "stock file" in m.subject]
    for person in (world.client_user_x, world.advisor_a):
        (note,) = rows(person)
        assert note.kind == K.UPLOAD_ACCEPTED
        assert note.url == reverse("valuation:upload-detail", args=[accepted.pk])
        assert note.title == "Xylo Industries: stock file etat-stock-novembre.csv accepted"
        assert note.body.startswith("5 lines")
    assert rows(world.advisor_b) == [] and rows(world.client_user_y) == [] and rows(world.bank_shared) == []
    # The client user is e-mailed by default; the advisor only reads it in the inbox.
    assert [m.to for m in mail.outbox] == [[world.client_user_x.email]]


def test_a_rejected_file_notifies_and_emails_uploader_and_advisors(world, django_capture_on_commit_callbacks):
    rejected = upload(world, django_capture_on_commit_callbacks, BAD_CSV)
    assert rejected.status == UploadStatus.REJECTED
    assert [n.kind for n in rows(world.client_user_x)] == [K.UPLOAD_REJECTED]
    assert [n.kind for n in rows(world.advisor_a)] == [K.UPLOAD_REJECTED]
    assert sorted(m.to[0] for m in mail.outbox) == sorted([world.client_user_x.email, world.advisor_a.email])


def test_an_advisor_rejecting_a_file_notifies_the_uploader_not_themself(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        pipeline_services.reject_upload(upload=world.upload_x, by=world.advisor_a, reason="Wrong month")
    (note,) = rows(world.client_user_x)
    assert note.kind == K.UPLOAD_REJECTED and "Wrong month" in note.body
    assert rows(world.advisor_a) == []


def test_a_report_shared_with_a_lender_reaches_its_bank_users(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report_services.share_report(report=world.report_x, lender=world.lender_a2, by=world.advisor_a)
        # Sharing again with the same lender is no new event.
        report_services.share_report(report=world.report_x, lender=world.lender_a2, by=world.advisor_a)
    (note,) = rows(world.bank_unshared)
    assert note.kind == K.REPORT_SHARED
    assert note.url == reverse("reports:report-detail", args=[world.report_x.pk])
    assert rows(world.bank_shared) == []
    assert [m.to for m in mail.outbox] == [[world.bank_unshared.email]]


def test_a_report_shared_with_the_client_reaches_the_clients_users(world, django_capture_on_commit_callbacks):
    report_services.withdraw_from_client(report=world.report_x, by=world.advisor_a)
    with django_capture_on_commit_callbacks(execute=False):
        report_services.share_with_client(report=world.report_x, by=world.advisor_a)
        # Changing what the shared copy includes is no new share.
        report_services.share_with_client(report=world.report_x, by=world.advisor_a, include_levers=True)
    assert [n.kind for n in rows(world.client_user_x)] == [K.REPORT_SHARED]
    assert rows(world.client_user_y) == []


def test_a_bank_comment_and_decision_reach_the_firms_advisors(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report_services.add_comment(report=world.report_x, author=world.bank_shared, body="Please explain the WIP")
        report_services.record_decision(
            report=world.report_x, by=world.bank_shared, decision="changes", comment="Add the aged stock"
        )
    comment, decision = sorted(rows(world.advisor_a), key=lambda n: n.pk)
    assert comment.kind == K.BANK_COMMENT and comment.body == "Please explain the WIP"
    assert comment.title == "Banque Un commented on Financing report no. 1 of Pledge 2026"
    assert decision.kind == K.BANK_DECISION and decision.body == "Add the aged stock"
    assert decision.title == "Banque Un decided on Financing report no. 1 of Pledge 2026: Ask for changes"
    assert rows(world.advisor_b) == [] and rows(world.bank_shared) == []
    # Advisors are e-mailed about both by default.
    assert [m.to for m in mail.outbox] == [[world.advisor_a.email]] * 2


def test_an_advisors_own_comment_notifies_nobody(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report_services.add_comment(report=world.report_x, author=world.advisor_a, body="Noted")
    assert Notification.objects.count() == 0


def test_an_issued_certificate_waits_for_the_clients_users(world, django_capture_on_commit_callbacks):
    run = make_run(world, lines(["8000000"]), TERMS_B, structure=Structure.BORROWING_BASE)
    with django_capture_on_commit_callbacks(execute=False):
        certificate = report_services.issue_report(
            run=run, by=world.advisor_a, kind=ReportKind.BORROWING_BASE_CERTIFICATE
        )
    (note,) = rows(world.client_user_x)
    assert note.kind == K.CERTIFICATE_WAITING
    assert note.url == reverse("reports:report-detail", args=[certificate.pk])
    assert rows(world.client_user_y) == [] and rows(world.advisor_a) == []


# ---------------------------------------------------------------------------- inbox and badge


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_inbox_shows_only_ones_own_unread_first(world):
    mine_old = Notification.objects.create(user=world.client_user_x, kind=K.REPORT_SHARED, title="Old one, unread")
    mine_read = Notification.objects.create(user=world.client_user_x, kind=K.REPORT_SHARED, title="Newer, read")
    notify_module.mark_read(user=world.client_user_x, notification_id=mine_read.pk)
    Notification.objects.create(user=world.client_user_y, kind=K.REPORT_SHARED, title="Yarn's own")
    Notification.objects.create(user=world.advisor_a, kind=K.BANK_COMMENT, title="Advisor's own")
    page = logged_in(world.client_user_x).get(reverse("borrowers:notification-list")).content.decode()
    assert "Old one, unread" in page and "Newer, read" in page
    assert page.index("Old one, unread") < page.index("Newer, read")
    assert "Yarn's own" not in page and "Advisor's own" not in page
    assert [n.pk for n in notify_module.inbox(world.client_user_x)] == [mine_old.pk, mine_read.pk]


def test_marking_someone_elses_notification_is_a_404(world):
    theirs = Notification.objects.create(user=world.advisor_a, kind=K.BANK_COMMENT, title="x")
    response = logged_in(world.advisor_b).post(reverse("borrowers:notification-read", args=[theirs.pk]))
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_opening_marks_read_and_goes_to_the_page(world):
    note = Notification.objects.create(user=world.advisor_a, kind=K.BANK_COMMENT, title="x", url="/reports/1/")
    outside = Notification.objects.create(
        user=world.advisor_a, kind=K.BANK_COMMENT, title="y", url="https://evil.test/"
    )
    client = logged_in(world.advisor_a)
    response = client.post(reverse("borrowers:notification-read", args=[note.pk]), {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/reports/1/"
    response = client.post(reverse("borrowers:notification-read", args=[outside.pk]), {"open": "1"})
    assert response["Location"] == reverse("borrowers:notification-list")
    assert Notification.objects.filter(read_at__isnull=True).count() == 0


def test_mark_all_read_touches_only_ones_own(world):
    Notification.objects.create(user=world.advisor_a, kind=K.BANK_COMMENT, title="a")
    Notification.objects.create(user=world.advisor_a, kind=K.BANK_DECISION, title="b")
    other = Notification.objects.create(user=world.advisor_b, kind=K.BANK_COMMENT, title="c")
    response = logged_in(world.advisor_a).post(reverse("borrowers:notification-read-all"))
    assert response.status_code == 302
    assert notify_module.unread_count(world.advisor_a) == 0
    other.refresh_from_db()
    assert other.read_at is None


def test_the_badge_counts_ones_unread_notifications(world, django_assert_max_num_queries):
    for title in ("a", "b", "c"):
        Notification.objects.create(user=world.bank_shared, kind=K.REPORT_SHARED, title=title)
    read = Notification.objects.create(user=world.bank_shared, kind=K.REPORT_SHARED, title="d")
    notify_module.mark_read(user=world.bank_shared, notification_id=read.pk)
    Notification.objects.create(user=world.bank_unshared, kind=K.REPORT_SHARED, title="not theirs")
    page = logged_in(world.bank_shared).get(reverse("borrowers:notification-preferences")).content.decode()
    assert '<span class="badge badge-info" id="unread-count"><span class="sr-only">unread: </span>3</span>' in page
    # None: no badge at all; anonymous visitors see no inbox link.
    page = logged_in(world.client_user_y).get(reverse("borrowers:notification-preferences")).content.decode()
    assert 'id="unread-count"' not in page
    assert "notification-list" not in Client().get(reverse("login")).content.decode()
    with django_assert_max_num_queries(1):
        assert notify_module.unread_count(world.bank_shared) == 3
