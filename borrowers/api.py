"""API for clients and warehouses, and the scoped viewset every API route builds on."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import serializers, viewsets
from rest_framework.exceptions import NotFound, PermissionDenied

from borrowers import access, services
from borrowers.models import CLIENT_FACT_FIELDS, WAREHOUSE_FIELDS, ClientCompany, Warehouse

SAFE = {"GET", "HEAD", "OPTIONS"}


class ScopedFieldsMixin:
    """Related fields only offer objects the requesting user may change (DRF does not check
    object permissions on create, so a foreign id must simply not be a valid choice)."""

    scoped_fields: tuple[str, ...] = ()

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()  # type: ignore[misc]
        user = self.context["request"].user
        for name in self.scoped_fields:
            field = fields[name]
            field.queryset = access.scope(field.queryset.all(), user, "change")
        return fields


class ScopedModelViewSet(viewsets.ModelViewSet):
    """Reads through access.scope(view); writes through access.scope(change) and the audited
    save service. Outsiders get 404 for objects they may not see, 403 for visible read-only ones."""

    base_queryset: QuerySet
    http_method_names = ["get", "post", "put", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet:
        action = "view" if self.request.method in SAFE else "change"
        queryset = access.scope(self.base_queryset.all(), self.request.user, action)
        if action == "change" and self.kwargs.get("pk"):
            visible = access.scope(self.base_queryset.all(), self.request.user, "view")
            if not queryset.filter(pk=self.kwargs["pk"]).exists():
                if visible.filter(pk=self.kwargs["pk"]).exists():
                    raise PermissionDenied
                access.log_denial(self.request.user, f"api change {queryset.model._meta.label}", self.kwargs["pk"])
                raise NotFound
        return queryset

    def check_create(self, serializer: serializers.BaseSerializer) -> None:
        """Override to refuse creation for roles that may not create this kind of object."""
        if not self.request.user.is_advisor:
            raise PermissionDenied

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        self.check_create(serializer)
        instance = serializer.Meta.model(**serializer.validated_data)
        self.prepare_new(instance)
        serializer.instance = services.save_record(by=self.request.user, instance=instance)

    def prepare_new(self, instance: Any) -> None:
        """Set the fields the API does not take from the request (the firm, …)."""

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        instance = serializer.instance
        for key, value in serializer.validated_data.items():
            setattr(instance, key, value)
        services.save_record(by=self.request.user, instance=instance)

    def perform_destroy(self, instance: Any) -> None:
        from borrowers import audit

        audit.record(actor=self.request.user, action="delete", instance=instance, before=audit.snapshot(instance))
        instance.delete()


class ClientSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClientCompany
        fields = ["id", *CLIENT_FACT_FIELDS, "created_at"]
        read_only_fields = ["created_at"]


class ClientViewSet(ScopedModelViewSet):
    serializer_class = ClientSerializer
    base_queryset = ClientCompany.objects.all()

    def prepare_new(self, instance: ClientCompany) -> None:
        instance.firm_id = self.request.user.firm_id


class WarehouseSerializer(ScopedFieldsMixin, serializers.ModelSerializer):
    scoped_fields = ("client",)

    class Meta:
        model = Warehouse
        fields = ["id", "client", *WAREHOUSE_FIELDS]


class WarehouseViewSet(ScopedModelViewSet):
    serializer_class = WarehouseSerializer
    base_queryset = Warehouse.objects.select_related("client")
    filterset_fields = ["client"]
