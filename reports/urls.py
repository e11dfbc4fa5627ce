from django.urls import path

from reports import certificate_views, field_exam_views, views

app_name = "reports"
urlpatterns = [
    path("reports/", views.report_list, name="report-list"),
    path("reports/<int:pk>/", views.report_detail, name="report-detail"),
    path("reports/<int:pk>/status/", views.report_status, name="report-status"),
    path("reports/<int:pk>/pdf/", views.report_download, name="report-download"),
    path("reports/<int:pk>/share/", views.report_share, name="report-share"),
    path("reports/<int:pk>/share-client/", views.report_share_client, name="report-share-client"),
    path("reports/<int:pk>/withdraw-client/", views.report_withdraw_client, name="report-withdraw-client"),
    path("reports/shares/<int:share_pk>/withdraw/", views.share_withdraw, name="share-withdraw"),
    path("reports/<int:pk>/comments/", views.report_comment, name="report-comment"),
    path("reports/<int:pk>/decision/", views.report_decide, name="report-decide"),
    path("reports/<int:pk>/certify/", views.report_certify, name="report-certify"),
    path("runs/<int:run_pk>/issue-report/", views.report_issue, name="report-issue"),
    # The borrower's own certificate against StockPledge's valuation (issue 16, part 5).
    path(
        "facilities/<int:pk>/borrower-certificates/",
        certificate_views.facility_certificates,
        name="borrower-certificates",
    ),
    path(
        "facilities/<int:pk>/borrower-certificates/new/",
        certificate_views.certificate_new,
        name="borrower-certificate-new",
    ),
    path(
        "borrower-certificates/<int:pk>/",
        certificate_views.certificate_detail,
        name="borrower-certificate-detail",
    ),
    path(
        "bank/facilities/<int:pk>/borrower-certificates/",
        certificate_views.bank_certificates,
        name="bank-borrower-certificates",
    ),
    # -- field exams (issue 16)
    path("field-exams/<int:pk>/pdf/", field_exam_views.exam_pdf, name="exam-pdf"),
]
