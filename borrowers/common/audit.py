"""The audit trail: services call `record` for every change to terms, uploads, reports and sharing."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

from django.db import models
from django.forms.models import model_to_dict

from borrowers.models import AuditEvent, ClientCompany

log = logging.getLogger("stockpledge.audit")


def _json_safe(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_json_safe(v) for v in value]
    if hasattr(value, "name") and hasattr(value, "url"):  # a FieldFile
        return value.name or None
    return value


def snapshot(instance: models.Model, *, exclude: tuple[str, ...] = ()) -> dict[str, Any]:
    """The instance's editable field values, JSON-safe, for before/after comparison."""
    return {k: _json_safe(v) for k, v in model_to_dict(instance).items() if k not in exclude}


def _firm_and_client(instance: models.Model) -> tuple[int, ClientCompany | None]:
    client = None
    for path in ("client", "facility.client", "report.facility.client", "run.facility.client"):
        obj: Any = instance
        for part in path.split("."):
            obj = getattr(obj, part, None)
            if obj is None:
                break
        if isinstance(obj, ClientCompany):
            client = obj
            break
    if isinstance(instance, ClientCompany):
        client = instance
    firm_id = client.firm_id if client else getattr(instance, "firm_id", None)
    if firm_id is None and instance._meta.label == "borrowers.Firm":
        firm_id = instance.pk  # a firm's own settings (its reporting currency, a rate import)
    if firm_id is None:
        raise ValueError(f"Cannot tell which firm {instance!r} belongs to for the audit trail.")
    return firm_id, client


def record(
    *,
    actor: Any,
    action: str,
    instance: models.Model,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    firm_id, client = _firm_and_client(instance)
    event = AuditEvent.objects.create(
        firm_id=firm_id,
        client=client,
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=instance._meta.label,
        object_id=str(instance.pk),
        object_repr=str(instance)[:300],
        before=before,
        after=after,
    )
    log.info(
        "audit",
        extra={
            "user": getattr(actor, "pk", None),
            "action": action,
            "object": f"{instance._meta.label}:{instance.pk}",
            "outcome": "recorded",
        },
    )
    return event
