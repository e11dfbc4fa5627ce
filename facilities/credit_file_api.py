"""The credit file in the API, read-only: the documents a user may see (the same rules as the
pages, borrowers.common.access), filtered by client or facility, and each file's download
(checked against its SHA-256 before it is served)."""

from __future__ import annotations

from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response

from borrowers.api import ID_PATTERN, id_param
from borrowers.api_schema import ErrorBodySerializer
from borrowers.common import access
from facilities import credit_file
from facilities.credit_content import CONTENT_TYPES
from facilities.credit_file_views import file_response
from facilities.models import CreditDocument


class CreditDocumentSerializer(serializers.ModelSerializer):
    status = serializers.SerializerMethodField(help_text="valid, expiring or lapsed today")
    days_left = serializers.SerializerMethodField(help_text="Days until the lapse date (0 or less: lapsed)")
    is_current = serializers.BooleanField(read_only=True, help_text="False once a newer version supersedes it")
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = CreditDocument
        fields = [
            "id",
            "client",
            "facility",
            "warehouse",
            "kind",
            "title",
            "signed_on",
            "expires_on",
            "registered_on",
            "lapses_on",
            "status",
            "days_left",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "previous",
            "superseded_at",
            "is_current",
            "created_at",
            "download_url",
        ]
        read_only_fields = fields

    def _state(self, obj: CreditDocument):  # type: ignore[no-untyped-def]
        return credit_file.state_of(obj, self.context.get("today") or timezone.localdate())

    def get_status(self, obj: CreditDocument) -> str:
        return str(self._state(obj).status)

    def get_days_left(self, obj: CreditDocument) -> int | None:
        return self._state(obj).days_left

    def get_download_url(self, obj: CreditDocument) -> str:
        return reverse("credit-document-download", args=[obj.pk])


FILTERS = [
    OpenApiParameter("client", int, description="Client company id"),
    OpenApiParameter("facility", int, description="Facility id (its documents only)"),
]


@extend_schema_view(list=extend_schema(parameters=FILTERS, summary="The credit file's documents"))
class CreditDocumentViewSet(viewsets.ReadOnlyModelViewSet):
    """The credit-file documents the caller may see: advisors their firm's, a client's users
    their company's (not the internal ones), a bank those of the facilities it follows."""

    serializer_class = CreditDocumentSerializer
    lookup_value_regex = ID_PATTERN

    def get_queryset(self):  # type: ignore[no-untyped-def]
        queryset = access.scope(CreditDocument.objects.all(), self.request.user)
        if self.action == "list":
            for name in ("client", "facility"):
                value = id_param(self.request, name)
                if value is not None:
                    queryset = queryset.filter(**{f"{name}_id": value})
        return queryset.order_by("kind", "-created_at", "-pk")

    def get_serializer_context(self) -> dict:
        return {**super().get_serializer_context(), "today": timezone.localdate()}

    @extend_schema(
        responses={
            **{
                (200, content_type): OpenApiResponse(OpenApiTypes.BINARY, description="The file")
                for content_type in CONTENT_TYPES.values()
            },
            409: OpenApiResponse(
                ErrorBodySerializer, description="The stored file no longer matches its SHA-256 (`checksum_mismatch`)"
            ),
        },
        summary="Download a document (its SHA-256 checked first)",
    )
    @action(detail=True, methods=["get"])
    def download(self, request: Request, pk: str | None = None) -> FileResponse | Response:
        document = self.get_object()
        try:
            stream = credit_file.open_verified(document)
        except credit_file.IntegrityError:
            detail = _("This document's stored file no longer matches its checksum: ask your advisor to file it again.")
            return Response({"error": "checksum_mismatch", "detail": str(detail)}, status=status.HTTP_409_CONFLICT)
        except FileNotFoundError:
            raise NotFound from None
        return file_response(document, stream)
