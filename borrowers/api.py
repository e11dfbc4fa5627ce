"""API for clients and warehouses, and the scoped viewset every API route builds on."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from borrowers import services
from borrowers.api_schema import errors
from borrowers.common import access, audit
from borrowers.forms import InvitationForm
from borrowers.models import (
    CLIENT_FACT_FIELDS,
    WAREHOUSE_FIELDS,
    AuditEvent,
    ClientCompany,
    Invitation,
    Role,
    StockCategory,
    User,
    Warehouse,
)

SAFE = {"GET", "HEAD", "OPTIONS"}
# Ids in URLs: digits only (and within a bigint), so anything else is a plain 404 from the resolver.
ID_PATTERN = "[0-9]{1,18}"


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


def id_param(request: Request, name: str) -> int | None:
    """An optional integer query parameter; anything else is a 400 naming the parameter."""
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise serializers.ValidationError({name: [_("Enter a whole number.")]})
    return int(raw)


class ScopedModelViewSet(viewsets.ModelViewSet):
    """Reads through access.scope(view); writes through access.scope(change) and the audited
    save service. Outsiders get 404 for objects they may not see, 403 for visible read-only ones."""

    base_queryset: QuerySet
    lookup_value_regex = ID_PATTERN
    # Query parameter -> lookup, for the list filters (integers: ids).
    id_filters: dict[str, str] = {}
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
        if self.action == "list":
            for name, lookup in self.id_filters.items():
                value = id_param(self.request, name)
                if value is not None:
                    queryset = queryset.filter(**{lookup: value})
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
        services.delete_record(by=self.request.user, instance=instance)


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


@extend_schema_view(list=extend_schema(parameters=[OpenApiParameter("client", int, description="Client company id")]))
class WarehouseViewSet(ScopedModelViewSet):
    serializer_class = WarehouseSerializer
    base_queryset = Warehouse.objects.select_related("client")
    id_filters = {"client": "client_id"}


class StockCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = StockCategory
        fields = [
            "id",
            "code",
            "name",
            "base_category",
            "liquidity_class",
            "default_recovery_pct",
            "selling_costs_pct",
        ]


class StockCategoryViewSet(ScopedModelViewSet):
    """The firm's stock (sub-)categories and their default rates (advisors only)."""

    serializer_class = StockCategorySerializer
    base_queryset = StockCategory.objects.all()

    def prepare_new(self, instance: StockCategory) -> None:
        instance.firm_id = self.request.user.firm_id


# ------------------------------------------------------------------------------------ API tokens


@transaction.atomic
def rotate_token(*, user: User) -> Token:
    """Replace the user's API token: the old key stops working at once. Audited (never the key)."""
    Token.objects.filter(user=user).delete()
    token = Token.objects.create(user=user)
    if user.firm_id is not None:
        audit.record(actor=user, action="rotate-api-token", instance=user)
    return token


@transaction.atomic
def revoke_token(*, user: User) -> None:
    deleted, _rows = Token.objects.filter(user=user).delete()
    if deleted and user.firm_id is not None:
        audit.record(actor=user, action="revoke-api-token", instance=user)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True, help_text=_("Send it as the header `Authorization: Token <key>`."))


class CredentialsSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class ObtainTokenView(APIView):
    """Exchange an e-mail and password for the user's API token (created on first use).

    Goes through the same log-in backend as the web page, so failures count towards the lock-out."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=CredentialsSerializer,
        responses={200: TokenSerializer},
        auth=[],
        summary="Get an API token with an e-mail and password",
    )
    def post(self, request: Request) -> Response:
        credentials = CredentialsSerializer(data=request.data)
        credentials.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=credentials.validated_data["email"],
            password=credentials.validated_data["password"],
        )
        if user is None or not user.is_active:
            raise serializers.ValidationError(
                {"non_field_errors": [_("Unable to log in with these credentials.")]}, code="authorization"
            )
        token, _created = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})


class MyTokenView(APIView):
    """The logged-in user's own API token: read it (created on first use), rotate it or revoke it."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: TokenSerializer}, summary="Your API token")
    def get(self, request: Request) -> Response:
        token, _created = Token.objects.get_or_create(user=request.user)
        return Response({"token": token.key})

    @extend_schema(request=None, responses={201: TokenSerializer}, summary="Rotate your API token")
    def post(self, request: Request) -> Response:
        return Response({"token": rotate_token(user=request.user).key}, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={204: None}, summary="Revoke your API token")
    def delete(self, request: Request) -> Response:
        revoke_token(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# ------------------------------------------------------------------------ invitations, audit trail
# The advisors' pages (borrowers.views.invitation_list, audit_list), through the same form and
# services; the scope is access.scope's (advisors of the firm), so others read an empty list.

INVITATION_STATUSES = ("pending", "accepted", "expired")


class InvitationSerializer(serializers.ModelSerializer):
    """An invitation as the page lists it: never its token (the link goes to the invitee only)."""

    invited_by_name = serializers.SerializerMethodField()
    status = serializers.SerializerMethodField(help_text="pending, accepted or expired")

    class Meta:
        model = Invitation
        fields = [
            "id",
            "email",
            "role",
            "client",
            "lender",
            "invited_by_name",
            "created_at",
            "expires_at",
            "accepted_at",
            "status",
        ]
        read_only_fields = fields

    def get_invited_by_name(self, invitation: Invitation) -> str:
        return str(invitation.invited_by)

    @extend_schema_field(serializers.ChoiceField(choices=INVITATION_STATUSES))
    def get_status(self, invitation: Invitation) -> str:
        if invitation.accepted_at:
            return "accepted"
        return "pending" if invitation.is_usable else "expired"


class InviteSerializer(serializers.Serializer):
    """Whom to invite; the page's form (borrowers.forms.InvitationForm) validates it."""

    email = serializers.EmailField(max_length=254)
    role = serializers.ChoiceField(choices=Role.choices, help_text="advisor: firm administrators only")
    client = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="The company of a client user (role client)"
    )
    lender = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, help_text="The lender of a bank user (role bank)"
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        posted = {key: "" if attrs.get(key) is None else attrs[key] for key in ("email", "role", "client", "lender")}
        form = InvitationForm(posted, inviter=self.context["request"].user)
        if not form.is_valid():
            raise serializers.ValidationError(
                {("non_field_errors" if k == "__all__" else k): list(v) for k, v in form.errors.items()}
            )
        return form.cleaned_data


@extend_schema_view(
    list=extend_schema(
        summary="The firm's invitations (advisors)", responses={200: InvitationSerializer(many=True), **errors(404)}
    ),
    create=extend_schema(
        request=InviteSerializer,
        responses={201: InvitationSerializer, **errors(400, 403)},
        summary="Invite a client user, a bank user or (firm administrators) an advisor: the link is e-mailed",
    ),
)
class InvitationViewSet(mixins.CreateModelMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = InvitationSerializer

    def get_queryset(self) -> QuerySet[Invitation]:
        return access.scope(Invitation.objects.select_related("invited_by"), self.request.user)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not request.user.is_advisor:
            access.log_denial(request.user, "api invite", "invitation")
            raise PermissionDenied
        asked = InviteSerializer(data=request.data, context=self.get_serializer_context())
        asked.is_valid(raise_exception=True)
        data = asked.validated_data
        invitation = services.invite(
            by=request.user,
            email=data["email"],
            role=data["role"],
            client=data.get("client"),
            lender=data.get("lender"),
            base_url=request.build_absolute_uri("/"),
        )
        return Response(self.get_serializer(invitation).data, status=status.HTTP_201_CREATED)


class AuditChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


class AuditEventSerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()
    changes = serializers.SerializerMethodField(help_text="Each field whose value changed")

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "actor",
            "actor_name",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "client",
            "before",
            "after",
            "changes",
        ]
        read_only_fields = fields

    def get_actor_name(self, event: AuditEvent) -> str | None:
        return str(event.actor) if event.actor_id else None

    @extend_schema_field(AuditChangeSerializer(many=True))
    def get_changes(self, event: AuditEvent) -> list[dict[str, Any]]:
        return [{"field": field, "before": before, "after": after} for field, before, after in event.changes]


class AuditQuerySerializer(serializers.Serializer):
    """The audit page's filter, checked: a bad value is a 400 naming it."""

    type = serializers.CharField(
        required=False, allow_blank=True, max_length=100, help_text='Object type, such as "valuation.StockUpload"'
    )


@extend_schema_view(
    list=extend_schema(
        summary="The firm's audit trail (advisors), latest first, 50 a page",
        parameters=[AuditQuerySerializer],
        responses={200: AuditEventSerializer(many=True), **errors(400, 404)},
    )
)
class AuditEventViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    serializer_class = AuditEventSerializer

    def get_queryset(self) -> QuerySet[AuditEvent]:
        events = AuditEvent.objects.visible_to(self.request.user).select_related("actor")
        query = AuditQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        object_type = query.validated_data.get("type", "").strip()
        return events.filter(object_type=object_type) if object_type else events
