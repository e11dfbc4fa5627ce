"""The workspace pages as API routes: the advisor dashboard with its alerts, two valuations side by
side, "try other terms", and a facility's stock lines with their exports.

Each route calls what its page calls (the workspace's dashboard, dossier and drilldown modules, the
facility form) and asks borrowers.common.access who may see what: these are the advisors' working
tools, so anyone else gets the page's 404 (a client user never sees the lines, the levers or the
terms, whatever the company's switches: ``access.visibility(...).detail``).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import EmptyPage, Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import re_path
from django.utils.text import slugify
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from borrowers.api_schema import errors
from borrowers.common import access, audit
from borrowers.common.formatting import number
from facilities import terms_settings
from facilities.forms import FacilityForm
from facilities.models import FACILITY_TERMS_FIELDS, Facility
from valuation.models import ValuationRun
from valuation.workspace import alerts as rules
from valuation.workspace import bridge, dashboard, dossier, drilldown
from valuation.workspace.serializers import (
    LinePageSerializer,
    LineQuerySerializer,
    line_page_body,
    page_url,
)

MONEY = {"max_digits": 18, "decimal_places": 2}
# The dashboard page shows 200 lines a page; so does its route.
DASHBOARD_PAGE_SIZE = 200
ID_MAX = 10**18 - 1  # ids fit a bigint (borrowers.api.ID_PATTERN)


def _advisor_only(request: Request) -> None:
    """The dashboard is the advisors' page: anyone else gets its 404, logged."""
    if not request.user.is_advisor:
        access.log_denial(request.user, f"api {request.path}", request.path)
        raise NotFound


def _working_facility(request: Request, pk: int, action: access.Action = "view") -> Facility:
    """The facility, for those who may see its working material (its firm's advisors); 404 else."""
    facility = access.get_or_404(request.user, Facility.objects.select_related("client", "lender"), action, pk=pk)
    if not access.visibility(request.user, facility.client).detail:
        access.log_denial(request.user, "view detail of facilities.Facility", pk)
        raise NotFound
    return facility


def _chosen_run(facility: Facility, user: Any, run_id: int | None) -> ValuationRun | None:
    """The run asked for (404 when it is not one of the facility's visible runs), else the current
    one, with its result: the pages' choice (valuation.workspace.dossier)."""
    runs = list(dossier.facility_runs(facility, user))
    return dossier.load_run(dossier.pick_run(runs, run_id))


# ------------------------------------------------------------------------------------ dashboard


class DashboardQuerySerializer(serializers.Serializer):
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, help_text="Client name contains")
    sort = serializers.ChoiceField(
        choices=[*dashboard.SORTS, *(f"-{key}" for key in dashboard.SORTS)],
        required=False,
        default=dashboard.DEFAULT_SORT,
        help_text="A column, descending with a leading '-'; rows without the figure always go last",
    )
    page = serializers.IntegerField(required=False, min_value=1, max_value=10**7, default=1)


class DashboardAlertSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=list(dashboard.ALERT_LABELS))
    label = serializers.CharField(help_text="In the caller's language")
    tone = serializers.ChoiceField(choices=sorted(set(dashboard.ALERT_TONES.values())))
    severity = serializers.IntegerField(help_text="Worst first: the sort by alerts adds these up")
    facility = serializers.IntegerField(allow_null=True, help_text="The facility concerned; null: the whole client")


class DashboardRowSerializer(serializers.Serializer):
    client = serializers.IntegerField()
    client_name = serializers.CharField()
    facility = serializers.IntegerField(allow_null=True, help_text="Null: the client has no facility yet")
    facility_name = serializers.CharField(allow_null=True)
    lender_name = serializers.CharField(allow_null=True)
    structure = serializers.CharField(allow_null=True)
    run = serializers.IntegerField(allow_null=True, help_text="The facility's current valuation run")
    last_stock_date = serializers.DateField(allow_null=True, help_text="Of the client's last accepted stock file")
    currency = serializers.CharField(allow_null=True)
    book_value = serializers.DecimalField(**MONEY, allow_null=True)
    eligible_value = serializers.DecimalField(**MONEY, allow_null=True)
    liquidation_value = serializers.DecimalField(**MONEY, allow_null=True)
    financing = serializers.DecimalField(**MONEY, allow_null=True)
    availability = serializers.DecimalField(**MONEY, allow_null=True)
    cover_pct = serializers.DecimalField(
        max_digits=None,
        decimal_places=1,
        allow_null=True,
        help_text="Pledges with a committed guarantee: eligible stock ÷ guarantee, in %",
    )
    alerts = DashboardAlertSerializer(many=True)


class DashboardPageSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Lines matching the search")
    page = serializers.IntegerField()
    num_pages = serializers.IntegerField()
    next = serializers.URLField(allow_null=True)
    previous = serializers.URLField(allow_null=True)
    results = DashboardRowSerializer(many=True)


def _dashboard_row(row: dashboard.DashboardRow) -> dict[str, Any]:
    figures = row.figures
    facility = figures.facility if figures else None
    return {
        "client": row.client.pk,
        "client_name": row.client.legal_name,
        "facility": facility.pk if facility else None,
        "facility_name": facility.name if facility else None,
        "lender_name": facility.lender.name if facility else None,
        "structure": facility.structure if facility else None,
        "run": figures.run.pk if figures and figures.run else None,
        "last_stock_date": row.last_stock_date,
        "currency": figures.currency if figures else None,
        **{name: row.figure(name) for name in dashboard.FIGURE_FIELDS},
        "cover_pct": figures.cover_pct if figures else None,
        "alerts": [
            {
                "code": alert.code,
                "label": str(dashboard.ALERT_LABELS[alert.code]),
                "tone": dashboard.ALERT_TONES[alert.code],
                "severity": rules.SEVERITY[alert.code],
                "facility": alert.facility_id,
            }
            for alert in row.alerts
        ],
    }


class DashboardView(APIView):
    """The advisor dashboard: one line per client facility with its current figures and alerts."""

    @extend_schema(
        operation_id="dashboard_retrieve",
        parameters=[DashboardQuerySerializer],
        responses={200: DashboardPageSerializer, **errors(400, 404)},
        summary="The dashboard: each client facility's current figures and alerts, 200 a page",
        description="The same lines, figures, alerts and sorts as the dashboard page (advisors only). "
        "A page past the last answers 404.",
    )
    def get(self, request: Request) -> Response:
        _advisor_only(request)
        query = DashboardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        asked = query.validated_data
        rows = dashboard.dashboard_rows(user=request.user, query=asked.get("q", ""), sort=asked["sort"])
        paginator = Paginator(rows, DASHBOARD_PAGE_SIZE, allow_empty_first_page=True)
        try:
            page = paginator.page(asked["page"])
        except EmptyPage:
            raise NotFound(_("Invalid page.")) from None
        body = {
            "count": paginator.count,
            "page": page.number,
            "num_pages": paginator.num_pages,
            "next": page_url(request, page.number + 1) if page.has_next() else None,
            "previous": page_url(request, page.number - 1) if page.has_previous() else None,
            "results": [_dashboard_row(row) for row in page.object_list],
        }
        return Response(DashboardPageSerializer(body).data)


# ------------------------------------------------------------------------------------ comparison


class RunBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = ValuationRun
        fields = ["id", "as_of", "status", "currency", "financing", "created_at", "finished_at"]
        read_only_fields = fields


class ComparedFigureSerializer(serializers.Serializer):
    key = serializers.CharField(help_text='The figure\'s path in the result, or "reason:<code>"')
    label = serializers.CharField(help_text="In the caller's language")
    kind = serializers.ChoiceField(choices=["money", "pct", "num"])
    before = serializers.DecimalField(max_digits=None, decimal_places=None, allow_null=True)
    after = serializers.DecimalField(max_digits=None, decimal_places=None, allow_null=True)
    delta = serializers.DecimalField(max_digits=None, decimal_places=None, allow_null=True)


class CompareQuerySerializer(serializers.Serializer):
    a = serializers.IntegerField(
        required=False, min_value=1, max_value=ID_MAX, help_text="The run before; default the one before b"
    )
    b = serializers.IntegerField(
        required=False, min_value=1, max_value=ID_MAX, help_text="The run after; default the current run"
    )


def _facility_pair(request: Request, pk: int) -> tuple[Facility, dossier.RunPair]:
    """The facility (advisors) and the two runs the query asks for (``a``, ``b``), by default the
    current run and the one before it."""
    facility = _working_facility(request, pk)
    query = CompareQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    wanted = query.validated_data
    return facility, dossier.pick_pair(facility, request.user, wanted.get("a"), wanted.get("b"))


class ComparisonSerializer(serializers.Serializer):
    runs = RunBriefSerializer(many=True, help_text="The facility's completed runs, newest stock date first")
    before = RunBriefSerializer(allow_null=True)
    after = RunBriefSerializer(allow_null=True)
    rows = ComparedFigureSerializer(many=True, help_text="Empty unless both runs are there")


class FacilityCompareView(APIView):
    @extend_schema(
        operation_id="facilities_compare_retrieve",
        parameters=[CompareQuerySerializer],
        responses={200: ComparisonSerializer, **errors(400, 404)},
        summary="Two valuations of the facility side by side, with the changes",
        description="The compare page's figures (advisors): by default the current run against the "
        "one before it. A run that is not one of the facility's answers 404.",
    )
    def get(self, request: Request, pk: str) -> Response:
        facility, pair = _facility_pair(request, int(pk))
        before, after = pair.before, pair.after
        rows = dossier.compare(before.result or {}, after.result or {}) if before and after else []
        body = {"runs": pair.runs, "before": before, "after": after, "rows": rows}
        return Response(ComparisonSerializer(body).data)


class BridgePartSerializer(serializers.Serializer):
    key = serializers.CharField(help_text='"stock_level", "reason:<code>", "rates_and_terms", "reserves" or "currency"')
    label = serializers.CharField(help_text="In the caller's language")
    change = serializers.DecimalField(max_digits=None, decimal_places=2, help_text="Change in financing")
    input_change = serializers.DecimalField(max_digits=None, decimal_places=2, help_text="What moved in the inputs")
    financing_after = serializers.DecimalField(max_digits=None, decimal_places=2)
    href = serializers.CharField(help_text="The page of the lines or figures behind the part")


class BridgeSerializer(serializers.Serializer):
    before = RunBriefSerializer(allow_null=True)
    after = RunBriefSerializer(allow_null=True)
    error = serializers.CharField(help_text="Why the two runs cannot be bridged, else empty")
    parts = BridgePartSerializer(many=True, help_text="In the order of the chain; they add up to change")
    earlier_financing = serializers.DecimalField(max_digits=None, decimal_places=2, allow_null=True)
    later_financing = serializers.DecimalField(max_digits=None, decimal_places=2, allow_null=True)
    change = serializers.DecimalField(max_digits=None, decimal_places=2, allow_null=True)
    outstanding_change = serializers.DecimalField(max_digits=None, decimal_places=2, allow_null=True)
    availability_change = serializers.DecimalField(max_digits=None, decimal_places=2, allow_null=True)


class FacilityBridgeView(APIView):
    @extend_schema(
        operation_id="facilities_bridge_retrieve",
        parameters=[CompareQuerySerializer],
        responses={200: BridgeSerializer, **errors(400, 404)},
        summary="Why financing and availability moved between two valuations",
        description="The change in financing from run a to run b split into stock level, each "
        "ineligible reason, rates and terms, reserves and currency; the parts add up to the change "
        "exactly (advisors; by default the current run against the one before it).",
    )
    def get(self, request: Request, pk: str) -> Response:
        facility, pair = _facility_pair(request, int(pk))
        body: dict[str, Any] = {"before": pair.before, "after": pair.after, "error": "", "parts": []}
        if pair.before is not None and pair.after is not None:
            page = bridge.bridge_page(facility, pair.before, pair.after)
            body.update(
                error=page.error,
                parts=page.rows,
                earlier_financing=page.earlier_financing,
                later_financing=page.later_financing,
                change=page.change,
                outstanding_change=page.outstanding_change,
                availability_change=page.availability_change,
            )
        return Response(BridgeSerializer(body).data)


# ------------------------------------------------------------------------------------ try terms


class ProposedTermsSerializer(serializers.ModelSerializer):
    """The request's shape, for the schema: any of the facility's terms. The checking is the page
    form's own (facilities.forms.FacilityForm, with the engine's validation)."""

    class Meta:
        model = Facility
        fields = list(FACILITY_TERMS_FIELDS)
        extra_kwargs = {name: {"required": False} for name in FACILITY_TERMS_FIELDS}


class ProposalSerializer(serializers.Serializer):
    run = RunBriefSerializer(help_text="The current valuation, whose stock lines were valued again")
    rows = ComparedFigureSerializer(many=True, help_text="before: the current terms; after: the proposed ones")


def _form_value(value: Any) -> str:
    """A JSON value as the page form would receive it posted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _form_data(form: FacilityForm, changes: dict[str, Any]) -> dict[str, str]:
    """The facility's current terms as the form shows them, with the proposed changes over them."""
    data = {name: _form_value(form[name].value()) for name in form.fields}
    data.update({name: _form_value(value) for name, value in changes.items()})
    return data


TYPED_SETTINGS = {
    "eligibility_settings": terms_settings.clean_eligibility,
    "criteria_settings": terms_settings.clean_criteria,
    "ltv_caps": terms_settings.clean_ltv_caps,
}


class FacilityTryTermsView(APIView):
    parser_classes = [JSONParser]

    @extend_schema(
        operation_id="facilities_try_terms_create",
        request=ProposedTermsSerializer,
        responses={200: ProposalSerializer, **errors(400, 403, 404, 409)},
        summary="Value the current stock file under proposed terms, saving nothing",
        description="Send any of the facility's terms (the others stay as they are): the answer puts "
        "the current figures and the proposed ones side by side. The terms are checked as on the "
        "page; an unknown key is refused, named. 409 when the facility has no valuation yet.",
    )
    def post(self, request: Request, pk: str) -> Response:
        facility = _working_facility(request, int(pk), "change")
        changes = request.data
        if not isinstance(changes, dict):
            raise serializers.ValidationError({"non_field_errors": [_("Send a JSON object of terms.")]})
        unknown = sorted(str(key) for key in changes if key not in FACILITY_TERMS_FIELDS)
        if unknown:
            raise serializers.ValidationError(
                {key: [_("“%(name)s” is not one of the facility's terms.") % {"name": key}] for key in unknown}
            )
        # The rules, criteria and caps are typed objects, read through the same checks as the
        # facility API's (an unknown rule or key is refused, named); the page form edits the rest.
        typed = {name: changes.pop(name) for name in list(changes) if name in TYPED_SETTINGS}
        candidate = copy.copy(facility)  # the form writes the proposed terms onto it; never saved
        shown = FacilityForm(instance=facility, client=facility.client, user=request.user)
        form = FacilityForm(_form_data(shown, changes), instance=candidate, client=facility.client, user=request.user)
        if not form.is_valid():
            raise serializers.ValidationError(_form_errors(form))
        for name, value in typed.items():
            try:
                setattr(form.instance, name, TYPED_SETTINGS[name](value))
            except DjangoValidationError as error:
                raise serializers.ValidationError(error.message_dict) from error
        run = dossier.load_run(dossier.pick_run(list(dossier.facility_runs(facility, request.user)), None))
        if run is None:
            message = _("There is no valuation to compare with yet: upload a stock file first.")
            return Response({"error": "no_valuation", "detail": message}, status=status.HTTP_409_CONFLICT)
        proposal = dossier.propose(candidate=form.instance, run=run)
        if proposal.error:
            raise serializers.ValidationError({"non_field_errors": [proposal.error]})
        rows = dossier.compare(run.result or {}, proposal.result or {})
        return Response(ProposalSerializer({"run": run, "rows": rows}).data)


def _form_errors(form: FacilityForm) -> dict[str, list[str]]:
    return {("non_field_errors" if name == "__all__" else name): list(msgs) for name, msgs in form.errors.items()}


# ------------------------------------------------------------------------------------ lines


class FacilityLineQuerySerializer(LineQuerySerializer):
    run = serializers.IntegerField(
        required=False, min_value=1, max_value=ID_MAX, help_text="A run of the facility; default the current one"
    )


class FacilityLinePageSerializer(LinePageSerializer):
    run = serializers.IntegerField(allow_null=True, help_text="The run read; null when the facility has none")
    available = serializers.BooleanField(help_text="False when the run's per-line results are not stored")


class FacilityLinesView(APIView):
    @extend_schema(
        operation_id="facilities_lines_retrieve",
        parameters=[FacilityLineQuerySerializer],
        responses={200: FacilityLinePageSerializer, **errors(400, 404)},
        summary="The facility's stock lines with their eligibility, filtered, sorted, 50 a page",
        description="The lines page's drill-down (advisors), on the current run or the one asked for.",
    )
    def get(self, request: Request, pk: str) -> Response:
        facility = _working_facility(request, int(pk))
        query = FacilityLineQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        run = _chosen_run(facility, request.user, query.validated_data.get("run"))
        if run is None:
            body: dict[str, Any] = {
                "count": 0,
                "page": 1,
                "num_pages": 1,
                "next": None,
                "previous": None,
                "totals": None,
                "results": [],
                "run": None,
                "available": False,
            }
            return Response(FacilityLinePageSerializer(body).data)
        page = drilldown.line_page(run, query.line_filter())
        body = {
            **line_page_body(request, page),
            "run": run.pk,
            "available": page.available,
        }
        return Response(FacilityLinePageSerializer(body).data)


EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class FacilityLineExportQuerySerializer(FacilityLineQuerySerializer):
    # `format` is DRF's renderer switch: the file's format has its own name.
    file_format = serializers.ChoiceField(choices=list(EXPORT_TYPES), help_text="csv (any size) or xlsx")
    page = None  # an export holds every matching line

    def line_filter(self) -> drilldown.LineFilter:
        self.validated_data.setdefault("page", 1)
        return super().line_filter()


class AnyAccept(BaseContentNegotiation):
    """The export answers its file, or a JSON error, whatever the caller's Accept header says."""

    def select_parser(self, request: Request, parsers: list[Any]) -> Any:
        return parsers[0] if parsers else None

    def select_renderer(self, request: Request, renderers: list[Any], format_suffix: str | None = None) -> Any:
        return renderers[0], renderers[0].media_type


class FacilityLineExportView(APIView):
    renderer_classes = [JSONRenderer]
    content_negotiation_class = AnyAccept

    @extend_schema(
        operation_id="facilities_lines_export_retrieve",
        parameters=[FacilityLineExportQuerySerializer],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="The lines as CSV (UTF-8, BOM)"),
            (200, EXPORT_TYPES["xlsx"]): OpenApiResponse(OpenApiTypes.BINARY, description="The lines as XLSX"),
            **errors(400, 404),
        },
        summary="Export the facility's lines (the same filters) as CSV or XLSX (logged)",
        description="The lines page's export (advisors): formula-safe cells, money as exact decimals. "
        "XLSX holds at most 50,000 lines: a larger selection answers 400 (use CSV). 404 when the "
        "facility has no valuation.",
    )
    def get(self, request: Request, pk: str) -> HttpResponse:
        facility = _working_facility(request, int(pk))
        query = FacilityLineExportQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        fmt = query.validated_data["file_format"]
        run = _chosen_run(facility, request.user, query.validated_data.get("run"))
        if run is None:
            raise NotFound(_("There is no valuation to export yet."))
        line_filter = query.line_filter()
        if fmt == "xlsx" and (count := drilldown.line_count(run, line_filter)) > drilldown.XLSX_MAX_LINES:
            limit = {
                "max": number(drilldown.XLSX_MAX_LINES, get_language(), 0),
                "count": number(count, get_language(), 0),
            }
            message = _(
                "An XLSX export holds at most %(max)s lines and this selection has %(count)s: "
                "narrow the filter or export CSV."
            )
            raise serializers.ValidationError({"file_format": [message % limit]})
        name = f"lines-{slugify(facility.name) or 'facility'}-{run.as_of.isoformat()}.{fmt}"
        audit.record(actor=request.user, action=f"export-lines-{fmt}", instance=run, after=line_filter.params())
        if fmt == "csv":
            response: HttpResponse = StreamingHttpResponse(
                drilldown.csv_chunks(run, line_filter), content_type=EXPORT_TYPES["csv"]
            )
        else:
            response = HttpResponse(drilldown.xlsx_bytes(run, line_filter), content_type=EXPORT_TYPES["xlsx"])
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


# ------------------------------------------------------------------------------------ routes

# Included by config/api.py under /api/. Ids as the router's (borrowers.api.ID_PATTERN): digits
# within a bigint, anything else a plain 404 from the resolver.
_FACILITY = r"^facilities/(?P<pk>[0-9]{1,18})"
urlpatterns = [
    re_path(r"^dashboard/$", DashboardView.as_view(), name="dashboard"),
    re_path(rf"{_FACILITY}/compare/$", FacilityCompareView.as_view(), name="facility-compare"),
    re_path(rf"{_FACILITY}/bridge/$", FacilityBridgeView.as_view(), name="facility-bridge"),
    re_path(rf"{_FACILITY}/try-terms/$", FacilityTryTermsView.as_view(), name="facility-try-terms"),
    re_path(rf"{_FACILITY}/lines/$", FacilityLinesView.as_view(), name="facility-lines"),
    re_path(rf"{_FACILITY}/lines/export/$", FacilityLineExportView.as_view(), name="facility-lines-export"),
]
