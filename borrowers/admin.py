import contextlib
from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from borrowers.common import audit
from borrowers.models import AuditEvent, ClientCompany, FailedLogin, Firm, Invitation, StockCategory, User, Warehouse


class AuditedAdmin(admin.ModelAdmin):
    """Changes made in the admin land in the audit trail like any other change."""

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        before = audit.snapshot(type(obj).objects.get(pk=obj.pk)) if change else None
        super().save_model(request, obj, form, change)
        # Records with no firm (made by a superuser without one) have no tenant audit trail.
        with contextlib.suppress(ValueError):
            audit.record(
                actor=request.user,
                action="admin-" + ("update" if change else "create"),
                instance=obj,
                before=before,
                after=audit.snapshot(obj),
            )


@admin.register(Firm)
class FirmAdmin(AuditedAdmin):
    list_display = ["name", "created_at"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "role", "firm", "client", "lender", "is_active"]
    list_filter = ["role", "firm", "is_active", "is_staff"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "language")}),
        ("Role", {"fields": ("role", "firm", "client", "lender", "is_firm_admin")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("email", "role", "firm", "client", "lender", "password1", "password2")},
        ),
    )


class WarehouseInline(admin.TabularInline):
    model = Warehouse
    extra = 0


@admin.register(ClientCompany)
class ClientCompanyAdmin(AuditedAdmin):
    list_display = ["legal_name", "firm", "country", "currency", "business_model", "situation"]
    list_filter = ["firm", "business_model", "situation"]
    search_fields = ["legal_name", "registration_number"]
    inlines = [WarehouseInline]


@admin.register(Warehouse)
class WarehouseAdmin(AuditedAdmin):
    list_display = ["code", "name", "client", "tenure", "landlord_waiver", "dispossession_possible"]
    list_filter = ["tenure"]
    search_fields = ["code", "name", "client__legal_name"]


@admin.register(StockCategory)
class StockCategoryAdmin(AuditedAdmin):
    list_display = ["code", "name", "firm", "base_category", "liquidity_class"]
    list_filter = ["firm", "base_category"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "role", "firm", "expires_at", "accepted_at"]
    readonly_fields = ["token"]


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_repr"]
    list_filter = ["action", "object_type", "firm"]

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


admin.site.register(FailedLogin)
