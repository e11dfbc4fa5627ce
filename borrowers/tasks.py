"""Celery tasks of the ground floor: notification e-mails (borrowers.common.notify does the work).

An e-mail is claimed on its row (emailed_at, a conditional UPDATE) before it is sent, so a
redelivered message sends nothing twice; an SMTP or network error hands the claim back and the
task retries with backoff."""

from __future__ import annotations

import smtplib

from celery import shared_task

from borrowers.common import notify, queueing

# What a retry can cure: the mail server refused or dropped us, or the network did.
TRANSIENT = (smtplib.SMTPException, OSError)  # OSError: socket, connection and timeout errors
MAIL_OPTIONS = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT,
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "max_retries": 5,
    "soft_time_limit": 60,
    "time_limit": 90,
}


@shared_task(name="borrowers.send_notification_email", **MAIL_OPTIONS)
def send_notification_email(notification_id: int) -> bool:
    return notify.send_email(notification_id=notification_id)


@shared_task(name="borrowers.send_digest", **MAIL_OPTIONS)
def send_digest(user_id: int) -> int:
    return notify.send_digest(user_id=user_id)


@shared_task(name="borrowers.send_daily_digests", acks_late=True)
def send_daily_digests() -> int:
    """Once a day (CELERY_BEAT_SCHEDULE): one digest task per person with the digest on and
    something not yet e-mailed; each is claimed and retried on its own."""
    users = notify.digest_users()
    for user_id in users:
        queueing.send(send_digest, user_id)
    return len(users)
