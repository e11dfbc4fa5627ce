from django.urls import path

from borrowers import notification_views, views

app_name = "borrowers"
urlpatterns = [
    path("clients/", views.client_list, name="client-list"),
    path("clients/new/", views.client_edit, name="client-create"),
    path("clients/<int:pk>/edit/", views.client_edit, name="client-edit"),
    path("clients/<int:client_pk>/warehouses/new/", views.warehouse_edit, name="warehouse-create"),
    path("clients/<int:client_pk>/warehouses/<int:pk>/edit/", views.warehouse_edit, name="warehouse-edit"),
    path("categories/", views.category_list, name="category-list"),
    path("categories/<int:pk>/edit/", views.category_edit, name="category-edit"),
    path("invitations/", views.invitation_list, name="invitation-list"),
    path("audit/", views.audit_list, name="audit-list"),
    path("firm/settings/", views.firm_settings, name="firm-settings"),
    path("notifications/", notification_views.notification_list, name="notification-list"),
    path("notifications/<int:pk>/read/", notification_views.notification_read, name="notification-read"),
    path("notifications/read-all/", notification_views.notification_read_all, name="notification-read-all"),
    path("notifications/preferences/", notification_views.notification_preferences, name="notification-preferences"),
]
