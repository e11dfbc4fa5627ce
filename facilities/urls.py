from django.urls import path

from facilities import calendar_views, controller_views, covenant_views, credit_file_views, views

app_name = "facilities"
urlpatterns = [
    path("lenders/", views.lender_list, name="lender-list"),
    path("lenders/<int:pk>/edit/", views.lender_edit, name="lender-edit"),
    path("clients/<int:client_pk>/facilities/new/", views.facility_edit, name="facility-create"),
    path("clients/<int:client_pk>/facilities/<int:pk>/edit/", views.facility_edit, name="facility-edit"),
    path("facilities/<int:pk>/appraisals/", views.appraisal_list, name="appraisal-list"),
    path("facilities/<int:pk>/appraisals/new/", views.appraisal_edit, name="appraisal-create"),
    path("facilities/<int:pk>/appraisals/<int:appraisal_pk>/edit/", views.appraisal_edit, name="appraisal-edit"),
    path("facilities/<int:pk>/appraisals/<int:appraisal_pk>/delete/", views.appraisal_delete, name="appraisal-delete"),
    path("facilities/<int:pk>/appraisals/<int:appraisal_pk>/report/", views.appraisal_report, name="appraisal-report"),
    # The reporting calendar (facilities/calendar_views.py).
    path("facilities/<int:pk>/calendar/", calendar_views.facility_calendar, name="calendar"),
    path("facilities/<int:pk>/calendar/new/", calendar_views.deliverable_edit, name="deliverable-create"),
    path(
        "facilities/<int:pk>/calendar/<int:deliverable_pk>/edit/",
        calendar_views.deliverable_edit,
        name="deliverable-edit",
    ),
    path(
        "facilities/<int:pk>/calendar/<int:deliverable_pk>/delete/",
        calendar_views.deliverable_delete,
        name="deliverable-delete",
    ),
    path("facilities/<int:pk>/calendar/<int:deliverable_pk>/waive/", calendar_views.period_waive, name="period-waive"),
    path(
        "facilities/<int:pk>/calendar/<int:deliverable_pk>/receive/",
        calendar_views.period_receive,
        name="period-receive",
    ),
    # The credit file (facilities/credit_file_views.py; issue 16, part 4).
    path("clients/<int:client_pk>/credit-file/", credit_file_views.credit_file_page, name="credit-file"),
    path("clients/<int:client_pk>/credit-file/new/", credit_file_views.document_upload, name="credit-document-create"),
    path("credit-file/<int:pk>/edit/", credit_file_views.document_edit, name="credit-document-edit"),
    path("credit-file/<int:pk>/renew/", credit_file_views.document_renew, name="credit-document-renew"),
    path("credit-file/<int:pk>/download/", credit_file_views.document_download, name="credit-document-download"),
    # covenants (issue 16): the covenant form and the financial statements (facilities/covenant_views.py).
    path("facilities/<int:pk>/covenants/new/", covenant_views.covenant_edit, name="covenant-create"),
    path("facilities/<int:pk>/covenants/<int:covenant_pk>/edit/", covenant_views.covenant_edit, name="covenant-edit"),
    path("facilities/<int:pk>/statements/", covenant_views.statement_list, name="statement-list"),
    path("facilities/<int:pk>/statements/new/", covenant_views.statement_edit, name="statement-create"),
    path(
        "facilities/<int:pk>/statements/<int:statement_pk>/edit/",
        covenant_views.statement_edit,
        name="statement-edit",
    ),
    # Field exams (issue 16): a facility's stock controllers (facilities/controller_views.py).
    path("facilities/<int:pk>/controllers/", controller_views.facility_controllers, name="facility-controllers"),
    path("controller-assignments/<int:pk>/withdraw/", controller_views.controller_withdraw, name="controller-withdraw"),
]
