"""An advisor, in French, edits the eligibility rules as a table: switches one rule off, changes a
threshold, saves, and reads both on the facility page; no JSON is typed anywhere, and the page
raises no Content-Security-Policy error (Journey.close checks)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from facilities.models import Facility
from tests.browser.helpers import PASSWORD, Dossier, tr

pytestmark = pytest.mark.browser


def test_advisor_switches_a_rule_off_and_changes_a_threshold_in_french(journey):
    dossier = Dossier()
    dossier.advisor.language = "fr"
    dossier.advisor.save(update_fields=["language"])
    one = journey("rule-editor-fr", locale="fr-FR")
    page = one.page
    one.log_in(dossier.advisor.email, PASSWORD)
    one.goto(f"/clients/{dossier.client.pk}/facilities/{dossier.facility.pk}/edit/")
    assert page.locator("html").get_attribute("lang") == "fr"
    editor = page.locator("#rules-editor")
    expect(editor.locator("tr[data-rule]")).to_have_count(len(Facility().eligibility_settings["rules"]))
    assert page.locator("textarea[name=eligibility_settings]").count() == 0  # no JSON box
    defective = editor.locator('tr[data-rule="defective"] input[type=checkbox]')
    expect(defective).to_be_checked()
    defective.uncheck()
    page.locator("#id_terms-rule_obsolete_no_movement_days").fill("180")
    one.shot("rules-edited")
    page.get_by_role("button", name=tr("fr", "Save")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(dossier.facility.name)
    one.shot("facility-page")

    rules = page.locator("#terms-rules")
    rules.locator("summary").click()
    expect(rules.locator('tr[data-rule="defective"] .badge-muted')).to_be_visible()
    expect(rules.locator('tr[data-rule="obsolete"]')).to_contain_text("180")
    expect(rules.locator('tr[data-rule="perishable"] .badge-ok')).to_be_visible()  # the others stay on
    one.shot("rules-on-the-facility-page")

    stored = Facility.objects.get(pk=dossier.facility.pk).eligibility_settings["rules"]
    assert [r["rule"] for r in stored if not r["enabled"]] == ["defective"]
    assert next(r for r in stored if r["rule"] == "obsolete")["no_movement_days"] == 180
