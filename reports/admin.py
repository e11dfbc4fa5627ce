from django.contrib import admin

from reports.models import Certification, ReportAccess, ReportComment, ReportDecision, ReportShare, ReportVersion


class ShareInline(admin.TabularInline):
    model = ReportShare
    extra = 0


@admin.register(ReportVersion)
class ReportVersionAdmin(admin.ModelAdmin):
    list_display = ["title", "number", "facility", "kind", "render_status", "issued_at"]
    list_filter = ["kind", "render_status"]
    inlines = [ShareInline]
    readonly_fields = ["context"]


for model in (ReportComment, ReportDecision, Certification, ReportAccess):
    admin.site.register(model)
