"""API of the firm's rate table: list (by pair), create, read, update; import the ECB's file.
Advisors only, each firm its own table; the same validation as the pages (``valuation.rates.services``)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from borrowers.api import ScopedModelViewSet
from borrowers.api_schema import errors
from borrowers.common import access
from borrowers.models import ExchangeRate
from valuation.rates import services as rates
from valuation.rates.forms import ECB_MAX_BYTES


def _code(value: str) -> str:
    code = (value or "").strip().upper()
    if not (len(code) == 3 and code.isascii() and code.isalpha()):
        raise serializers.ValidationError(_("Use the three-letter ISO currency code, e.g. EUR."))
    return code


class ExchangeRateSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExchangeRate
        fields = ["id", "day", "base", "quote", "rate", "source", "updated_at"]
        read_only_fields = ["source", "updated_at"]
        # The firm's uniqueness is checked by the service (the firm is not an input).
        validators: list[Any] = []

    def validate_base(self, value: str) -> str:
        return _code(value)

    def validate_quote(self, value: str) -> str:
        return _code(value)

    def validate_day(self, value: Any) -> Any:
        if value > timezone.localdate():
            raise serializers.ValidationError(_("A rate cannot be dated in the future."))
        return value


PAIR_PARAMS = [
    OpenApiParameter("base", str, description="Base currency (ISO 4217), e.g. EUR"),
    OpenApiParameter("quote", str, description="Quote currency (ISO 4217), e.g. USD"),
]


@extend_schema_view(list=extend_schema(parameters=PAIR_PARAMS))
class ExchangeRateViewSet(ScopedModelViewSet):
    """The firm's exchange rates, 1 base = rate quote (advisors only)."""

    serializer_class = ExchangeRateSerializer
    base_queryset = ExchangeRate.objects.all()

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset()
        if self.action == "list":
            for name in ("base", "quote"):
                raw = self.request.query_params.get(name)
                if raw:
                    try:
                        queryset = queryset.filter(**{name: _code(raw)})
                    except serializers.ValidationError as error:
                        raise serializers.ValidationError({name: error.detail}) from None
        return queryset

    def prepare_new(self, instance: ExchangeRate) -> None:
        instance.firm_id = self.request.user.firm_id

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        self.check_create(serializer)
        instance = ExchangeRate(**serializer.validated_data)
        self.prepare_new(instance)
        serializer.instance = rates.save_rate(by=self.request.user, rate=instance)

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        instance = serializer.instance
        for key, value in serializer.validated_data.items():
            setattr(instance, key, value)
        rates.save_rate(by=self.request.user, rate=instance)


class EcbImportSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text="eurofxref-hist.csv or eurofxref.csv as the ECB publishes them, or their zip"
    )


class EcbImportOutcomeSerializer(serializers.Serializer):
    added = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    days = serializers.IntegerField()
    first_day = serializers.DateField(allow_null=True)
    last_day = serializers.DateField(allow_null=True)


class EcbImportView(APIView):
    """Import the ECB's reference rates into the firm's table (idempotent; advisors only)."""

    permission_classes = [IsAuthenticated]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": EcbImportSerializer},
        responses={200: EcbImportOutcomeSerializer, **errors(400, 404)},
        summary="Import the ECB reference rates",
    )
    def post(self, request: Request) -> Response:
        if not request.user.is_advisor:
            access.log_denial(request.user, "api import rates", request.path)
            raise NotFound
        given = EcbImportSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        upload = given.validated_data["file"]
        if upload.size > ECB_MAX_BYTES:
            raise serializers.ValidationError(
                {"file": [_("The file is larger than 32 MB; the ECB's history is about 2 MB.")]}
            )
        outcome = rates.import_ecb_rates(
            firm=request.user.firm, by=request.user, data=upload.read(), filename=upload.name or ""
        )
        body = EcbImportOutcomeSerializer(outcome).data
        return Response(body, status=status.HTTP_200_OK)
