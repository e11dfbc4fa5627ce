"""The API's error bodies (config.api_errors) as serializers, so that the OpenAPI schema describes
every answer a route gives, refusals included, and a generated client can read them."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers

# What each refusal means, for the schema's response descriptions.
_MEANINGS: dict[int, str] = {
    400: "Invalid input: `fields` names each field at fault (`non_field_errors`: the request as a whole).",
    403: "You may read this object but not do this to it.",
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
