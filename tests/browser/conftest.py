"""Browser journeys: Playwright driving Debian's Chromium (`/usr/bin/chromium`) against a live server.

The browser is never downloaded: `make setup` (scripts/system-deps.sh) installs Debian's package.
Each journey saves its screenshots under `tests/browser/screenshots/<journey>/`.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = Path(__file__).parent / "screenshots"
# Without the background-networking flags, Chromium's calls home are refused many at a time by
# this machine's closed network and slow every start.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason=f"Chromium not found at {CHROMIUM}: run `make setup` (apt-get install chromium)")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def _release_server_connections(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """The live server answers Chromium on keep-alive sockets, so a request thread can still hold
    its database connection when the session ends and PostgreSQL then refuses to drop the test
    database. Torn down after the server and the browser, before the database: end those sessions."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.fixture
def browser(_release_server_connections, live_server, monkeypatch) -> Iterator[object]:  # type: ignore[no-untyped-def]
    """Chromium for one test. Playwright's sync API runs an event loop in this thread while it is
    open, so (1) the test database and the live server are set up before it starts (hence the
    `live_server` argument), (2) the ORM calls the test makes between browser steps need the
    async-unsafe switch, set for this test only, and (3) the loop is closed after each test, so it
    cannot leak into the non-browser tests that run after it in the same session."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


class Journey:
    """One browser context (one person) with numbered screenshots of each step."""

    def __init__(
        self, browser: object, live_server: object, name: str, *, locale: str = "en-GB", javascript: bool = True
    ) -> None:
        self.base = live_server.url
        self.context = browser.new_context(
            locale=locale, viewport={"width": 1280, "height": 860}, java_script_enabled=javascript
        )
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        # A page that breaks the Content-Security-Policy loses that script or style: an error too.
        self.page.on(
            "console",
            lambda message: (
                self.errors.append(f"{self.page.url} ({message.location.get('url')}): {message.text}")
                if message.type == "error" and "Content Security Policy" in message.text
                else None
            ),
        )
        self.folder = SCREENSHOTS / name
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.step = 0

    def goto(self, path: str) -> None:
        response = self.page.goto(self.base + path)
        assert response is not None and response.status < 400, f"{path}: {response and response.status}"

    def shot(self, label: str) -> Path:
        self.step += 1
        path = self.folder / f"{self.step:02d}-{label}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def log_in(self, email: str, password: str) -> None:
        self.goto("/login/")
        self.page.locator("input[name=username]").fill(email)
        self.page.locator("input[name=password]").fill(password)
        # The log-in form's own button (the header's language form has one too, shown without JavaScript).
        self.page.locator("form:has(input[name=password]) button[type=submit]").click()
        self.page.wait_for_load_state("networkidle")
        assert "/login/" not in self.page.url, f"log-in failed for {email}"

    def close(self) -> None:
        self.context.close()
        assert not self.errors, f"JavaScript errors in the page: {self.errors}"


@pytest.fixture
def journey(live_server, browser, request):  # type: ignore[no-untyped-def]
    opened: list[Journey] = []

    def start(name: str | None = None, **options: object) -> Journey:
        one = Journey(browser, live_server, name or request.node.name, **options)
        opened.append(one)
        return one

    yield start
    for one in opened:
        one.close()
