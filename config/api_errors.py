"""One place where domain errors become structured JSON API errors (HackSoft style).

Every error body has `error` (a code) and `detail` (a readable message); validation errors add
`fields`: field name -> list of messages (`non_field_errors` for the object as a whole; a field
of a nested row is named with dots, `rates.0.nolv_pct`).
"""

import logging
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, RestrictedError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from borrowers.common.errors import DomainError

log = logging.getLogger("stockpledge.api")


def _field_name(name: Any) -> Any:
    return "non_field_errors" if name == NON_FIELD_ERRORS else name


def _is_rows(errors: Any) -> bool:
    """Errors of a list of rows: a list holding dicts or lists, or a dict keyed by row index."""
    if isinstance(errors, list):
        return any(isinstance(item, dict | list) for item in errors)
    return isinstance(errors, dict) and bool(errors) and all(str(key).isdigit() for key in errors)


def _flat_fields(errors: dict[Any, Any]) -> dict[str, Any]:
    """A field's errors per row of a nested list as dotted names, the row and the field:
    {"rates": {"0": {"nolv_pct": ["…"]}}} -> {"rates.0.nolv_pct": ["…"]}. Other values as they are
    (a list of messages; a mapping's messages per column)."""
    flat: dict[str, Any] = {}
    for key, value in errors.items():
        name = str(_field_name(key))
        if _is_rows(value):
            rows = enumerate(value) if isinstance(value, list) else value.items()
            for index, row in rows:
                if not row:
                    continue
                if isinstance(row, dict):
                    flat.update(_flat_fields({f"{name}.{index}.{field}": messages for field, messages in row.items()}))
                else:
                    flat[f"{name}.{index}"] = [str(message) for message in row] if isinstance(row, list) else [str(row)]
        else:
            flat[name] = value
    return flat


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            exc = exceptions.ValidationError({_field_name(k): v for k, v in exc.message_dict.items()})
        else:
            exc = exceptions.ValidationError({"non_field_errors": exc.messages})
    if isinstance(exc, DomainError):
        set_rollback()
        # A business rule about who may act (code "forbidden") is a 403, a rate limit (code
        # "throttled") a 429 saying when to come back; any other refusal a 400.
        code = {"forbidden": status.HTTP_403_FORBIDDEN, "throttled": status.HTTP_429_TOO_MANY_REQUESTS}.get(
            exc.code, status.HTTP_400_BAD_REQUEST
        )
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        return Response(exc.as_json(), status=code, headers=headers)
    if isinstance(exc, ProtectedError | RestrictedError):
        # Deleting something other records still depend on (a lender with facilities, a run
        # behind a report): refused, and nothing was deleted.
        set_rollback()
        log.info("delete refused: still in use", extra={"outcome": "refused"})
        return Response(
            {"error": "in_use", "detail": _("This object is still used by other records and cannot be deleted.")},
            status=status.HTTP_409_CONFLICT,
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        response.data = {
            "error": "invalid",
            "detail": _("Some fields are not valid."),
            "fields": _flat_fields(fields),
        }
    elif isinstance(response.data, dict) and "detail" in response.data:
        detail = response.data["detail"]
        response.data = {"error": getattr(detail, "code", "error"), "detail": str(detail)}
    return response


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 404 of a URL that matches no route (config.urls.handler404): under /api/ the API's
    JSON error, as for an id outside the caller's scope (an id that is not a number such as
    /api/uploads/x/ never reaches a view); elsewhere the site's page."""
    if request.path.startswith("/api/"):
        detail = exceptions.NotFound.default_detail
        return JsonResponse({"error": "not_found", "detail": str(detail)}, status=status.HTTP_404_NOT_FOUND)
    return defaults.page_not_found(request, exception)
