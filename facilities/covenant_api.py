"""A facility's covenants in the API: read by its advisors and the bank following it, created
and changed by its advisors through the audited service (``covenant_services.save_covenant``).
The tests are the valuation floor's (``valuation/workspace/covenant_api.py``)."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from borrowers.common import access
from facilities import covenant_services
from facilities.covenant_models import Covenant
from facilities.models import Facility


class CovenantSerializer(serializers.ModelSerializer):
    direction = serializers.ChoiceField(
        choices=Covenant._meta.get_field("direction").choices,
        required=False,
        help_text="Implied by every metric but a formula (min: at least, max: at most).",
    )
    threshold = serializers.DecimalField(max_digits=20, decimal_places=4, coerce_to_string=True)
    headroom_pct = serializers.DecimalField(
        max_digits=6, decimal_places=2, min_value=0, max_value=100, required=False, coerce_to_string=True
    )

    class Meta:
        model = Covenant
        fields = [
            "id",
            "facility",
            "name",
            "metric",
            "direction",
            "threshold",
            "formula",
            "frequency",
            "headroom_pct",
            "active",
            "notes",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "facility", "created_at", "updated_at"]


def readable_facility(request: Request, pk: int) -> Facility:
    """The facility whose covenants the user may read: its advisors', or a bank's that follows it."""
    if request.user.is_bank_user:
        facility = access.facilities_shared_with_bank(request.user).filter(pk=pk).first()
        if facility is None:
            access.log_denial(request.user, "api view facilities.Facility covenants", pk)
            raise NotFound
        return facility
    if not request.user.is_advisor:
        access.log_denial(request.user, "api view facilities.Facility covenants", pk)
        raise NotFound
    try:
        return access.get_or_404(request.user, Facility, pk=pk)
    except Http404:
        raise NotFound from None


def _changeable(request: Request, facility: Facility) -> None:
    if not access.can(request.user, "change", facility):
        raise PermissionDenied


class FacilityCovenantsView(APIView):
    """A facility's covenants; an advisor creates one with POST."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: CovenantSerializer(many=True)}, summary="A facility's covenants")
    def get(self, request: Request, pk: int) -> Response:
        facility = readable_facility(request, pk)
        covenants = access.scope(Covenant.objects.filter(facility=facility), request.user)
        return Response(CovenantSerializer(covenants, many=True).data)

    @extend_schema(request=CovenantSerializer, responses={201: CovenantSerializer}, summary="Add a covenant")
    def post(self, request: Request, pk: int) -> Response:
        facility = readable_facility(request, pk)
        _changeable(request, facility)
        serializer = CovenantSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        covenant = Covenant(facility=facility, **serializer.validated_data)
        covenant_services.save_covenant(by=request.user, covenant=covenant)
        return Response(CovenantSerializer(covenant).data, status=status.HTTP_201_CREATED)


class FacilityCovenantDetailView(APIView):
    """One covenant; an advisor changes it with PUT or PATCH (audited, a revision kept)."""

    permission_classes = [IsAuthenticated]

    def _covenant(self, request: Request, pk: int, covenant_pk: int) -> Covenant:
        facility = readable_facility(request, pk)
        covenant = access.scope(Covenant.objects.filter(facility=facility), request.user).filter(pk=covenant_pk).first()
        if covenant is None:
            access.log_denial(request.user, "api view facilities.Covenant", covenant_pk)
            raise NotFound
        return covenant

    @extend_schema(responses={200: CovenantSerializer}, summary="A covenant")
    def get(self, request: Request, pk: int, covenant_pk: int) -> Response:
        return Response(CovenantSerializer(self._covenant(request, pk, covenant_pk)).data)

    def _update(self, request: Request, pk: int, covenant_pk: int, *, partial: bool) -> Response:
        covenant = self._covenant(request, pk, covenant_pk)
        if not access.can(request.user, "change", covenant):
            raise PermissionDenied
        serializer = CovenantSerializer(covenant, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = serializer.validated_data
        for key, value in data.items():
            setattr(covenant, key, value)
        covenant_services.save_covenant(by=request.user, covenant=covenant)
        return Response(CovenantSerializer(covenant).data)

    @extend_schema(request=CovenantSerializer, responses={200: CovenantSerializer}, summary="Change a covenant")
    def put(self, request: Request, pk: int, covenant_pk: int) -> Response:
        return self._update(request, pk, covenant_pk, partial=False)

    @extend_schema(request=CovenantSerializer, responses={200: CovenantSerializer}, summary="Change a covenant")
    def patch(self, request: Request, pk: int, covenant_pk: int) -> Response:
        return self._update(request, pk, covenant_pk, partial=True)
