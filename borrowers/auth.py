"""Log-in throttled after repeated failures, per account and address, counted in the database for
every process."""

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


def client_ip(request: HttpRequest | None) -> str | None:
    """The caller's address: REMOTE_ADDR, or behind ``TRUSTED_PROXY_COUNT`` proxies (the load
    balancer) the address the first of them saw, read from the right of X-Forwarded-For — the
    entries further left are the caller's to write and prove nothing."""
    if request is None:
        return None
    proxies = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0))
    if proxies > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")


def is_locked_out(email: str, ip_address: str | None = None) -> bool:
    """Whether a log-in for `email` from `ip_address` is refused for now, before any password is
    checked. Three counts, so that a stranger cannot lock a known user out for long:

    - this account from this address (``LOGIN_FAILURE_LIMIT`` in ``LOGIN_LOCKOUT_MINUTES``): the
      one who guesses is stopped, while the owner on another address logs in as usual;
    - this address whatever the account (``LOGIN_ADDRESS_LIMIT``): one address trying many accounts;
    - this account from every address (``LOGIN_ACCOUNT_LIMIT`` in ``LOGIN_ACCOUNT_LOCKOUT_MINUTES``,
      a few minutes): a guess spread over many addresses slows down, and the lock ends soon.
    """
    email = email.strip().lower()
    now = timezone.now()
    window = FailedLogin.objects.filter(at__gte=now - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES))
    if ip_address:
        if window.filter(email=email, ip_address=ip_address).count() >= settings.LOGIN_FAILURE_LIMIT:
            return True
        if window.filter(ip_address=ip_address).count() >= settings.LOGIN_ADDRESS_LIMIT:
            return True
    elif window.filter(email=email, ip_address__isnull=True).count() >= settings.LOGIN_FAILURE_LIMIT:
        return True
    account_window = now - timedelta(minutes=settings.LOGIN_ACCOUNT_LOCKOUT_MINUTES)
    return FailedLogin.objects.filter(email=email, at__gte=account_window).count() >= settings.LOGIN_ACCOUNT_LIMIT


class LockoutModelBackend(ModelBackend):
    """Refuses any log-in for an e-mail with too many recent failures, even a correct one."""

    def authenticate(
        self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any
    ) -> Any:
        email = (username or kwargs.get("email") or "").strip().lower()
        if not email or password is None:
            return None
        if is_locked_out(email, client_ip(request)):
            log.warning("login refused: locked out", extra={"object": email, "outcome": "locked"})
            return None
        user = super().authenticate(request, username=email, password=password, **kwargs)
        if user is None:
            FailedLogin.objects.create(email=email, ip_address=client_ip(request))
            log.warning("login failed", extra={"object": email, "outcome": "failed"})
        else:
            # A success clears this address's failures for the account, not a stranger's elsewhere.
            FailedLogin.objects.filter(email=email, ip_address=client_ip(request)).delete()
            log.info("login", extra={"user": user.pk, "outcome": "ok"})
        return user
