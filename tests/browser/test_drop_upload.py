"""In a real browser: a file dropped on the drop zone is sent with a progress bar and lands on
the upload's page with its figures; a refused form comes back in place with its error."""

from __future__ import annotations

import base64
import re

import pytest

from tests.conftest import PASSWORD
from tests.pipeline.conftest import GOOD_CSV

pytestmark = pytest.mark.browser

DROP = """(b64) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const transfer = new DataTransfer();
  transfer.items.add(new File([bytes], "dropped-stock.csv", { type: "text/csv" }));
  return transfer;
}"""


def test_client_drops_a_file_and_follows_it_to_the_figures(journey, world):
    one = journey("workspace-drop-upload")
    page = one.page
    one.log_in(world.client_user_x.email, PASSWORD)
    one.goto(f"/clients/{world.client_x.pk}/uploads/new/")
    transfer = page.evaluate_handle(DROP, base64.b64encode(GOOD_CSV).decode())
    page.dispatch_event("[data-dropzone]", "dragover", {"dataTransfer": transfer})
    page.dispatch_event("[data-dropzone]", "drop", {"dataTransfer": transfer})
    assert page.text_content("[data-dropzone-file]") == "dropped-stock.csv"
    page.fill("input[name=as_of]", "2026-11-15")
    one.shot("dropped")
    page.locator("[data-upload-form] button[type=submit]").click()
    # "**/uploads/*/" also matches the form's own /uploads/new/, and "Accepted" its upload history:
    # wait for the upload's own page (a number) and for its figures, or a loaded machine races.
    page.wait_for_url(re.compile(r".*/uploads/[0-9]+/$"))
    page.wait_for_load_state("networkidle")
    page.get_by_text("Accepted").first.wait_for()
    page.get_by_text("3,757,906.65").first.wait_for()
    one.shot("accepted")
    assert "3,757,906.65" in page.content()

    one.goto(f"/clients/{world.client_x.pk}/uploads/new/")
    page.set_input_files("input[name=file]", files=[{"name": "s.csv", "mimeType": "text/csv", "buffer": GOOD_CSV}])
    page.fill("input[name=as_of]", "2999-01-01")
    page.locator("[data-upload-form] button[type=submit]").click()
    page.get_by_text("The stock date cannot be in the future.").wait_for()
    assert page.url.endswith("/uploads/new/")
    one.shot("refused")
