"""API for stock files (multipart upload, status polling) and valuation runs (result, waterfall,
lines)."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException, NotFound, PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from borrowers.api import ID_PATTERN, id_param
from borrowers.api_schema import ErrorBodySerializer, errors
from borrowers.common import access
from borrowers.common.labels import category_label
from borrowers.models import Tenure
from valuation.forms import ACCEPTED_EXTENSIONS, MappingForm
from valuation.imports.mapping import ColumnMapping
from valuation.models import RunStatus, StockUpload, UploadStatus, ValuationRun
from valuation.pipeline import canonical, services, sites
from valuation.workspace import charts, drilldown, problem_labels
from valuation.workspace.serializers import LinePageSerializer, LineQuerySerializer, line_page_body

# Overall progress of an upload by stage (the reader reports reading → validating → converting,
# the pipeline then values and stores): a rough share of the work done, for a progress bar.
STAGE_PROGRESS = {"": 0, "reading": 10, "validating": 35, "converting": 55, "valuing": 70, "storing": 90, "done": 100}


class UploadSerializer(serializers.ModelSerializer):
    file = serializers.FileField(write_only=True, help_text=_("CSV, XLSX, XLS or ODS stock file."))
    client = serializers.PrimaryKeyRelatedField(queryset=StockUpload.client.field.related_model.objects.none())
    progress = serializers.SerializerMethodField(help_text=_("Rough share of the processing done, 0–100."))
    status_url = serializers.SerializerMethodField(help_text=_("Poll this URL to follow the processing."))
    runs = serializers.SerializerMethodField(help_text=_("The valuation runs made from this file."))

    class Meta:
        model = StockUpload
        fields = [
            "id",
            "client",
            "file",
            "original_name",
            "checksum",
            "size",
            "as_of",
            "sheet",
            "currency",
            "uploaded_at",
            "status",
            "stage",
            "progress",
            "status_url",
            "rows_read",
            "line_count",
            "report",
            "mapping",
            "warehouses",
            "failure_reason",
            "duplicate_of",
            "finished_at",
            "runs",
        ]
        # Everything but what an upload is made of comes from processing.
        read_only_fields = [f for f in fields if f not in ("client", "file", "as_of", "sheet", "currency")]
        extra_kwargs = {
            "currency": {"help_text": _("ISO code of lines with no currency of their own; the client's when omitted.")}
        }

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["client"].queryset = access.clients_for_upload(self.context["request"].user)
        return fields

    def validate_file(self, value: Any) -> Any:
        if not value.name.lower().endswith(ACCEPTED_EXTENSIONS):
            raise serializers.ValidationError(_("Upload a CSV, XLSX, XLS or ODS file."))
        return value

    def get_progress(self, upload: StockUpload) -> int:
        if upload.status in ("accepted", "rejected", "failed"):
            return 100
        return STAGE_PROGRESS.get(upload.stage, 50)

    def get_status_url(self, upload: StockUpload) -> str:
        return self.context["request"].build_absolute_uri(reverse("upload-detail", args=[upload.pk]))

    def get_runs(self, upload: StockUpload) -> list[int]:
        # Prefetched through access.scope by the viewset; a new upload has none yet.
        if "runs" in getattr(upload, "_prefetched_objects_cache", {}):
            return [run.pk for run in upload.runs.all()]
        return list(access.scope(upload.runs.all(), self.context["request"].user).values_list("pk", flat=True))

    def to_representation(self, instance: StockUpload) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["currency"] = instance.file_currency  # the client's when none was chosen
        # The report's sentences in the request's language; its structured fields as stored.
        if data.get("report"):
            data["report"] = problem_labels.translated_report(data["report"])
        return data


# ------------------------------------------------------------------ mapping, reject, reprocess
# The upload page's actions (valuation.views), through the same services and the same form.

MAPPING_STATUSES = {
    "detected": "read by the reader alone, no mapping saved for this export format",
    "mapped_by_client": "proposed by the client's user and used at once; an advisor has not confirmed it",
    "confirmed": "confirmed by an advisor",
}


class Conflict(APIException):
    """The object's present state does not allow the action (409, the message says why)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "not_ready"


class MappingColumnSerializer(serializers.Serializer):
    header = serializers.CharField(help_text="The column of the file, as its header reads")
    field = serializers.CharField(allow_null=True, help_text="The canonical field it feeds; null: ignored")
    samples = serializers.ListField(child=serializers.CharField(), help_text="Its first values in the file")


class CanonicalFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField(help_text="In your language")
    meaning = serializers.CharField()
    required = serializers.BooleanField(help_text="Needed: SKU, category, quantity, and a unit cost or a book value")


class SavedMappingSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    mapped_by_client = serializers.BooleanField()
    proposed_by = serializers.CharField(allow_null=True)
    confirmed_by = serializers.CharField(allow_null=True)
    confirmed_at = serializers.DateTimeField(allow_null=True)


class MappingSerializer(serializers.Serializer):
    """The file's columns as read and the fields they feed, as the mapping page shows them."""

    upload = serializers.IntegerField()
    status = serializers.ChoiceField(
        choices=list(MAPPING_STATUSES),
        help_text="; ".join(f"{key}: {meaning}" for key, meaning in MAPPING_STATUSES.items()),
    )
    columns = MappingColumnSerializer(many=True)
    saved = SavedMappingSerializer(allow_null=True, help_text="The mapping saved for this export format, if any")
    canonical_fields = CanonicalFieldSerializer(many=True, help_text="Every field a column may feed")


class MappingRequestSerializer(serializers.Serializer):
    """A mapping to use: the page's form (valuation.forms.MappingForm) validates it."""

    columns = serializers.DictField(
        child=serializers.CharField(allow_blank=True, allow_null=True, max_length=50),
        required=False,
        help_text='File column (header) -> the canonical field it feeds (null or "" to ignore the column); '
        "columns left out keep the mapping as read. Empty or omitted: keep (confirm) the mapping as read.",
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        read: dict[str, str | None] = self.context["read"]
        given = attrs.get("columns") or {}
        unknown = {header: [_("Not a column of this file.")] for header in given if header not in read}
        if unknown:
            raise serializers.ValidationError({"columns": unknown})
        headers = list(read)
        # As the page posts it: one choice per column (h<index>), preselected as read.
        posted = {f"h{i}": (given[h] if h in given else read[h]) or "" for i, h in enumerate(headers)}
        form = MappingForm(posted, headers=headers, current=read)
        if not form.is_valid():
            found: dict[str, Any] = {
                "columns": {
                    headers[int(name[1:])]: list(messages)
                    for name, messages in form.errors.items()
                    if name[1:].isdigit()
                }
            }
            if form.non_field_errors():
                found["non_field_errors"] = list(form.non_field_errors())
            raise serializers.ValidationError(found)
        return {"columns": form.columns()}


_MESSAGES = {"type": "array", "items": {"type": "string"}}


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": _MESSAGES,
        "properties": {
            "columns": {
                "oneOf": [_MESSAGES, {"type": "object", "additionalProperties": _MESSAGES}],
                "description": "Messages about the whole input, or by file column",
            }
        },
    }
)
class MappingFieldErrors(serializers.DictField):
    pass


class MappingErrorBodySerializer(ErrorBodySerializer):
    """An invalid mapping: `fields.columns` gives the messages by file column."""

    fields = MappingFieldErrors(required=False)


class PreviewLineSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="Row in the stock file")
    values = serializers.DictField(
        child=serializers.CharField(allow_null=True),
        help_text="Canonical field -> the value as read (dates ISO, flags true/false, numbers as decimals)",
    )


class PreviewTotalSerializer(serializers.Serializer):
    category = serializers.CharField(help_text="Base category code")
    category_label = serializers.CharField()
    currency = serializers.CharField()
    lines = serializers.IntegerField()
    book_value = serializers.DecimalField(max_digits=18, decimal_places=2)


class ProblemSerializer(serializers.Serializer):
    severity = serializers.CharField()
    kind = serializers.CharField(allow_null=True)
    row = serializers.IntegerField(allow_null=True)
    column = serializers.CharField(allow_null=True)
    field = serializers.CharField(allow_null=True)
    value = serializers.CharField(allow_null=True)
    expected = serializers.CharField(allow_null=True)
    message = serializers.CharField(help_text="In your language")


class MappingPreviewSerializer(serializers.Serializer):
    """The first lines as a mapping reads them, before any processing (the mapping page's preview)."""

    columns = serializers.ListField(child=serializers.CharField(), help_text="The canonical fields read")
    rows = PreviewLineSerializer(many=True)
    totals = PreviewTotalSerializer(many=True, help_text="By category and currency, over these lines")
    problems = ProblemSerializer(many=True)
    rows_skipped = serializers.IntegerField()


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500, help_text="Why the file is rejected: recorded in the audit trail and shown to the client"
    )


def _preview_cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


class UndeclaredSiteSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("The site code as the stock file writes it (empty: lines with no site)."))
    lines = serializers.IntegerField()
    book_value = serializers.DecimalField(max_digits=18, decimal_places=2)
    near = serializers.CharField(help_text=_("A declared site whose code differs only in case or spaces."))
    acceptable = serializers.BooleanField()


class AcceptSiteSerializer(serializers.Serializer):
    """The same fields and fail-safe defaults as the page's "Accept this site" form."""

    code = serializers.CharField(max_length=50)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    tenure = serializers.ChoiceField(choices=Tenure.choices, default=Tenure.LEASED)
    landlord_waiver = serializers.BooleanField(default=False)
    insured = serializers.BooleanField(default=False)
    dispossession_possible = serializers.BooleanField(default=False)

    def to_internal_value(self, data: Any) -> Any:
        # An unknown key is refused, naming it, rather than silently ignored.
        unknown = sorted(set(data) - set(self.fields)) if hasattr(data, "keys") else []
        if unknown:
            raise serializers.ValidationError({unknown[0]: [_("Unknown field.")]})
        return super().to_internal_value(data)


class AcceptedSiteSerializer(serializers.Serializer):
    warehouse = serializers.IntegerField(help_text=_("The warehouse declared for the site."))
    code = serializers.CharField()
    runs = serializers.ListField(child=serializers.IntegerField(), help_text=_("The valuations queued again."))


@extend_schema_view(
    list=extend_schema(parameters=[OpenApiParameter("client", int, description="Client company id")]),
    create=extend_schema(
        request={"multipart/form-data": UploadSerializer},
        responses={202: UploadSerializer, **errors(400, 403, 429)},
        description="Store the file and queue its processing; poll `status_url` until the status is "
        "accepted, rejected (see `report`) or failed.",
    ),
)
class UploadViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """POST a stock file (multipart) to get 202 and the upload's status URL; GET it to follow it."""

    lookup_value_regex = ID_PATTERN

    serializer_class = UploadSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[StockUpload]:
        runs = access.scope(ValuationRun.objects.only("id", "upload_id"), self.request.user)
        queryset = access.scope(
            StockUpload.objects.select_related("client").prefetch_related(Prefetch("runs", queryset=runs)),
            self.request.user,
        )
        client = id_param(self.request, "client") if self.action == "list" else None
        return queryset if client is None else queryset.filter(client_id=client)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = services.create_upload(
            client=data["client"],
            by=request.user,
            file=data["file"],
            as_of=data["as_of"],
            sheet=data.get("sheet", ""),
            currency=data.get("currency", ""),
        )
        body = self.get_serializer(upload).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["status_url"]})

    def _changeable(self, *, advisors_only: bool = False) -> StockUpload:
        """The upload, for those who may change it (the firm's advisors, the company's own users);
        ``advisors_only``: the advisors' review (reject, process again), as on the page."""
        upload = self.get_object()
        if not access.can(self.request.user, "change", upload) or (advisors_only and not self.request.user.is_advisor):
            access.log_denial(self.request.user, f"api {self.action} valuation.StockUpload", upload.pk)
            raise PermissionDenied
        return upload

    def _columns_to_map(self, upload: StockUpload) -> dict[str, str | None]:
        read = services.columns_to_map(upload)
        if not read:
            raise Conflict(_("Nothing can be mapped yet: the file is being processed, or no column of it was read."))
        return read

    def _mapping_body(self, upload: StockUpload, read: dict[str, str | None]) -> dict[str, Any]:
        saved = upload.column_mapping
        samples = services.mapping_samples(upload)
        state = "detected" if saved is None else ("mapped_by_client" if saved.mapped_by_client else "confirmed")
        body = {
            "upload": upload.pk,
            "status": state,
            "columns": [{"header": h, "field": f, "samples": samples.get(h, [])} for h, f in read.items()],
            "saved": None
            if saved is None
            else {
                "id": saved.pk,
                "mapped_by_client": saved.mapped_by_client,
                "proposed_by": str(saved.proposed_by) if saved.proposed_by_id else None,
                "confirmed_by": str(saved.confirmed_by) if saved.confirmed_by_id else None,
                "confirmed_at": saved.confirmed_at,
            },
            "canonical_fields": [dataclasses.asdict(field) for field in canonical.canonical_fields()],
        }
        return MappingSerializer(body).data

    def _asked_mapping(self, request: Request, read: dict[str, str | None]) -> dict[str, str | None]:
        asked = MappingRequestSerializer(data=request.data, context={"read": read})
        asked.is_valid(raise_exception=True)
        return asked.validated_data["columns"]

    @extend_schema(
        methods=["GET"],
        responses={200: MappingSerializer, **errors(403, 404, 409)},
        summary="The file's column mapping and its status",
    )
    @extend_schema(
        methods=["POST"],
        request=MappingRequestSerializer,
        responses={
            200: OpenApiResponse(MappingSerializer, description="The client's mapping confirmed; nothing reprocessed"),
            202: OpenApiResponse(UploadSerializer, description="Mapping saved; the file is processed again"),
            **errors(400, 403, 404, 409, bad_request=MappingErrorBodySerializer),
        },
        summary="Confirm or correct the mapping (processed again with it)",
        description="As the mapping page: an advisor's mapping is confirmed; the company's own user's is "
        "used at once and marked mapped by the client until an advisor confirms it. An advisor keeping "
        "unchanged the client's mapping of an accepted file only confirms it (200); otherwise the file is "
        "processed again (202, poll `status_url`).",
    )
    @action(detail=True, methods=["get", "post"], parser_classes=[JSONParser])
    def mapping(self, request: Request, pk: str | None = None) -> Response:
        upload = self._changeable()
        read = self._columns_to_map(upload)
        if request.method == "GET":
            return Response(self._mapping_body(upload, read))
        columns = self._asked_mapping(request, read)
        if not services.apply_mapping(upload=upload, by=request.user, columns=columns):
            return Response(self._mapping_body(upload, read))
        body = self.get_serializer(upload).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["status_url"]})

    @extend_schema(
        request=MappingRequestSerializer,
        responses={
            200: MappingPreviewSerializer,
            **errors(400, 403, 404, 409, bad_request=MappingErrorBodySerializer),
        },
        summary="Preview the first lines under a mapping (nothing saved or processed)",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="mapping/preview",
        url_name="mapping-preview",
        parser_classes=[JSONParser],
    )
    def mapping_preview(self, request: Request, pk: str | None = None) -> Response:
        upload = self._changeable()
        read = self._columns_to_map(upload)
        columns = self._asked_mapping(request, read)
        aliases = dict((upload.mapping or {}).get("category_aliases") or {})
        preview = services.mapping_preview(
            upload=upload, mapping=ColumnMapping(columns=columns, category_aliases=aliases)
        )
        if preview is None:
            raise Conflict(_("The first rows of this file cannot be read for a preview: see its validation report."))
        body = {
            "columns": preview.columns,
            "rows": [
                {"row": line.get("row"), "values": {c: _preview_cell(line.get(c)) for c in preview.columns}}
                for line in preview.rows
            ],
            "totals": [
                {
                    "category": category,
                    "category_label": category_label(category) if category else "",
                    "currency": currency,
                    "lines": lines,
                    "book_value": total,
                }
                for category, currency, lines, total in preview.totals
            ],
            "problems": [{**p, "message": problem_labels.problem_text(p)} for p in preview.problems],
            "rows_skipped": preview.rows_skipped,
        }
        return Response(MappingPreviewSerializer(body).data)

    @extend_schema(
        request=RejectSerializer,
        responses={200: UploadSerializer, **errors(400, 403, 404)},
        summary="Reject an accepted file (advisors): each facility's previous valuation is current again",
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, FormParser])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        upload = self._changeable(advisors_only=True)
        asked = RejectSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        upload = services.reject_upload(upload=upload, by=request.user, reason=asked.validated_data["reason"])
        return Response(self.get_serializer(upload).data)

    @extend_schema(
        request=None,
        responses={202: UploadSerializer, **errors(403, 404, 409)},
        summary="Process the file again (advisors), with the mappings saved for its format",
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser])
    def reprocess(self, request: Request, pk: str | None = None) -> Response:
        upload = self._changeable(advisors_only=True)
        if upload.status in (UploadStatus.QUEUED, UploadStatus.RUNNING):
            raise Conflict(_("This file is being processed already: wait until it is finished."))
        upload = services.reprocess_upload(upload=upload, by=request.user)
        body = self.get_serializer(upload).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["status_url"]})

    @extend_schema(
        methods=["GET"],
        responses={200: UndeclaredSiteSerializer(many=True)},
        summary="The file's sites the client has not declared (advisors)",
    )
    @extend_schema(
        methods=["POST"],
        request=AcceptSiteSerializer,
        responses={
            202: AcceptedSiteSerializer,
            400: OpenApiResponse(
                description="A field is refused (unknown, invalid, or a code already declared): `fields` names it."
            ),
        },
        summary="Accept a site: declare it (fail-safe facts unless given) and value the client's facilities again",
    )
    @action(
        detail=True,
        methods=["get", "post"],
        url_path="undeclared-sites",
        parser_classes=[JSONParser, FormParser],
        pagination_class=None,
    )
    def undeclared_sites(self, request: Request, pk: str | None = None) -> Response:
        """Stock at an undeclared site is ineligible until an advisor accepts the site."""
        upload = self.get_object()
        if not request.user.is_advisor or not access.can(request.user, "change", upload.client):
            access.log_denial(request.user, "undeclared sites of valuation.StockUpload", pk)
            raise NotFound
        if request.method == "GET":
            found = sites.undeclared_sites(upload)
            data = [
                {
                    "code": s.code,
                    "lines": s.lines,
                    "book_value": s.book_value,
                    "near": s.near,
                    "acceptable": s.acceptable,
                }
                for s in found
            ]
            return Response(UndeclaredSiteSerializer(data, many=True).data)
        serializer = AcceptSiteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        warehouse, runs = sites.accept_site(client=upload.client, by=request.user, **serializer.validated_data)
        body = {"warehouse": warehouse.pk, "code": warehouse.code, "runs": [run.pk for run in runs]}
        return Response(AcceptedSiteSerializer(body).data, status=status.HTTP_202_ACCEPTED)


class ReasonAmountSerializer(serializers.Serializer):
    reason = serializers.CharField()
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)


class RunSerializer(serializers.ModelSerializer):
    """A run's figures. The working material (`terms`, the full engine `result`) only for those who
    may see it (advisors), and the ineligibles by reason only where the client may see them: the
    same decision as the pages (borrowers.common.access.visibility)."""

    client = serializers.IntegerField(source="facility.client_id", read_only=True)
    terms = serializers.JSONField(read_only=True, allow_null=True, help_text=_("Advisors only; null for others."))
    result = serializers.JSONField(read_only=True, allow_null=True, help_text=_("Advisors only; null for others."))
    ineligibles_by_reason = serializers.SerializerMethodField(help_text=_("Null where it is not shown to you."))

    class Meta:
        model = ValuationRun
        fields = [
            "id",
            "client",
            "facility",
            "upload",
            "as_of",
            "status",
            "stage",
            "currency",
            "book_value",
            "eligible_value",
            "liquidation_value",
            "financing",
            "availability",
            "failure_reason",
            "created_at",
            "finished_at",
            "terms",
            "result",
            "ineligibles_by_reason",
        ]
        read_only_fields = fields  # runs are made by the pipeline, never through the API

    def _seen(self, run: ValuationRun) -> access.Visibility:
        return access.visibility(self.context["request"].user, run.facility.client)

    @extend_schema_field(ReasonAmountSerializer(many=True, allow_null=True))
    def get_ineligibles_by_reason(self, run: ValuationRun) -> list[dict[str, Any]] | None:
        if not self._seen(run).ineligibles:
            return None
        by_reason = ((run.result or {}).get("eligibility") or {}).get("by_reason") or []
        return ReasonAmountSerializer(by_reason, many=True).data

    def to_representation(self, instance: ValuationRun) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not self._seen(instance).detail:
            data["terms"] = data["result"] = None
        return data


BAR_KINDS = ("total", "decrease", "increase")


class WaterfallBarSerializer(serializers.Serializer):
    key = serializers.CharField(help_text=_('Which figure: "book_value", "reason:<code>", "eligible", …'))
    label = serializers.CharField()
    kind = serializers.ChoiceField(choices=BAR_KINDS)
    amount = serializers.DecimalField(max_digits=18, decimal_places=2)


RUN_FILTERS = [
    OpenApiParameter("client", int, description="Client company id"),
    OpenApiParameter("facility", int, description="Facility id"),
    OpenApiParameter("upload", int, description="Stock file (upload) id"),
    OpenApiParameter("status", str, enum=list(RunStatus.values)),
]


@extend_schema_view(list=extend_schema(parameters=RUN_FILTERS))
class RunViewSet(viewsets.ReadOnlyModelViewSet):
    """Valuation runs: the figures, the full result, the waterfall and the per-line results."""

    lookup_value_regex = ID_PATTERN

    serializer_class = RunSerializer

    # What each route shows of a run (borrowers.common.access.Part): a client user reaches a route only
    # where the advisor lets the company see that part, and never the lines.
    PART_BY_ACTION: dict[str, access.Part] = {"waterfall": "waterfall", "lines": "detail"}

    def get_queryset(self) -> QuerySet[ValuationRun]:
        part = self.PART_BY_ACTION.get(self.action or "", "figures")
        queryset = access.runs_showing(ValuationRun.objects.select_related("facility__client"), self.request.user, part)
        if self.action != "list":
            return queryset
        for name, lookup in (("client", "facility__client_id"), ("facility", "facility_id"), ("upload", "upload_id")):
            value = id_param(self.request, name)
            if value is not None:
                queryset = queryset.filter(**{lookup: value})
        wanted = self.request.query_params.get("status")
        if wanted:
            if wanted not in RunStatus.values:
                raise serializers.ValidationError({"status": [_("Choose one of: %s.") % ", ".join(RunStatus.values)]})
            queryset = queryset.filter(status=wanted)
        return queryset

    @extend_schema(responses={200: WaterfallBarSerializer(many=True)}, summary="The run's waterfall")
    @action(detail=True, pagination_class=None)  # every bar, not paged
    def waterfall(self, request: Request, pk: str | None = None) -> Response:
        """Book value → each ineligible reason → eligible → liquidation value → financing."""
        run = self.get_object()
        bars = charts.waterfall_bars(run.result or {})
        return Response(WaterfallBarSerializer(bars, many=True).data)

    @extend_schema(
        parameters=[LineQuerySerializer],
        responses={200: LinePageSerializer},
        summary="The run's stock lines with their eligibility, filtered, sorted, 50 a page",
    )
    @action(detail=True)
    def lines(self, request: Request, pk: str | None = None) -> Response:
        """The same drill-down as the pages (valuation.workspace.drilldown, read from the run's Parquet lines)."""
        run = self.get_object()
        query = LineQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page = drilldown.line_page(run, query.line_filter())
        return Response(line_page_body(request, page))
