"""Health answers: liveness for load balancers, readiness for operators.

- ``/health/`` (liveness): this web process is up and serving. It touches nothing else, so a
  load balancer keeps routing to healthy web processes while the workers or the broker are down
  (uploads are then stored and queued, and picked up by the sweep).
- ``/health/ready/`` (readiness): the database, Redis and the number of live Celery workers, 503
  when one is missing. It names the services and workers, so it is for operators only: a staff
  user's session, or ``Authorization: Bearer <HEALTH_TOKEN>``; anyone else gets 404.
"""

from __future__ import annotations

import hmac
import logging
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import Http404, HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

log = logging.getLogger("stockpledge.health")


def _database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return {"ok": True, "vendor": connection.vendor}
    except Exception as error:  # noqa: BLE001 - any failure means "not healthy", reported as text
        return {"ok": False, "error": str(error)}


def _redis() -> dict[str, Any]:
    if not settings.REDIS_URL:
        return {"ok": True, "mode": "not configured: tasks run in-process"}
    try:
        import redis

        redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2).ping()
        return {"ok": True}
    except Exception as error:  # noqa: BLE001
        return {"ok": False, "error": str(error)}


def _workers() -> dict[str, Any]:
    if not settings.REDIS_URL:
        return {"ok": True, "mode": "in-process", "count": 0}
    from config.celery_app import app

    try:
        replies = app.control.inspect(timeout=1.0).ping() or {}
    except Exception as error:  # noqa: BLE001
        return {"ok": False, "error": str(error), "count": 0}
    return {"ok": bool(replies), "count": len(replies), "workers": sorted(replies)}


@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """Liveness: answering at all is the answer."""
    return JsonResponse({"status": "ok"})


def _is_operator(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and user.is_active and user.is_staff:
        return True
    token = getattr(settings, "HEALTH_TOKEN", "")
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return bool(token and given and hmac.compare_digest(given.encode(), token.encode()))


@never_cache
def readiness(request: HttpRequest) -> JsonResponse:
    if not _is_operator(request):
        raise Http404
    checks = {"database": _database(), "redis": _redis(), "celery": _workers()}
    healthy = all(check["ok"] for check in checks.values())
    if not healthy:
        log.error("readiness check failed", extra={"outcome": "unhealthy", "checks": checks})
    return JsonResponse({"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if healthy else 503)
