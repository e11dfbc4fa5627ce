"""Log-in with lock-out after repeated failures, counted in the database for every process."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest
from django.utils import timezone

from borrowers.models import FailedLogin

log = logging.getLogger("stockpledge.auth")


def _client_ip(request: HttpRequest | None) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


def is_locked_out(email: str) -> bool:
    since = timezone.now() - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    recent = FailedLogin.objects.filter(email=email.strip().lower(), at__gte=since).count()
    return recent >= settings.LOGIN_FAILURE_LIMIT


class LockoutModelBackend(ModelBackend):
    """Refuses any log-in for an e-mail with too many recent failures, even a correct one."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        email = (username or kwargs.get("email") or "").strip().lower()
        if not email or password is None:
            return None
        if is_locked_out(email):
            log.warning("login refused: locked out", extra={"object": email, "outcome": "locked"})
            return None
        user = super().authenticate(request, username=email, password=password, **kwargs)
        if user is None:
            FailedLogin.objects.create(email=email, ip_address=_client_ip(request))
            log.warning("login failed", extra={"object": email, "outcome": "failed"})
        else:
            FailedLogin.objects.filter(email=email).delete()
            log.info("login", extra={"user": user.pk, "outcome": "ok"})
        return user
