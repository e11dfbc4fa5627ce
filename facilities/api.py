"""API for lenders and facilities (structure and terms); writes go through the audited services."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers

from borrowers.api import ScopedFieldsMixin, ScopedModelViewSet
from facilities import services
from facilities.models import FACILITY_TERMS_FIELDS, Facility, Lender
from facilities.terms import engine_terms

JSON_SETTINGS = ("eligibility_settings", "criteria_settings", "ltv_caps")


class LenderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Lender
        fields = ["id", "name", "contact_email"]

    def validate_name(self, value: str) -> str:
        name = value.strip()
        user = self.context["request"].user
        clash = Lender.objects.filter(firm_id=user.firm_id, name__iexact=name)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError(_("A lender with this name already exists."))
        return name


class LenderViewSet(ScopedModelViewSet):
    """The firm's lenders (banks, funds). A bank user sees its own lender."""

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

    def validate_currency(self, value: str) -> str:
        value = value.strip().upper()
        if len(value) != 3 or not value.isalpha() or not value.isascii():
            raise serializers.ValidationError(_("Use the three-letter ISO currency code, e.g. EUR."))
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """The JSON settings must be objects, and the engine validates every term; its complaint
        names the field concerned (the same check as the web form)."""
        errors: dict[str, list[str]] = {}
        for name in JSON_SETTINGS:
            if name in attrs and not isinstance(attrs[name], dict):
                errors[name] = [str(_("Enter a JSON object, e.g. {}."))]
        if errors:
            raise serializers.ValidationError(errors)
        candidate = Facility(**{**self._current(), **attrs})
        try:
            engine_terms(candidate)
        except DjangoValidationError as error:
            if hasattr(error, "error_dict"):
                raise serializers.ValidationError(
                    {
                        field if field in self.fields else "non_field_errors": msgs
                        for field, msgs in error.message_dict.items()
                    }
                ) from error
            raise serializers.ValidationError({"non_field_errors": error.messages}) from error
        except (ValueError, TypeError, ArithmeticError, AttributeError) as error:
            # A JSON setting of the wrong shape the engine's validation did not anticipate.
            raise serializers.ValidationError(
                {"non_field_errors": [str(_("The JSON settings are not valid: %(error)s") % {"error": error})]}
            ) from error
        return attrs

    def _current(self) -> dict[str, Any]:
        if self.instance is None:
            return {}
        return {name: getattr(self.instance, name) for name in ("client", *FACILITY_TERMS_FIELDS)}


FACILITY_FILTERS = [
    OpenApiParameter("client", int, description="Client company id"),
    OpenApiParameter("lender", int, description="Lender id"),
]


@extend_schema_view(list=extend_schema(parameters=FACILITY_FILTERS))
class FacilityViewSet(ScopedModelViewSet):
    """A client's facilities with all their terms. Changing the terms recomputes the latest
    valuation (a new run, queued)."""

    serializer_class = FacilitySerializer
    base_queryset = Facility.objects.select_related("client", "lender")
    id_filters = {"client": "client_id", "lender": "lender_id"}

    def perform_update(self, serializer: FacilitySerializer) -> None:
        facility = serializer.instance
        for key, value in serializer.validated_data.items():
            setattr(facility, key, value)
        services.save_facility(by=self.request.user, facility=facility)

    def perform_create(self, serializer: FacilitySerializer) -> None:
        self.check_create(serializer)
        serializer.instance = services.save_facility(
            by=self.request.user, facility=Facility(**serializer.validated_data)
        )
