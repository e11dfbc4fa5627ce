"""A facility's covenant tests in the API (read-only): each with its figure, the terms it was
tested under, its state today (waived while a waiver is in force) and its source. The same
readers as the covenant pages: the facility's advisors and the bank following it (tests of
figures up to the latest stock date shared with it)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from borrowers.common import access
from facilities.covenant_api import readable_facility
from valuation.pipeline import covenants as services


class WaiverSerializer(serializers.Serializer):
    reason = serializers.CharField()
    expires_on = serializers.DateField()
    by = serializers.EmailField(source="by.email")
    created_at = serializers.DateTimeField()


class CovenantTestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    covenant_id = serializers.IntegerField()
    metric = serializers.CharField(source="covenant.metric")
    test_date = serializers.DateField()
    as_of = serializers.DateField(help_text="The date of the figures tested (stock date or period end).")
    value = serializers.DecimalField(max_digits=30, decimal_places=10, allow_null=True, coerce_to_string=True)
    threshold = serializers.DecimalField(max_digits=20, decimal_places=4, coerce_to_string=True)
    direction = serializers.CharField()
    headroom_pct = serializers.DecimalField(max_digits=6, decimal_places=2, coerce_to_string=True)
    state = serializers.ChoiceField(choices=["met", "at_risk", "breached", "waived", "not_testable"])
    run_id = serializers.IntegerField(allow_null=True)
    statement_id = serializers.IntegerField(allow_null=True)
    waivers = WaiverSerializer(many=True, source="waivers.all")


class FacilityCovenantTestsView(APIView):
    """Every test of the facility's covenants, newest first."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: CovenantTestSerializer(many=True)}, summary="A facility's covenant tests")
    def get(self, request: Request, pk: int) -> Response:
        facility = readable_facility(request, pk)
        until = access.bank_shared_until(request.user, facility) if request.user.is_bank_user else None
        if request.user.is_bank_user and until is None:
            return Response([])
        rows = services.covenant_rows(facility, until=until)
        tests = [test for row in rows for test in row.tests]
        return Response(CovenantTestSerializer(tests, many=True).data)
