from django.contrib import admin

from valuation.models import StockUpload, ValuationRun


@admin.register(StockUpload)
class StockUploadAdmin(admin.ModelAdmin):
    list_display = ["original_name", "client", "as_of", "status", "line_count", "uploaded_at"]
    list_filter = ["status"]
    readonly_fields = ["checksum", "size", "report", "mapping"]


@admin.register(ValuationRun)
class ValuationRunAdmin(admin.ModelAdmin):
    list_display = ["facility", "as_of", "status", "eligible_value", "financing", "finished_at"]
    list_filter = ["status"]
    readonly_fields = ["result", "terms"]
