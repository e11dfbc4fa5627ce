"""The REST API router: every viewset's queryset goes through borrowers.common.access."""

from django.urls import include, path
from django.views.decorators.csrf import ensure_csrf_cookie
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from borrowers.api import (
    AuditEventViewSet,
    ClientViewSet,
    InvitationViewSet,
    MyTokenView,
    ObtainTokenView,
    StockCategoryViewSet,
    WarehouseViewSet,
)
from facilities.api import AppraisalViewSet, FacilityViewSet, LenderViewSet
from facilities.calendar_api import FacilityCalendarView
from facilities.covenant_api import FacilityCovenantDetailView, FacilityCovenantsView
from facilities.credit_file_api import CreditDocumentViewSet
from reports.api import ReportViewSet
from valuation.api import RunViewSet, UploadViewSet
from valuation.rates.api import EcbImportView, ExchangeRateViewSet
from valuation.workspace.covenant_api import FacilityCovenantTestsView


# The API speaks JSON only, so a format suffix ("/api/runs/1.json") selects nothing: without the
# router's suffix patterns every such URL is a plain 404, instead of reaching actions that do not
# take a `format` argument (16 routes answered 500).
class JSONRouter(DefaultRouter):
    include_format_suffixes = False


router = JSONRouter()
router.register("clients", ClientViewSet, basename="client")
router.register("warehouses", WarehouseViewSet, basename="warehouse")
router.register("categories", StockCategoryViewSet, basename="category")
router.register("lenders", LenderViewSet, basename="lender")
router.register("facilities", FacilityViewSet, basename="facility")
router.register("appraisals", AppraisalViewSet, basename="appraisal")
router.register("uploads", UploadViewSet, basename="upload")
router.register("runs", RunViewSet, basename="run")
router.register("reports", ReportViewSet, basename="report")
router.register("invitations", InvitationViewSet, basename="invitation")
router.register("audit", AuditEventViewSet, basename="audit")
router.register("rates", ExchangeRateViewSet, basename="rate")
router.register("credit-documents", CreditDocumentViewSet, basename="credit-document")  # the credit file

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file, so the page needs no inline script; the
    # CSRF cookie lets "Try it out" write with the session, as the pages do.
    path("docs/", ensure_csrf_cookie(SpectacularSwaggerSplitView.as_view(url_name="api-schema")), name="api-docs"),
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("auth/token/mine/", MyTokenView.as_view(), name="api-token-mine"),
    # The workspace pages' routes: dashboard, compare, try terms, a facility's lines and exports.
    path("", include("valuation.workspace.api")),
    path("rates/import/", EcbImportView.as_view(), name="rate-import"),
    path("facilities/<int:pk>/calendar/", FacilityCalendarView.as_view(), name="facility-calendar"),
    # roll-forward (issue 16): a facility's periods, and a period's inputs entered.
    path("", include("valuation.workspace.rollforward_api")),
    # covenants (issue 16)
    path("facilities/<int:pk>/covenants/", FacilityCovenantsView.as_view(), name="facility-covenants"),
    path("facilities/<int:pk>/covenants/tests/", FacilityCovenantTestsView.as_view(), name="facility-covenant-tests"),
    path(
        "facilities/<int:pk>/covenants/<int:covenant_pk>/",
        FacilityCovenantDetailView.as_view(),
        name="facility-covenant-detail",
    ),
    path("", include(router.urls)),
]
