"""The dossier page: every figure read from the stored result, linked to the lines behind it."""

from __future__ import annotations

import json
from decimal import Decimal

from django import forms
from django.urls import reverse
from django.utils import translation

from facilities.forms import FacilityForm
from facilities.models import Facility
from tests.dossier.conftest import BOOK, ELIGIBLE, INELIGIBLE
from valuation.models import ValuationRun

NNBSP, NBSP = "\u202f", "\xa0"


def dossier(client, user, facility, **params):
    client.force_login(user)
    response = client.get(reverse("valuation:facility-detail", args=[facility.pk]), params)
    return response


def test_advisor_reads_the_hand_worked_figures_each_linked_to_its_lines(client, world, dossier_run):
    response = dossier(client, world.advisor_a, world.facility_x)
    body = response.content.decode()
    assert response.status_code == 200
    assert response.context["run"].pk == dossier_run.pk  # the newest stock date is current
    lines = reverse("valuation:facility-lines", args=[world.facility_x.pk])
    run = dossier_run.pk
    # Key figures, each a link to its lines.
    assert f'<a href="{lines}?run={run}">€83,000.03</a>' in body
    assert f'<a href="{lines}?run={run}&amp;status=eligible">€76,000.13</a>' in body
    assert f'<a href="{lines}?run={run}&amp;status=ineligible&amp;sort=-ineligible">€6,999.90</a>' in body
    assert "<strong>€38,000.07</strong>" in body
    # Pledge: 75 % × 76 000,13 = 57 000,10; ÷ 150 % = 38 000,07.
    assert "75% × €76,000.13 = €57,000.10" in body
    assert "÷ 150% = €38,000.07" in body
    # Ineligible by reason, with line counts, each amount linked to its lines.
    assert f'<a href="{lines}?run={run}&amp;reason=wip&amp;sort=-ineligible">€6,000.00</a>' in body
    assert f'<a href="{lines}?run={run}&amp;reason=obsolete&amp;sort=-ineligible">€999.90</a>' in body
    reasons = {r.reason: (r.amount, r.lines) for r in response.context["reasons"]}
    assert reasons["wip"] == (Decimal("6000.00"), 1)
    assert reasons["obsolete"] == (Decimal("999.90"), 1)
    # By warehouse: W02 holds 75 000,00 + 999,90; W01 1 000,00 + 6 000,00; W03 0,13.
    warehouses = [(g.key, g.book_value, g.eligible, g.ineligible) for g in response.context["warehouses"]]
    assert warehouses == [
        ("W02", Decimal("75999.90"), Decimal("75000.00"), Decimal("999.90")),
        ("W01", Decimal("7000.00"), Decimal("1000.00"), Decimal("6000.00")),
        ("W03", Decimal("0.13"), Decimal("0.13"), Decimal("0.00")),
    ]
    assert f'<a href="{lines}?run={run}&amp;warehouse=W02">€75,999.90</a>' in body
    categories = {g.key: (g.book_value, g.eligible) for g in response.context["categories"]}
    assert categories == {
        "raw_material": (Decimal("1000.13"), Decimal("1000.13")),
        "wip": (Decimal("6000.00"), Decimal("0.00")),
        "finished_good": (Decimal("75999.90"), Decimal("75000.00")),
    }
    assert sum(b for b, _e in categories.values()) == BOOK
    assert sum(e for _b, e in categories.values()) == ELIGIBLE
    assert BOOK - ELIGIBLE == INELIGIBLE


def test_levers_are_ranked_by_financing_gain_and_phrased_for_people(client, world, dossier_run):
    response = dossier(client, world.advisor_a, world.facility_x)
    levers = [(lever["reason"], lever["financing_gain"]) for lever in response.context["levers"]]
    assert levers == [("wip", Decimal("3000.00")), ("obsolete", Decimal("499.94"))]
    body = response.content.decode()
    assert "Clearing “Work in progress” adds €3,000.00 of financing" in body
    assert "Clearing “Obsolete” adds €499.94 of financing" in body


def test_waterfall_chart_is_inline_svg_whose_bars_open_their_lines(client, world, dossier_run):
    body = dossier(client, world.advisor_a, world.facility_x).content.decode()
    lines = reverse("valuation:facility-lines", args=[world.facility_x.pk])
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="waterfall"' in body
    assert f'<a href="{lines}?run={dossier_run.pk}&amp;reason=wip&amp;sort=-ineligible"' in body
    assert f'<a href="{lines}?run={dossier_run.pk}&amp;status=eligible"' in body


def test_dossier_in_french_formats_amounts_the_french_way(client, world, dossier_run):
    world.advisor_a.language = "fr"
    world.advisor_a.save()
    client.force_login(world.advisor_a)
    with translation.override("fr"):
        body = client.get(
            reverse("valuation:facility-detail", args=[world.facility_x.pk]), HTTP_ACCEPT_LANGUAGE="fr"
        ).content.decode()
    assert f"83{NNBSP}000,03{NBSP}€" in body
    assert f"38{NNBSP}000,07{NBSP}€" in body


def test_client_user_reads_the_figures_without_links_to_the_lines(client, world, dossier_run):
    """By default a client user sees the key figures only: no lines, no levers, no working tables."""
    response = dossier(client, world.client_user_x, world.facility_x)
    body = response.content.decode()
    assert response.status_code == 200
    assert "€38,000.07" in body and "€83,000.03" in body
    assert reverse("valuation:facility-lines", args=[world.facility_x.pk]) not in body
    assert reverse("valuation:facility-compare", args=[world.facility_x.pk]) not in body
    assert 'class="waterfall"' not in body
    assert "Clearing “Work in progress”" not in body  # the levers are the advisor's
    assert "By warehouse" not in body


def test_client_user_sees_what_the_advisor_chose_to_show(client, world, dossier_run):
    world.client_x.client_sees_figures = False
    world.client_x.client_sees_waterfall = True
    world.client_x.client_sees_ineligibles = True
    world.client_x.save()
    body = dossier(client, world.client_user_x, world.facility_x).content.decode()
    assert 'class="waterfall"' in body
    assert "Ineligible stock by reason" in body and "€6,000.00" in body
    assert 'class="kpis"' not in body and "Done · €" not in body  # no figure tiles, no amounts in the picker
    assert reverse("valuation:facility-lines", args=[world.facility_x.pk]) not in body  # bars link nowhere
    world.client_x.client_sees_waterfall = world.client_x.client_sees_ineligibles = False
    world.client_x.save()
    body = dossier(client, world.client_user_x, world.facility_x).content.decode()
    assert "Your advisor has not shared the figures" in body
    assert "€6,000.00" not in body


def test_run_picker_shows_an_older_run_and_refuses_foreign_or_bad_ids(client, world, dossier_run):
    response = dossier(client, world.advisor_a, world.facility_x, run=world.run_x.pk)
    assert response.context["run"].pk == world.run_x.pk
    assert [r.pk for r in response.context["runs"]] == [dossier_run.pk, world.run_x.pk]
    other = Facility.objects.create(
        client=world.client_y, lender=world.lender_a, name="Other", structure="borrowing_base"
    )
    foreign = ValuationRun.objects.create(
        facility=other, upload=world.upload_x, as_of=world.upload_x.as_of, terms_hash="o", status="done"
    )
    assert dossier(client, world.advisor_a, world.facility_x, run=foreign.pk).status_code == 404
    assert dossier(client, world.advisor_a, world.facility_x, run="abc").status_code == 404
    assert dossier(client, world.advisor_b, world.facility_x).status_code == 404


def test_facility_without_a_valuation_says_so(client, world):
    facility = Facility.objects.create(
        client=world.client_x, lender=world.lender_a, name="Empty", structure="borrowing_base"
    )
    response = dossier(client, world.advisor_a, facility)
    assert response.status_code == 200
    assert "No valuation yet" in response.content.decode()


def _form_data(facility: Facility, world, **changes) -> dict[str, str]:
    form = FacilityForm(instance=facility, client=facility.client, user=world.advisor_a)
    data = {}
    for name, field in form.fields.items():
        value = form[name].value()
        if isinstance(value, dict | list):
            value = json.dumps(value)
        if isinstance(field.widget, forms.CheckboxInput):
            if value:
                data[name] = "on"
            continue
        data[name] = "" if value is None else str(value)
    data.update({k: str(v) for k, v in changes.items()})
    return data


def test_saving_new_terms_recomputes_and_the_dossier_shows_the_new_figures(
    client, world, dossier_run, django_capture_on_commit_callbacks
):
    """Fungibility 80 %, over-collateralisation 125 %: 80 % × 76 000,13 = 60 800,10; ÷ 125 % = 48 640,08."""
    client.force_login(world.advisor_a)
    url = reverse("facilities:facility-edit", args=[world.client_x.pk, world.facility_x.pk])
    data = _form_data(world.facility_x, world, fungibility_share_pct="80", over_collateralisation_pct="125")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    body = client.get(response["Location"]).content.decode()
    assert "<strong>€48,640.08</strong>" in body
    assert "80% × €76,000.13 = €60,800.10" in body
    assert "€38,000.07" in body  # the previous run stays in the picker


def test_a_recompute_in_progress_is_announced_and_polled_while_the_current_run_stays(client, world, dossier_run):
    ValuationRun.objects.create(
        facility=world.facility_x,
        upload=dossier_run.upload,
        as_of=dossier_run.as_of,
        terms_hash="new-terms",
        status="queued",
    )
    response = dossier(client, world.advisor_a, world.facility_x)
    assert response.context["run"].pk == dossier_run.pk
    body = response.content.decode()
    assert "A new valuation is being computed" in body
    assert 'hx-trigger="every 3s"' in body


def test_rules_not_assessed_are_listed_apart_from_the_amounts(client, world, dossier_run):
    response = dossier(client, world.advisor_a, world.facility_x)
    unassessed = [r.reason for r in response.context["unassessed"]]
    # The file has no consignment, retention, factoring, defect, expiry, transit, return or
    # consumption column: those rules could not be assessed.
    assert unassessed == [
        "not_owned",
        "retention_of_title",
        "reverse_factoring",
        "defective",
        "perishable",
        "in_transit",
        "customer_return",
        "slow_moving",
    ]
    assert "8 rules not assessed or switched off" in response.content.decode()


def test_a_failed_recompute_is_shown_with_its_reason_and_the_last_good_figures_stay(client, world, dossier_run):
    ValuationRun.objects.create(
        facility=world.facility_x,
        upload=dossier_run.upload,
        as_of=dossier_run.as_of,
        terms_hash="bad-terms",
        status="failed",
        failure_reason="The facility's terms are not valid: fungibility above 100 %",
    )
    response = dossier(client, world.advisor_a, world.facility_x)
    body = response.content.decode()
    assert response.context["run"].pk == dossier_run.pk
    assert "fungibility above 100 %" in body
    assert "<strong>€38,000.07</strong>" in body
