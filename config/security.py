"""The Content-Security-Policy every response carries: scripts, styles, images and connections
from this origin only, no inline script or style, no plugins, no framing, forms posted here only.
Pages keep to it (no inline <script>, style= or on*= attributes; static/js/app.js holds the
behaviour), and tests/foundation/test_security_headers.py checks every page of the access matrix.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

DEFAULT_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        # data: for the API documentation's icons; every image is ours otherwise.
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    )
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", DEFAULT_POLICY)
        # Documents only: a PDF or a CSV under this policy would have the browser's own viewer
        # blocked (Chromium's download and PDF pages apply inline styles).
        is_document = response.get("Content-Type", "").startswith("text/html")
        if policy and is_document and "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = policy
        return response
