"""A health endpoint for load balancers and operators: database, Redis and Celery workers."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
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
    checks = {"database": _database(), "redis": _redis(), "celery": _workers()}
    healthy = all(check["ok"] for check in checks.values())
    if not healthy:
        log.error("health check failed", extra={"outcome": "unhealthy", "checks": checks})
    return JsonResponse({"status": "ok" if healthy else "degraded", "checks": checks}, status=200 if healthy else 503)
