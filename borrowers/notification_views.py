"""The inbox and the notification preferences: every role has its own, and sees only its own rows
(borrowers.common.access, rule "borrowers.Notification")."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from borrowers.common import access, notify
from borrowers.models import Notification
from borrowers.notification_forms import NotificationPreferencesForm

PAGE_SIZE = 25


@login_required
def notification_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(notify.inbox(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "notifications/inbox.html", {"page": page})


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one notification read; with ``open``, go on to what it is about."""
    notification = access.get_or_404(request.user, Notification, pk=pk)
    notify.mark_read(user=request.user, notification_id=notification.pk)
    url = notification.url
    if "open" in request.POST and url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}):
        return redirect(url)
    return redirect("borrowers:notification-list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    count = notify.mark_read(user=request.user)
    if count:
        messages.success(request, _("All notifications marked read."))
    return redirect("borrowers:notification-list")


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request: HttpRequest) -> HttpResponse:
    user = request.user
    form = NotificationPreferencesForm(
        request.POST or None, preferences=notify.preferences(user), daily_digest=notify.digest_on(user)
    )
    if request.method == "POST" and form.is_valid():
        notify.save_preferences(user=user, choices=form.choices(), daily_digest=form.cleaned_data["daily_digest"])
        messages.success(request, _("Your notification preferences are saved."))
        return redirect("borrowers:notification-preferences")
    return render(request, "notifications/preferences.html", {"form": form})
