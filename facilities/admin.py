from django.contrib import admin

from borrowers.admin import AuditedAdmin
from facilities.models import Facility, Lender


@admin.register(Lender)
class LenderAdmin(AuditedAdmin):
    list_display = ["name", "firm", "contact_email"]
    list_filter = ["firm"]


@admin.register(Facility)
class FacilityAdmin(AuditedAdmin):
    list_display = ["name", "client", "lender", "structure", "method", "currency"]
    list_filter = ["structure", "method"]
    search_fields = ["name", "client__legal_name"]
