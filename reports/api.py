"""API for report versions: issue (202, rendered off the request), read, download the PDF, share
with and withdraw from lenders, comment, decide, certify. Every workflow is a reports.services call."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import FileResponse
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from borrowers.api import ID_PATTERN, id_param
from borrowers.api_schema import ErrorBodySerializer, errors
from borrowers.common import access
from facilities.models import Lender
from reports import services
from reports.models import (
    Certification,
    RenderStatus,
    ReportAccess,
    ReportComment,
    ReportDecision,
    ReportKind,
    ReportShare,
    ReportVersion,
)
from valuation.models import ValuationRun


class ShareSerializer(serializers.ModelSerializer):
    lender_name = serializers.CharField(source="lender.name", read_only=True)
    active = serializers.SerializerMethodField()

    class Meta:
        model = ReportShare
        fields = ["id", "lender", "lender_name", "shared_at", "withdrawn_at", "active"]
        read_only_fields = ["shared_at", "withdrawn_at"]

    def get_active(self, share: ReportShare) -> bool:
        return share.withdrawn_at is None


class ShareRequestSerializer(serializers.Serializer):
    lender = serializers.PrimaryKeyRelatedField(queryset=Lender.objects.none())

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["lender"].queryset = access.scope(Lender.objects.all(), self.context["request"].user, "change")
        return fields


class CertificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Certification
        fields = ["signatory_name", "signatory_title", "statement", "certified_at"]
        read_only_fields = ["certified_at"]
        extra_kwargs = {"statement": {"max_length": services.MAX_TEXT}}


class ClientShareSerializer(serializers.ModelSerializer):
    """Whether the borrower's users read the version, and what their copy includes."""

    shared = serializers.BooleanField(source="shared_with_client", read_only=True)
    include_levers = serializers.BooleanField(source="client_includes_levers", default=False)
    include_annex = serializers.BooleanField(source="client_includes_annex", default=False)

    class Meta:
        model = ReportVersion
        fields = ["shared", "client_shared_at", "include_levers", "include_annex"]
        read_only_fields = ["client_shared_at"]


class ReportSerializer(serializers.ModelSerializer):
    client = serializers.IntegerField(source="facility.client_id", read_only=True)
    author_name = serializers.SerializerMethodField()
    status_url = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField(help_text=_("Where to download the PDF once it is ready."))
    certification = serializers.SerializerMethodField()

    class Meta:
        model = ReportVersion
        fields = [
            "id",
            "run",
            "facility",
            "client",
            "kind",
            "number",
            "language",
            "title",
            "author_name",
            "issued_at",
            "render_status",
            "failure_reason",
            "status_url",
            "pdf_url",
            "certification",
        ]
        read_only_fields = fields

    def get_author_name(self, report: ReportVersion) -> str:
        return str(report.author)

    def get_status_url(self, report: ReportVersion) -> str:
        return self.context["request"].build_absolute_uri(reverse("report-detail", args=[report.pk]))

    def get_pdf_url(self, report: ReportVersion) -> str | None:
        if report.render_status != RenderStatus.READY or not report.pdf_for(self.context["request"].user):
            return None
        return self.context["request"].build_absolute_uri(reverse("report-pdf", args=[report.pk]))

    @extend_schema_field(CertificationSerializer(allow_null=True))
    def get_certification(self, report: ReportVersion) -> dict[str, Any] | None:
        certification = getattr(report, "certification", None)
        return CertificationSerializer(certification).data if certification is not None else None


class IssueSerializer(serializers.Serializer):
    run = serializers.PrimaryKeyRelatedField(queryset=ValuationRun.objects.none())
    kind = serializers.ChoiceField(choices=ReportKind.choices, default=ReportKind.FINANCING_REPORT)
    language = serializers.ChoiceField(
        choices=ReportVersion._meta.get_field("language").choices,
        required=False,
        allow_null=True,
        help_text=_("Defaults to the client's report language."),
    )

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        fields["run"].queryset = access.scope(ValuationRun.objects.all(), self.context["request"].user, "change")
        return fields


class CommentSerializer(serializers.ModelSerializer):
    author_name = serializers.SerializerMethodField()

    class Meta:
        model = ReportComment
        fields = ["id", "author_name", "body", "at"]
        read_only_fields = ["at"]
        extra_kwargs = {"body": {"max_length": services.MAX_TEXT}}

    def get_author_name(self, comment: ReportComment) -> str:
        return str(comment.author)


class DecisionSerializer(serializers.ModelSerializer):
    author_name = serializers.SerializerMethodField()
    lender_name = serializers.CharField(source="lender.name", read_only=True)

    class Meta:
        model = ReportDecision
        fields = ["id", "decision", "comment", "lender", "lender_name", "author_name", "at"]
        read_only_fields = ["lender", "at"]
        extra_kwargs = {"comment": {"max_length": services.MAX_TEXT, "required": False}}

    def get_author_name(self, decision: ReportDecision) -> str:
        return str(decision.author)


class ReportAccessSerializer(serializers.ModelSerializer):
    """One view or download of a version by a lender's (or the client's) user: the access log the
    report page shows its firm's advisors."""

    user_name = serializers.SerializerMethodField()
    party = serializers.SerializerMethodField(help_text="The user's lender, or client company")

    class Meta:
        model = ReportAccess
        fields = ["id", "user", "user_name", "party", "action", "at"]
        read_only_fields = fields

    def get_user_name(self, entry: ReportAccess) -> str:
        return str(entry.user)

    def get_party(self, entry: ReportAccess) -> str:
        return str(entry.user.lender or entry.user.client or "")


REPORT_FILTERS = [
    OpenApiParameter("client", int, description="Client company id"),
    OpenApiParameter("facility", int, description="Facility id"),
    OpenApiParameter("run", int, description="Valuation run id"),
    OpenApiParameter("kind", str, enum=list(ReportKind.values)),
]


@extend_schema_view(
    list=extend_schema(parameters=REPORT_FILTERS),
    create=extend_schema(
        request=IssueSerializer,
        responses={202: ReportSerializer},
        description="Issue a new frozen version from a completed run (advisors). The PDF renders in "
        "the background: poll `status_url` until `render_status` is ready, then download `pdf_url`.",
    ),
)
class ReportViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Report versions the user may see: advisors their firm's, client users their company's ready
    ones, bank users the ready ones shared with their lender."""

    lookup_value_regex = ID_PATTERN

    serializer_class = ReportSerializer

    def get_queryset(self) -> QuerySet[ReportVersion]:
        queryset = access.scope(
            ReportVersion.objects.select_related("facility", "author", "certification"), self.request.user
        )
        if self.action != "list":
            return queryset
        for name, lookup in (("client", "facility__client_id"), ("facility", "facility_id"), ("run", "run_id")):
            value = id_param(self.request, name)
            if value is not None:
                queryset = queryset.filter(**{lookup: value})
        kind = self.request.query_params.get("kind")
        if kind:
            if kind not in ReportKind.values:
                raise serializers.ValidationError({"kind": [_("Choose one of: %s.") % ", ".join(ReportKind.values)]})
            queryset = queryset.filter(kind=kind)
        return queryset

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        issue = IssueSerializer(data=request.data, context=self.get_serializer_context())
        issue.is_valid(raise_exception=True)
        report = services.issue_report(
            run=issue.validated_data["run"],
            by=request.user,
            kind=issue.validated_data["kind"],
            language=issue.validated_data.get("language"),
        )
        body = self.get_serializer(report).data
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["status_url"]})

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        report = self.get_object()
        if request.user.is_bank_user:
            services.record_access(report=report, user=request.user, action="view")
        return Response(self.get_serializer(report).data)

    def _changeable(self) -> ReportVersion:
        """The report, for an advisor of its firm; 403 to those who only read it."""
        report = self.get_object()
        if not access.can(self.request.user, "change", report):
            raise PermissionDenied
        return report

    def _in_thread(self) -> ReportVersion:
        """The report, for its firm's advisors and the lenders it is shared with (the comment and
        decision thread is theirs; client users read the report but not the thread)."""
        report = self.get_object()
        if self.request.user.is_client_user:
            raise PermissionDenied
        return report

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF"),
            409: OpenApiResponse(ErrorBodySerializer, description="Not rendered yet (`not_ready`)"),
        },
        summary="Download the report's PDF (logged)",
    )
    @action(detail=True)
    def pdf(self, request: Request, pk: str | None = None) -> FileResponse | Response:
        report = self.get_object()
        pdf = report.pdf_for(request.user)
        if report.render_status != RenderStatus.READY or not pdf:
            return Response(
                {
                    "error": "not_ready",
                    "detail": str(_("The PDF is not ready yet: %s.") % report.get_render_status_display()),
                },
                status=status.HTTP_409_CONFLICT,
            )
        services.record_access(report=report, user=request.user, action="download")
        return FileResponse(
            pdf.open("rb"),
            as_attachment=True,
            filename=f"{slugify(report.title) or 'report'}-v{report.number}.pdf",
            content_type="application/pdf",
        )

    @extend_schema(
        methods=["GET"], responses={200: ClientShareSerializer, **errors(403)}, summary="Sharing with the client"
    )
    @extend_schema(
        methods=["POST"],
        request=ClientShareSerializer,
        responses={200: ClientShareSerializer},
        summary="Share the report with the client's users (the client copy), or change what it includes",
    )
    @extend_schema(methods=["DELETE"], responses={200: ClientShareSerializer}, summary="Withdraw from the client")
    @action(detail=True, methods=["get", "post", "delete"], url_path="client-share", url_name="client-share")
    def client_share(self, request: Request, pk: str | None = None) -> Response:
        report = self._changeable()
        if request.method == "POST":
            asked = ClientShareSerializer(data=request.data)
            asked.is_valid(raise_exception=True)
            report = services.share_with_client(
                report=report,
                by=request.user,
                include_levers=asked.validated_data["client_includes_levers"],
                include_annex=asked.validated_data["client_includes_annex"],
            )
        elif request.method == "DELETE":
            report = services.withdraw_from_client(report=report, by=request.user)
        return Response(ClientShareSerializer(report).data)

    @extend_schema(
        methods=["GET"], responses={200: ShareSerializer(many=True), **errors(403)}, summary="The report's shares"
    )
    @extend_schema(
        methods=["POST"],
        request=ShareRequestSerializer,
        responses={201: ShareSerializer},
        summary="Share the report with a lender",
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)  # the whole list, not paged
    def shares(self, request: Request, pk: str | None = None) -> Response:
        report = self._changeable()
        if request.method == "GET":
            shares = report.shares.select_related("lender")
            return Response(ShareSerializer(shares, many=True).data)
        asked = ShareRequestSerializer(data=request.data, context=self.get_serializer_context())
        asked.is_valid(raise_exception=True)
        share = services.share_report(report=report, lender=asked.validated_data["lender"], by=request.user)
        return Response(ShareSerializer(share).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ShareSerializer}, summary="Withdraw a share")
    @action(
        detail=True, methods=["post"], url_path=r"shares/(?P<share_pk>[0-9]{1,18})/withdraw", url_name="withdraw-share"
    )
    def withdraw_share(self, request: Request, pk: str | None = None, share_pk: str | None = None) -> Response:
        report = self._changeable()
        share = report.shares.filter(pk=int(share_pk or 0)).first()
        if share is None:
            raise NotFound
        share = services.withdraw_share(share=share, by=request.user)
        return Response(ShareSerializer(share).data)

    @extend_schema(
        methods=["GET"], responses={200: CommentSerializer(many=True), **errors(403)}, summary="The comment thread"
    )
    @extend_schema(methods=["POST"], request=CommentSerializer, responses={201: CommentSerializer}, summary="Comment")
    @action(detail=True, methods=["get", "post"], pagination_class=None)  # the whole list, not paged
    def comments(self, request: Request, pk: str | None = None) -> Response:
        report = self._in_thread()
        if request.method == "GET":
            comments = report.comments.select_related("author")
            if request.user.is_bank_user:
                # A lender reads the advisors' messages and its own, not another lender's.
                comments = comments.filter(Q(author__role="advisor") | Q(author__lender_id=request.user.lender_id))
            return Response(CommentSerializer(comments, many=True).data)
        asked = CommentSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        comment = services.add_comment(report=report, author=request.user, body=asked.validated_data["body"])
        return Response(CommentSerializer(comment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        responses={200: DecisionSerializer(many=True), **errors(403)},
        summary="The lenders' decisions",
    )
    @extend_schema(
        methods=["POST"],
        request=DecisionSerializer,
        responses={201: DecisionSerializer},
        summary="Decide on the report (a lender it is shared with)",
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None)  # the whole list, not paged
    def decisions(self, request: Request, pk: str | None = None) -> Response:
        report = self._in_thread()
        if request.method == "GET":
            decisions = report.decisions.select_related("author", "lender")
            if request.user.is_bank_user:
                decisions = decisions.filter(lender_id=request.user.lender_id)
            return Response(DecisionSerializer(decisions, many=True).data)
        asked = DecisionSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        made = services.record_decision(
            report=report,
            by=request.user,
            decision=asked.validated_data["decision"],
            comment=asked.validated_data.get("comment", ""),
        )
        return Response(DecisionSerializer(made).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        methods=["GET"],
        responses={
            200: CertificationSerializer,
            404: OpenApiResponse(ErrorBodySerializer, description="No such report, or it is not certified."),
        },
        summary="The certificate's certification",
    )
    @extend_schema(
        methods=["POST"],
        request=CertificationSerializer,
        responses={201: CertificationSerializer},
        summary="Certify a borrowing base certificate (the client's signatory)",
    )
    @action(detail=True, methods=["get", "post"])
    def certification(self, request: Request, pk: str | None = None) -> Response:
        report = self.get_object()
        if request.method == "GET":
            made = Certification.objects.filter(report=report).first()
            if made is None:
                raise NotFound(_("This report is not certified."))
            return Response(CertificationSerializer(made).data)
        asked = CertificationSerializer(data=request.data)
        asked.is_valid(raise_exception=True)
        made = services.certify(report=report, by=request.user, **asked.validated_data)
        return Response(CertificationSerializer(made).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        responses={200: ReportAccessSerializer(many=True), **errors(403, 404)},
        summary="Who opened or downloaded the report (the firm's advisors), latest first, 50 a page",
    )
    @action(detail=True, url_path="access-log", url_name="access-log")
    def access_log(self, request: Request, pk: str | None = None) -> Response:
        report = self._changeable()
        entries = ReportAccess.objects.filter(report=report).select_related("user__lender", "user__client")
        page = self.paginate_queryset(entries)
        return self.get_paginated_response(ReportAccessSerializer(page, many=True).data)
