from __future__ import annotations

from rest_framework import serializers

from borrowers.api import ScopedFieldsMixin, ScopedModelViewSet
from facilities.models import FACILITY_TERMS_FIELDS, Facility, Lender


class LenderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Lender
        fields = ["id", "name", "contact_email"]


class LenderViewSet(ScopedModelViewSet):
    serializer_class = LenderSerializer
    base_queryset = Lender.objects.all()

    def prepare_new(self, instance: Lender) -> None:
        instance.firm_id = self.request.user.firm_id


class FacilitySerializer(ScopedFieldsMixin, serializers.ModelSerializer):
    scoped_fields = ("client", "lender")
    over_collateralisation_warning = serializers.CharField(read_only=True, allow_null=True)

    class Meta:
        model = Facility
        fields = ["id", "client", *FACILITY_TERMS_FIELDS, "over_collateralisation_warning", "updated_at"]
        read_only_fields = ["updated_at"]


class FacilityViewSet(ScopedModelViewSet):
    serializer_class = FacilitySerializer
    base_queryset = Facility.objects.select_related("client", "lender")

    def perform_update(self, serializer: FacilitySerializer) -> None:
        from facilities import services

        facility = serializer.instance
        for key, value in serializer.validated_data.items():
            setattr(facility, key, value)
        services.save_facility(by=self.request.user, facility=facility)

    def perform_create(self, serializer: FacilitySerializer) -> None:
        from facilities import services

        self.check_create(serializer)
        serializer.instance = services.save_facility(
            by=self.request.user, facility=Facility(**serializer.validated_data)
        )
