"""The API's view of a run's lines (the drill-down): the query it accepts and the page it answers,
shared by the runs routes (valuation/api.py) and the workspace routes (valuation/workspace/api.py)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.request import Request

from valuation.workspace import drilldown


class LineSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text=_("Row in the stock file."))
    sku = serializers.CharField()
    description = serializers.CharField()
    quantity = serializers.DecimalField(max_digits=18, decimal_places=3, allow_null=True)
    unit = serializers.CharField()
    unit_cost = serializers.DecimalField(max_digits=18, decimal_places=4, allow_null=True)
    category = serializers.CharField(help_text=_("Base category code"))
    category_label = serializers.CharField()
    warehouse = serializers.CharField()
    book_value = serializers.DecimalField(max_digits=18, decimal_places=2)
    eligible = serializers.DecimalField(max_digits=18, decimal_places=2)
    ineligible = serializers.DecimalField(max_digits=18, decimal_places=2)
    reason = serializers.CharField(help_text=_("The first rule that excluded the line; empty when eligible"))
    reason_label = serializers.CharField()
    liquidation_value = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    eligible_liquidation_value = serializers.DecimalField(max_digits=18, decimal_places=2, allow_null=True)
    nrv_basis = serializers.CharField()


class LineTotalsSerializer(serializers.Serializer):
    book_value = serializers.DecimalField(max_digits=18, decimal_places=2)
    eligible = serializers.DecimalField(max_digits=18, decimal_places=2)
    ineligible = serializers.DecimalField(max_digits=18, decimal_places=2)
    nrv = serializers.DecimalField(max_digits=18, decimal_places=2)
    eligible_nrv = serializers.DecimalField(max_digits=18, decimal_places=2)


class LinePageSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text=_("Lines matching the filter"))
    page = serializers.IntegerField()
    num_pages = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    totals = LineTotalsSerializer(allow_null=True, help_text=_("Sums over every matching line, not just this page"))
    results = LineSerializer(many=True)


class LineQuerySerializer(serializers.Serializer):
    """The drill-down's filters (valuation.workspace.drilldown), checked: a bad value is a 400 naming it."""

    category = serializers.CharField(required=False, max_length=50, help_text=_("Base category code"))
    warehouse = serializers.CharField(required=False, max_length=50)
    status = serializers.ChoiceField(
        choices=drilldown.STATUSES, required=False, help_text=_("eligible: lines with an eligible amount")
    )
    reason = serializers.CharField(
        required=False, max_length=50, help_text=_("Lines from which this ineligible reason took an amount")
    )
    q = serializers.CharField(
        required=False, max_length=drilldown.MAX_QUERY, help_text=_("SKU or description contains")
    )
    sort = serializers.ChoiceField(
        choices=[*drilldown.SORTS, *(f"-{key}" for key in drilldown.SORTS)], required=False, default="row"
    )
    page = serializers.IntegerField(required=False, min_value=1, max_value=10**7, default=1)

    def line_filter(self) -> drilldown.LineFilter:
        data = self.validated_data
        return drilldown.LineFilter(
            category=data.get("category", ""),
            warehouse=data.get("warehouse", ""),
            reason=data.get("reason", ""),
            status=data.get("status", ""),
            query=data.get("q", "").strip(),
            sort=data["sort"].lstrip("-"),
            descending=data["sort"].startswith("-"),
            page=data["page"],
        )


def line_page_body(request: Request, page: Any) -> dict[str, Any]:
    """A page of a run's lines (``drilldown.line_page``) as the API answers it (LinePageSerializer)."""
    return {
        "count": page.count,
        "page": page.number,
        "num_pages": page.num_pages,
        "next": page_url(request, page.number + 1) if page.has_next else None,
        "previous": page_url(request, page.number - 1) if page.has_previous else None,
        "totals": LineTotalsSerializer(page.totals).data if page.totals else None,
        "results": LineSerializer(page.rows, many=True).data,
    }


def page_url(request: Request, number: int) -> str:
    from rest_framework.utils.urls import replace_query_param

    return replace_query_param(request.build_absolute_uri(), "page", number)
