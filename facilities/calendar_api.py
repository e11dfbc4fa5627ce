"""The reporting calendar in the API: a facility's periods, read-only (the same readers as the
page: the firm's advisors, the client's users, a bank following the facility)."""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from borrowers.common import access
from facilities import calendar_services
from facilities.models import Facility


class CalendarPeriodSerializer(serializers.Serializer):
    deliverable_id = serializers.IntegerField(source="deliverable.pk")
    kind = serializers.CharField(source="deliverable.kind")
    frequency = serializers.CharField(source="deliverable.frequency")
    active = serializers.BooleanField(source="deliverable.active")
    period_end = serializers.DateField()
    due_date = serializers.DateField()
    deadline = serializers.DateField(help_text="The last day of grace: late from the day after.")
    status = serializers.ChoiceField(choices=["received", "waived", "late", "due"])
    late_by = serializers.IntegerField(help_text="Days after the last day of grace (late, or received late).")
    received_at = serializers.DateTimeField(source="record.received_at", allow_null=True, default=None)
    waived_at = serializers.DateTimeField(source="record.waived_at", allow_null=True, default=None)
    waiver_reason = serializers.CharField(source="record.waiver_reason", allow_null=True, default=None)
    source_label = serializers.CharField(source="record.source_label", allow_null=True, default=None)


class FacilityCalendarView(APIView):
    """A facility's deliverables' periods: the last twelve up to today and the next three each."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: CalendarPeriodSerializer(many=True)}, summary="A facility's reporting calendar")
    def get(self, request: Request, pk: int) -> Response:
        if request.user.is_bank_user:
            facility = access.facilities_shared_with_bank(request.user).filter(pk=pk).first()
            if facility is None:
                access.log_denial(request.user, "api view facilities.Facility calendar", pk)
                raise NotFound
        else:
            try:
                facility = access.get_or_404(request.user, Facility, pk=pk)
            except Http404:
                raise NotFound from None
        rows = [row for cal in calendar_services.facility_calendar(facility, timezone.localdate()) for row in cal.rows]
        return Response(CalendarPeriodSerializer(rows, many=True).data)
