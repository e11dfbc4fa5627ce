from django.urls import path

from facilities import views

app_name = "facilities"
urlpatterns = [
    path("lenders/", views.lender_list, name="lender-list"),
    path("lenders/<int:pk>/edit/", views.lender_edit, name="lender-edit"),
    path("clients/<int:client_pk>/facilities/new/", views.facility_edit, name="facility-create"),
    path("clients/<int:client_pk>/facilities/<int:pk>/edit/", views.facility_edit, name="facility-edit"),
    path("facilities/<int:pk>/", views.facility_detail, name="facility-detail"),
]
