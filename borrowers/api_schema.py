"""The API's error bodies (config.api_errors) as serializers, so that the OpenAPI schema describes
every answer a route gives, refusals included, and a generated client can read them."""

from __future__ import annotations

import copy
from typing import Any

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

# What each refusal means, for the schema's response descriptions.
_MEANINGS: dict[int, str] = {
    400: "Invalid input: `fields` names each field at fault (`non_field_errors`: the request as a whole).",
    401: "Not authenticated: send `Authorization: Token <key>` (or log in with the session).",
    403: "Not allowed: you may read this object but not do this to it, or your role may not.",
    404: "No such object, or outside your scope (ids cannot be probed).",
    409: "Not possible in the object's present state (the body says why).",
    429: "Too many requests: `Retry-After` says when to come back.",
}


class ErrorBodySerializer(serializers.Serializer):
    """An error: a code, a message, and for invalid input the fields at fault."""

    error = serializers.CharField(help_text="A code: invalid, not_found, permission_denied, not_ready, throttled…")
    detail = serializers.CharField(help_text="A readable message, in your language.")
    # DRF's serializer metaclass takes declared fields out of the class, so this one does not hide
    # Serializer.fields.
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="For invalid input: each field at fault and its messages.",
    )


def errors(*codes: int, bad_request: Any = None) -> dict[int, OpenApiResponse]:
    """The schema's responses for these refusals; ``bad_request`` replaces the 400 body (for an
    input whose errors are nested, such as a mapping's columns)."""
    return {
        code: OpenApiResponse(
            bad_request if code == 400 and bad_request is not None else ErrorBodySerializer,
            description=_MEANINGS[code],
        )
        for code in codes
    }


# The refusals that come from the framework, not from one route: drf-spectacular documents only
# the success of an operation, so each operation gets here what DRF and config.api_errors answer
# whatever the route (a route documents its own refusals, such as a 409 or a 429, with errors()).
_METHODS = {"get", "put", "post", "patch", "delete", "head", "options", "trace"}
_ERROR_BODY = {"$ref": "#/components/schemas/ErrorBody"}
_HEADERS = {
    # Token authentication comes first (config.settings.base): a 401 names its scheme.
    401: {"WWW-Authenticate": {"schema": {"type": "string"}, "required": True, "description": 'Always "Token".'}},
    429: {"Retry-After": {"schema": {"type": "integer"}, "required": True, "description": "Seconds to wait."}},
}


def _framework_refusals(method: str, operation: dict[str, Any]) -> list[int]:
    parameters = operation.get("parameters", [])
    query = {p["name"] for p in parameters if p.get("in") == "query"}
    codes = []
    # A body or a filter that does not parse, or that its serializer refuses.
    if "requestBody" in operation or query - {"page"}:
        codes.append(400)
    if operation.get("security"):
        codes.append(401)
        # Writing to an object one may only read, or creating one one's role may not.
        if method != "get":
            codes.append(403)
    # An id outside the caller's scope, or a page past the last (DRF's pagination).
    if any(p.get("in") == "path" for p in parameters) or "page" in query:
        codes.append(404)
    # Deleting what other records still use (config.api_errors: ProtectedError).
    if method == "delete":
        codes.append(409)
    return codes


def add_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular post-processing hook (SPECTACULAR_SETTINGS["POSTPROCESSING_HOOKS"]): every
    operation documents the framework's refusals it may answer, with the error body, and the
    headers that come with a 401 and a 429."""
    for path_item in result.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code in _framework_refusals(method, operation):
                responses.setdefault(
                    str(code),
                    {"content": {"application/json": {"schema": dict(_ERROR_BODY)}}, "description": _MEANINGS[code]},
                )
            for code, headers in _HEADERS.items():
                if str(code) in responses:
                    # Copies: a YAML renderer would otherwise write shared objects as aliases.
                    responses[str(code)].setdefault("headers", {}).update(copy.deepcopy(headers))
    return result
