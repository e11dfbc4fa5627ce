"""The language each request is served in.

Order of precedence: a signed-in user's profile (`User.language`, so every device and every worker
process agrees), else the language cookie set by the `set-language` view (an anonymous visitor,
the log-in page, a browser after log-out), else the browser's Accept-Language header
(`django.middleware.locale.LocaleMiddleware` reads the last two, before this middleware runs).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


def remember_language(response: HttpResponse, language: str) -> None:
    """Keep the choice in the language cookie, read by LocaleMiddleware when nobody is signed in."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


class UserLanguageMiddleware:
    """Each user reads the app in the language of their profile (falling back to cookie, browser)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        profile_language = ""
        if user is not None and user.is_authenticated and getattr(user, "language", ""):
            profile_language = user.language
            translation.activate(profile_language)
            request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language())
        # The browser remembers the profile's language, so the page after log-out stays in it
        # (unless the view has just set the cookie itself: set-language changes both).
        cookie = settings.LANGUAGE_COOKIE_NAME
        if profile_language and cookie not in response.cookies and request.COOKIES.get(cookie) != user.language:
            remember_language(response, user.language)
        return response
