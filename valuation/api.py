"""API for stock files (multipart upload, status polling) and valuation runs."""

from __future__ import annotations

from typing import Any

from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from borrowers import access
from valuation import services
from valuation.forms import ACCEPTED_EXTENSIONS
from valuation.models import StockUpload, ValuationRun


class UploadSerializer(serializers.ModelSerializer):
    file = serializers.FileField(write_only=True)
    client = serializers.PrimaryKeyRelatedField(queryset=StockUpload.client.field.related_model.objects.none())

    class Meta:
        model = StockUpload
        fields = [
            "id",
            "client",
            "file",
            "original_name",
            "checksum",
            "size",
            "as_of",
            "sheet",
            "uploaded_at",
            "status",
            "stage",
            "rows_read",
            "line_count",
            "report",
            "mapping",
            "warehouses",
            "failure_reason",
            "duplicate_of",
            "finished_at",
        ]
        # Everything but what an upload is made of comes from processing.
        read_only_fields = [f for f in fields if f not in ("client", "file", "as_of", "sheet")]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["client"].queryset = access.clients_for_upload(self.context["request"].user)
        return fields

    def validate_file(self, value: Any) -> Any:
        if not value.name.lower().endswith(ACCEPTED_EXTENSIONS):
            raise serializers.ValidationError("Upload a CSV, XLSX, XLS or ODS file.")
        return value


class UploadViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """POST a stock file (multipart) to get 202 and the upload id; GET it to follow its status."""

    serializer_class = UploadSerializer
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return access.scope(StockUpload.objects.select_related("client"), self.request.user)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = services.create_upload(
            client=data["client"], by=request.user, file=data["file"], as_of=data["as_of"], sheet=data.get("sheet", "")
        )
        return Response(self.get_serializer(upload).data, status=status.HTTP_202_ACCEPTED)


class RunSerializer(serializers.ModelSerializer):
    class Meta:
        model = ValuationRun
        fields = [
            "id",
            "facility",
            "upload",
            "as_of",
            "status",
            "stage",
            "currency",
            "book_value",
            "eligible_value",
            "liquidation_value",
            "financing",
            "availability",
            "failure_reason",
            "created_at",
            "finished_at",
            "terms",
            "result",
        ]


class RunViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = RunSerializer

    def get_queryset(self):  # type: ignore[no-untyped-def]
        queryset = access.scope(ValuationRun.objects.select_related("facility"), self.request.user)
        facility = self.request.query_params.get("facility")
        if facility and facility.isdigit():
            queryset = queryset.filter(facility_id=int(facility))
        return queryset
