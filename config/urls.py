from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from borrowers import views as borrower_views
from borrowers.forms import LoginForm
from config.health import health, readiness

urlpatterns = [
    path("", borrower_views.home, name="home"),
    path("health/", health, name="health"),
    path("health/ready/", readiness, name="health-ready"),
    path("login/", auth_views.LoginView.as_view(authentication_form=LoginForm), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password-change/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password-change/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("password-reset/", auth_views.PasswordResetView.as_view(), name="password_reset"),
    path("password-reset/sent/", auth_views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "password-reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("password-reset/done/", auth_views.PasswordResetCompleteView.as_view(), name="password_reset_complete"),
    path("invitations/<str:token>/", borrower_views.accept_invitation, name="accept-invitation"),
    path("language/", borrower_views.set_language, name="set-language"),
    path("", include("borrowers.urls")),
    path("", include("facilities.urls")),
    path("", include("valuation.urls")),
    path("", include("reports.urls")),
    path("api/", include("config.api")),
    path("admin/", admin.site.urls),
]

# A URL under /api/ that matches no route answers the API's JSON 404, not the HTML page.
handler404 = "config.api_errors.not_found"
