"""Hostile client text renders as text and makes the renderer fetch nothing; the URL fetcher
serves only the app's own static files (and the exact URLs the renderer allows)."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator

import pytest
from django.core.files.base import ContentFile

from reports import rendering
from reports.models import RenderStatus
from tests.engine.test_worked_examples import example_a_lines
from tests.reports.conftest import TERMS_A_E, issue_and_render, make_run, pdf_text


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        type(self).requests.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { background: red; }")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[tuple[str, list[str]]]:
    """A local HTTP server that records every request it receives."""
    _Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.requests
    finally:
        server.shutdown()
        server.server_close()


def _vectors(base: str) -> list[str]:
    return [
        '<img src="file:///etc/passwd">',
        f'<link rel="stylesheet" href="{base}/link.css">',
        f"<style>@import url({base}/import.css); body {{ background: url({base}/bg.png) }}</style>",
        f'<div style="background-image: url({base}/inline.png)">x</div>',
        f'<a rel="attachment" href="{base}/attach.txt">a</a>',
        f'<img src="{base}/img.png">',
        '<object data="file:///etc/hostname"></object>',
        '<iframe src="file:///etc/passwd"></iframe>',
        '<img src="data:image/svg+xml,<svg xmlns=%22http://www.w3.org/2000/svg%22/>">',
        f'<svg><image href="{base}/svg.png"/></svg>',
        '<img src="static:../config/settings/base.py">',
        '<link rel="stylesheet" href="static:%2e%2e/pyproject.toml">',
    ]


def test_hostile_client_text_renders_as_text_and_fetches_nothing(
    world, http_server, django_capture_on_commit_callbacks
):
    base, requests = http_server
    vectors = _vectors(base)
    world.client_x.legal_name = vectors[0][:200]
    world.client_x.save()
    world.firm_a.address = "\n".join(vectors[1:4])
    world.firm_a.save()
    descriptions = {row: vectors[(row + 4) % len(vectors)][:300] for row in range(1, 8)}
    run = make_run(
        world,
        example_a_lines(),
        TERMS_A_E,
        descriptions=descriptions,
        warehouses=[v[:50] for v in vectors[5:12]],
    )
    run.facility.name = vectors[4]
    run.facility.save()
    report = issue_and_render(run, world.advisor_a, language="en", capture=django_capture_on_commit_callbacks)
    assert report.render_status == RenderStatus.READY
    text = pdf_text(report)
    assert '<img src="file:///etc/passwd">' in text  # shown as text, not followed
    assert "root:" not in text
    assert requests == []


def test_the_fetcher_refuses_every_vector_in_raw_html(http_server):
    """Even unescaped (a template bug), none of the vectors reaches the network or the disk."""
    base, requests = http_server
    fetcher = rendering.SafeURLFetcher()
    html = "<html><body><p>hello</p>" + "".join(_vectors(base)) + "</body></html>"
    pdf = rendering.write_pdf(html, fetcher=fetcher)
    assert pdf.startswith(b"%PDF")
    assert requests == []
    assert fetcher.served == []
    refused = " ".join(fetcher.refused)
    for fragment in ("file:///etc/passwd", f"{base}/link.css", f"{base}/img.png", "static:../config", "data:image"):
        assert fragment in refused, fragment


def test_static_files_resolve_inside_the_static_roots_only():
    assert rendering.resolve_static("css/app.css") is not None
    for bad in (
        "../config/settings/base.py",
        "css/../../pyproject.toml",
        "/etc/passwd",
        "%2e%2e/pyproject.toml",
        "css/app.css\x00.png",
        "js/htmx.min.js",
        "",
        "./css/app.css",
    ):
        assert rendering.resolve_static(bad) is None, bad


def test_the_fetcher_serves_static_css_and_the_allowed_logo_only():
    fetcher = rendering.SafeURLFetcher(allowed={rendering.LOGO_URL: (b"\x89PNG", "image/png")})
    assert fetcher.fetch("static:css/app.css").read().strip()
    assert fetcher.fetch(rendering.LOGO_URL).read() == b"\x89PNG"
    for url in (
        "file:///etc/passwd",
        "http://127.0.0.1:1/x",
        "https://example.com/",
        "data:text/plain,hi",
        "stockpledge:other",
        "static:js/htmx.min.js",
    ):
        with pytest.raises(rendering.FetchRefused):
            fetcher.fetch(url)
    assert fetcher.served == ["static:css/app.css", rendering.LOGO_URL]


def test_the_firm_logo_is_embedded_through_the_fetcher(world, run_a, django_capture_on_commit_callbacks):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "#336699").save(buffer, "PNG")
    world.firm_a.logo.save("logo.png", ContentFile(buffer.getvalue()))
    report = issue_and_render(run_a, world.advisor_a, language="en", capture=django_capture_on_commit_callbacks)
    assert report.context["branding"]["logo"].startswith("firm-logos/")
    frozen = report.context
    fetcher = rendering.SafeURLFetcher(allowed=rendering._logo(frozen["branding"]["logo"]))
    rendering.write_pdf(rendering.report_html(frozen, extra={"has_logo": True}), fetcher=fetcher)
    assert fetcher.served == [rendering.LOGO_URL]
    assert fetcher.refused == []
