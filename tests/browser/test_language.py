"""A user switches language: the page, its figures and the choice itself follow them."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from borrowers.models import Role, User
from reports.management.commands.seed_demo import DEMO_PASSWORD, LOGINS

pytestmark = pytest.mark.browser


def test_advisor_switches_language_and_it_sticks(journey):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    one = journey("language-switch")
    one.log_in(LOGINS[Role.ADVISOR], DEMO_PASSWORD)
    one.shot("english")
    assert one.page.locator("html").get_attribute("lang") == "en"

    for code, word in (("fr", "Clients"), ("zh-hans", "客户")):
        with one.page.expect_navigation():  # the picker submits its form on change
            one.page.select_option("#lang-select", code)
        one.page.wait_for_load_state("networkidle")
        assert one.page.locator("html").get_attribute("lang") == code
        assert one.page.get_by_role("navigation").get_by_text(word).count() >= 1
        one.shot(code)

    assert User.objects.get(email=LOGINS[Role.ADVISOR]).language == "zh-hans"
    one.goto("/")  # the choice survives a new page, read from the profile
    assert one.page.locator("html").get_attribute("lang") == "zh-hans"
