from django.urls import path

from valuation import views
from valuation.field_exams import views as exam_views
from valuation.rates import views as rate_views
from valuation.workspace import (
    alert_views,
    bank_views,
    covenant_views,
    line_compare_views,
    portfolio_views,
    rollforward_views,  # roll-forward (issue 16)
)
from valuation.workspace import views as workspace

app_name = "valuation"
urlpatterns = [
    path("dashboard/", workspace.advisor_dashboard, name="dashboard"),
    path("clients/<int:pk>/", workspace.client_detail, name="client-detail"),
    path("facilities/<int:pk>/", workspace.facility_detail, name="facility-detail"),
    path("facilities/<int:pk>/lines/", workspace.facility_lines, name="facility-lines"),
    path("facilities/<int:pk>/lines/export.<str:fmt>", workspace.facility_lines_export, name="facility-lines-export"),
    path("facilities/<int:pk>/compare/", workspace.facility_compare, name="facility-compare"),
    path(
        "facilities/<int:pk>/compare/lines/", line_compare_views.facility_compare_lines, name="facility-compare-lines"
    ),
    path(
        "facilities/<int:pk>/compare/lines/export.<str:fmt>",
        line_compare_views.facility_compare_lines_export,
        name="facility-compare-lines-export",
    ),
    path("facilities/<int:pk>/compare/terms/", workspace.facility_compare_terms, name="facility-compare-terms"),
    path("facilities/<int:pk>/bridge/", workspace.facility_bridge, name="facility-bridge"),
    path("clients/<int:client_pk>/uploads/", views.upload_list, name="upload-list"),
    path("clients/<int:client_pk>/uploads/new/", views.upload_create, name="upload-create"),
    path("uploads/<int:pk>/", views.upload_detail, name="upload-detail"),
    path("uploads/<int:pk>/status/", views.upload_status, name="upload-status"),
    path("uploads/<int:pk>/mapping/", views.upload_mapping, name="upload-mapping"),
    path("uploads/<int:pk>/mapping/preview/", views.upload_mapping_preview, name="upload-mapping-preview"),
    path("uploads/<int:pk>/reject/", views.upload_reject, name="upload-reject"),
    path("uploads/<int:pk>/sites/accept/", views.upload_accept_site, name="upload-accept-site"),
    path("runs/<int:pk>/", views.run_detail, name="run-detail"),
    path("bank/facilities/<int:pk>/", bank_views.bank_facility, name="bank-facility"),
    path("rates/", rate_views.rate_list, name="rate-list"),
    path("rates/<int:pk>/edit/", rate_views.rate_edit, name="rate-edit"),
    path("rates/import/", rate_views.rate_import, name="rate-import"),
    path("rates/reporting-currency/", rate_views.reporting_currency, name="reporting-currency"),
    path("facilities/<int:pk>/alerts/", alert_views.facility_alerts, name="facility-alerts"),
    path(
        "facilities/<int:pk>/alerts/thresholds/",
        alert_views.facility_alert_thresholds,
        name="facility-alert-thresholds",
    ),
    path("alerts/<int:pk>/acknowledge/", alert_views.alert_acknowledge, name="alert-acknowledge"),
    path("alerts/<int:pk>/resolve/", alert_views.alert_resolve, name="alert-resolve"),
    path("alerts/thresholds/", alert_views.alert_thresholds, name="alert-thresholds"),
    path("bank/portfolio/", portfolio_views.bank_portfolio, name="bank-portfolio"),
    # roll-forward (issue 16)
    path("facilities/<int:pk>/rollforward/", rollforward_views.facility_rollforward, name="facility-rollforward"),
    path(
        "facilities/<int:pk>/rollforward/inputs/",
        rollforward_views.facility_rollforward_inputs,
        name="facility-rollforward-inputs",
    ),
    path(
        "facilities/<int:pk>/rollforward/ledger/",
        rollforward_views.facility_rollforward_ledger,
        name="facility-rollforward-ledger",
    ),
    path(
        "facilities/<int:pk>/rollforward/tolerance/",
        rollforward_views.facility_rollforward_tolerance,
        name="facility-rollforward-tolerance",
    ),
    # end of roll-forward (issue 16)
    # covenants (issue 16): the advisor's covenant page, the bank's waiver.
    path("facilities/<int:pk>/covenants/", covenant_views.facility_covenants, name="facility-covenants"),
    path(
        "bank/facilities/<int:pk>/covenants/tests/<int:test_pk>/waive/",
        covenant_views.bank_covenant_waive,
        name="bank-covenant-waive",
    ),
    # -- field exams (issue 16)
    path("field-exams/", exam_views.exam_list, name="exam-list"),
    path("field-exams/facilities/<int:pk>/plan/", exam_views.exam_plan, name="exam-plan"),
    path("field-exams/<int:pk>/", exam_views.exam_detail, name="exam-detail"),
    path("field-exams/<int:pk>/lines/<int:line_pk>/", exam_views.exam_count, name="exam-count"),
    path("field-exams/<int:pk>/submit/", exam_views.exam_submit, name="exam-submit"),
    path("field-exams/<int:pk>/accept/", exam_views.exam_accept, name="exam-accept"),
    path("field-exams/<int:pk>/reject/", exam_views.exam_reject, name="exam-reject"),
    path("field-exams/findings/<int:pk>/decide/", exam_views.finding_decide, name="exam-finding-decide"),
    path("field-exams/findings/<int:pk>/withdraw/", exam_views.finding_withdraw, name="exam-finding-withdraw"),
    path("field-exams/photos/<int:pk>/", exam_views.exam_photo, name="exam-photo"),
    # -- end of field exams
]
