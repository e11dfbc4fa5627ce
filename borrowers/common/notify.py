"""Notifications: an inbox row per person and an e-mail, for any floor to call.

Every app tells people about an event through `notify` (never by sending mail itself)::

    from borrowers.common.notify import notify
    from borrowers.models import NotificationKind

    notify(
        users=advisors,
        kind=NotificationKind.DELIVERABLE_LATE,
        title=lambda: _("%(client)s: the stock file for %(month)s is late") % {...},
        url=reverse("valuation:client-detail", args=[client.pk]),
        subject_key=f"deliverable:{deliverable.pk}:late",
    )

- ``title`` and ``body`` are a string or a callable returning one: a callable is called once per
  person inside ``translation.override(user.language)``, so each reads it in their own language
  (pass a callable whenever the text is translated).
- ``subject_key`` names the event: the same (person, kind, key) is recorded once, however often
  the event is reported (a redelivered task, a second click). Leave it empty only for events that
  cannot repeat.
- Each person's preference for the kind decides: in the inbox (``in_app``), by e-mail
  (``email``), both, or neither (no row at all). E-mail goes out after the transaction commits,
  from a task (``borrowers.send_notification_email``), never in the request; with the daily
  digest switched on it waits for ``borrowers.send_daily_digests``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from borrowers.common import queueing
from borrowers.models import (
    Notification,
    NotificationKind,
    NotificationPreference,
    NotificationSettings,
    Role,
    User,
)

log = logging.getLogger("stockpledge.notify")

Text = str | Callable[[], str]
K = NotificationKind

# The kinds that concern each role enough to e-mail by default (every kind is in the inbox).
EMAIL_BY_DEFAULT: dict[str, frozenset[str]] = {
    Role.ADVISOR: frozenset({K.UPLOAD_REJECTED, K.DELIVERABLE_LATE, K.ALERT_RAISED, K.BANK_COMMENT, K.BANK_DECISION}),
    Role.CLIENT: frozenset(
        {
            K.UPLOAD_ACCEPTED,
            K.UPLOAD_REJECTED,
            K.DELIVERABLE_DUE,
            K.DELIVERABLE_LATE,
            K.REPORT_SHARED,
            K.CERTIFICATE_WAITING,
        }
    ),
    Role.BANK: frozenset({K.REPORT_SHARED, K.DELIVERABLE_LATE, K.ALERT_RAISED}),
    Role.CONTROLLER: frozenset({K.FIELD_EXAM_DECIDED}),
}


@dataclass(frozen=True, slots=True)
class Preference:
    kind: str
    in_app: bool
    email: bool


def default_preference(user: User, kind: str) -> Preference:
    """Without a saved choice: in the inbox always, by e-mail for the kinds that concern the role."""
    return Preference(kind=kind, in_app=True, email=kind in EMAIL_BY_DEFAULT.get(user.role, frozenset()))


def preferences(user: User) -> list[Preference]:
    """The user's choice for every kind, in the order of the kinds (saved rows over the defaults)."""
    saved = {p.kind: p for p in NotificationPreference.objects.filter(user=user)}
    return [
        Preference(kind=kind, in_app=saved[kind].in_app, email=saved[kind].email)
        if kind in saved
        else default_preference(user, kind)
        for kind in NotificationKind.values
    ]


def digest_on(user: User) -> bool:
    return NotificationSettings.objects.filter(user=user, daily_digest=True).exists()


@transaction.atomic
def save_preferences(*, user: User, choices: dict[str, tuple[bool, bool]], daily_digest: bool) -> None:
    """Store the user's (in_app, email) per kind and the digest switch (one row per kind)."""
    for kind, (in_app, email) in choices.items():
        if kind not in NotificationKind.values:
            continue
        NotificationPreference.objects.update_or_create(
            user=user, kind=kind, defaults={"in_app": bool(in_app), "email": bool(email)}
        )
    NotificationSettings.objects.update_or_create(user=user, defaults={"daily_digest": bool(daily_digest)})


def _text(value: Text) -> str:
    return str(value() if callable(value) else value)


def firm_advisors(firm_id: int):  # type: ignore[no-untyped-def]
    """Who is told for a firm: its active advisors."""
    return User.objects.filter(role=Role.ADVISOR, firm_id=firm_id, is_active=True)


def client_users(client_id: int):  # type: ignore[no-untyped-def]
    """Who is told for a client company: its active users."""
    return User.objects.filter(role=Role.CLIENT, client_id=client_id, is_active=True)


def lender_users(lender_id: int):  # type: ignore[no-untyped-def]
    """Who is told for a lender: its active bank users."""
    return User.objects.filter(role=Role.BANK, lender_id=lender_id, is_active=True)


def _recipients(users: Iterable[User]) -> list[User]:
    seen: set[int] = set()
    people = []
    for user in users:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        people.append(user)
    return people


def notify(
    *, users: Iterable[User], kind: str, title: Text, body: Text = "", url: str = "", subject_key: str = ""
) -> list[Notification]:
    """Record the event for each person as their preferences say and queue the e-mails on commit;
    returns the rows created (none for a person who wants neither, or already has this event)."""
    if kind not in NotificationKind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    people = _recipients(users)
    if not people:
        return []
    ids = [u.pk for u in people]
    saved = {p.user_id: p for p in NotificationPreference.objects.filter(user_id__in=ids, kind=kind)}
    digest = set(
        NotificationSettings.objects.filter(user_id__in=ids, daily_digest=True).values_list("user_id", flat=True)
    )
    already = (
        set(
            Notification.objects.filter(user_id__in=ids, kind=kind, subject_key=subject_key).values_list(
                "user_id", flat=True
            )
        )
        if subject_key
        else set()
    )
    created = []
    for user in people:
        choice = saved.get(user.pk) or default_preference(user, kind)
        if not (choice.in_app or choice.email) or user.pk in already:
            continue
        with translation.override(user.language or settings.LANGUAGE_CODE):
            texts = {"title": _text(title)[:300], "body": _text(body)}
        try:
            with transaction.atomic():  # a savepoint: a concurrent notify of the same event wins
                notification = Notification.objects.create(
                    user=user,
                    kind=kind,
                    url=url[:500],
                    subject_key=subject_key[:200],
                    in_app=choice.in_app,
                    wants_email=choice.email and bool(user.email),
                    **texts,
                )
        except IntegrityError:
            continue
        created.append(notification)
        if notification.wants_email and user.pk not in digest:
            from borrowers import tasks

            queueing.send_on_commit(tasks.send_notification_email, notification.pk)
    return created


def inbox(user: User):  # type: ignore[no-untyped-def]
    """The user's own inbox: unread first, then newest first (access decides "own")."""
    from borrowers.common import access

    unread = ExpressionWrapper(Q(read_at__isnull=True), output_field=BooleanField())
    return access.scope(Notification.objects.filter(in_app=True), user).order_by(unread.desc(), "-created_at", "-id")


def unread_count(user: User) -> int:
    """One COUNT query: the badge in the top navigation."""
    if not getattr(user, "is_authenticated", False):
        return 0
    return Notification.objects.filter(user_id=user.pk, in_app=True, read_at__isnull=True).count()


def mark_read(*, user: User, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications (or all of them) read; returns how many changed."""
    rows = Notification.objects.filter(user_id=user.pk, read_at__isnull=True)
    if notification_id is not None:
        rows = rows.filter(pk=notification_id)
    return rows.update(read_at=timezone.now())


# --------------------------------------------------------------------------------- e-mail


def absolute(url: str) -> str:
    if not url or url.startswith(("http://", "https://")):
        return url
    return settings.SITE_URL.rstrip("/") + url


def _send(user: User, subject: str, template: str, context: dict[str, Any]) -> None:
    with translation.override(user.language or settings.LANGUAGE_CODE):
        context = {**context, "user": user, "site_url": settings.SITE_URL}
        text = render_to_string(f"notifications/{template}.txt", context)
        html = render_to_string(f"notifications/{template}.html", context)
        message = EmailMultiAlternatives(
            subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email]
        )
    message.attach_alternative(html, "text/html")
    message.send()


def send_email(*, notification_id: int) -> bool:
    """E-mail one notification, once. The row is claimed by a conditional UPDATE of emailed_at, so
    a redelivered task (or a second one) sends nothing; a failed send hands the claim back and
    re-raises, for the task to retry. True when this call sent it."""
    claimed_at = timezone.now()
    claimed = Notification.objects.filter(pk=notification_id, wants_email=True, emailed_at__isnull=True).update(
        emailed_at=claimed_at
    )
    if not claimed:
        return False
    notification = Notification.objects.select_related("user").get(pk=notification_id)
    user = notification.user
    if not (user.is_active and user.email):
        return False
    try:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject = f"[StockPledge] {notification.title}"
            _send(
                user,
                subject,
                "email",
                {"notification": notification, "link": absolute(notification.url)},
            )
    except Exception:
        Notification.objects.filter(pk=notification_id, emailed_at=claimed_at).update(emailed_at=None)
        raise
    log.info("notification e-mailed", extra={"object": f"notification:{notification_id}", "outcome": "sent"})
    return True


def digest_users() -> list[int]:
    """The people with the daily digest on and something to tell them."""
    return list(
        NotificationSettings.objects.filter(
            daily_digest=True,
            user__is_active=True,
            user__notifications__wants_email=True,
            user__notifications__emailed_at__isnull=True,
        )
        .values_list("user_id", flat=True)
        .distinct()
    )


def send_digest(*, user_id: int, now: dt.datetime | None = None) -> int:
    """One e-mail listing the user's notifications not e-mailed yet (and not read meanwhile, which
    are then just marked done); returns how many it listed. Claimed like `send_email`."""
    now = now or timezone.now()
    user = User.objects.get(pk=user_id)
    pending = Notification.objects.filter(user_id=user_id, wants_email=True, emailed_at__isnull=True)
    # Already read in the inbox: nothing to tell by e-mail.
    pending.filter(read_at__isnull=False).update(emailed_at=now)
    ids = list(pending.filter(read_at__isnull=True).values_list("pk", flat=True))
    if not ids or not (user.is_active and user.email):
        return 0
    claimed = Notification.objects.filter(pk__in=ids, emailed_at__isnull=True).update(emailed_at=now)
    if not claimed:
        return 0
    items = list(Notification.objects.filter(pk__in=ids, emailed_at=now).order_by("created_at", "id"))
    try:
        with translation.override(user.language or settings.LANGUAGE_CODE):
            subject = "[StockPledge] " + _("Your daily summary: %(n)s notifications") % {"n": len(items)}
            links = [(item, absolute(item.url)) for item in items]
            _send(user, subject, "digest", {"items": links, "inbox": absolute(_inbox_url())})
    except Exception:
        Notification.objects.filter(pk__in=ids, emailed_at=now).update(emailed_at=None)
        raise
    return len(items)


def _inbox_url() -> str:
    from django.urls import reverse

    return reverse("borrowers:notification-list")
