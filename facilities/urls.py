from django.urls import path

from facilities import views

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
]
