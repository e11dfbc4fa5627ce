"""The roll-forward in the API: a facility's periods (the same readers as the pages: its advisors,
its client's users, a bank following it up to what was shared with it) and a period's inputs
entered (its advisors and its client's users). Amounts are exact decimal strings."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.urls import path
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from borrowers.common import access
from borrowers.models import MONEY
from facilities.models import Facility
from valuation.engine import rollforward as engine
from valuation.pipeline import rollforward as services

MONEY_FIELD = {"max_digits": MONEY["max_digits"], "decimal_places": MONEY["decimal_places"]}


class InputsSerializer(serializers.Serializer):
    period_end = serializers.DateField(help_text="The period's end: its stock date.")
    purchases = serializers.DecimalField(**MONEY_FIELD, min_value=0, default="0")
    production = serializers.DecimalField(**MONEY_FIELD, min_value=0, default="0")
    cost_of_goods_sold = serializers.DecimalField(**MONEY_FIELD, min_value=0, default="0")
    adjustments = serializers.DecimalField(**MONEY_FIELD, default="0", help_text="Signed.")
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class PeriodSerializer(serializers.Serializer):
    period_end = serializers.DateField()
    state = serializers.ChoiceField(choices=list(engine.STATES))
    opening = serializers.DecimalField(**MONEY_FIELD, allow_null=True, help_text="Null for the first period.")
    purchases = serializers.DecimalField(**MONEY_FIELD, allow_null=True, source="inputs.purchases", default=None)
    production = serializers.DecimalField(**MONEY_FIELD, allow_null=True, source="inputs.production", default=None)
    cost_of_goods_sold = serializers.DecimalField(
        **MONEY_FIELD, allow_null=True, source="inputs.cost_of_goods_sold", default=None
    )
    adjustments = serializers.DecimalField(**MONEY_FIELD, allow_null=True, source="inputs.adjustments", default=None)
    expected = serializers.DecimalField(**MONEY_FIELD, allow_null=True)
    reported_closing = serializers.DecimalField(**MONEY_FIELD, allow_null=True)
    unreconciled = serializers.DecimalField(**MONEY_FIELD, allow_null=True)
    allowed = serializers.DecimalField(max_digits=30, decimal_places=6, allow_null=True)


def _body(row: services.PeriodRow) -> dict[str, Any]:
    data = PeriodSerializer(row.period).data
    data["source"] = row.record.source if row.record is not None else None
    data["ledger_name"] = row.record.ledger_name if row.record is not None else None
    return data


class FacilityRollforwardView(APIView):
    permission_classes = [IsAuthenticated]

    def _facility(self, request: Request, pk: int) -> tuple[Facility, Any, bool]:
        """(facility, the bank's cut or None, whether the user may enter)."""
        user = request.user
        if user.is_bank_user:
            facility = access.facilities_shared_with_bank(user).filter(pk=pk).first()
            if facility is None:
                access.log_denial(user, "api view roll-forward", pk)
                raise NotFound
            return facility, access.bank_shared_until(user, facility), False
        try:
            facility = access.get_or_404(user, Facility.objects.select_related("client"), pk=pk)
        except Http404:
            raise NotFound from None
        return facility, None, access.can_enter_rollforward(user, facility)

    @extend_schema(responses={200: PeriodSerializer(many=True)}, summary="A facility's roll-forward, per period")
    def get(self, request: Request, pk: str) -> Response:
        facility, until, _can_enter = self._facility(request, int(pk))
        if request.user.is_bank_user and until is None:
            return Response([])
        if not request.user.is_bank_user and not access.visibility(request.user, facility.client).figures:
            raise NotFound  # the book values behind the periods are not opened to this client user
        rows = services.facility_periods(facility, until=until)
        return Response([_body(row) for row in reversed(rows)])

    @extend_schema(
        request=InputsSerializer,
        responses={201: PeriodSerializer},
        summary="Enter or correct one period's purchases, production, cost of goods sold and adjustments",
    )
    def post(self, request: Request, pk: str) -> Response:
        facility, _until, can_enter = self._facility(request, int(pk))
        if not can_enter:
            access.log_denial(request.user, "api enter roll-forward", pk)
            raise NotFound
        incoming = InputsSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        # A refusal (a future period, more than cents) is a DomainError: the API's handler answers it.
        record = services.save_inputs(facility=facility, by=request.user, **incoming.validated_data)
        row = next(r for r in services.facility_periods(facility) if r.period.period_end == record.period_end)
        return Response(_body(row), status=status.HTTP_201_CREATED)


urlpatterns = [
    path("facilities/<int:pk>/rollforward/", FacilityRollforwardView.as_view(), name="facility-rollforward"),
]
