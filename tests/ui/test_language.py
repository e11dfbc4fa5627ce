"""The language a page is served in: the signed-in user's profile, else the language cookie set by
the picker (anonymous visitors, the log-in page), else the browser's Accept-Language."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import translation

from borrowers.models import User
from tests.conftest import World

COOKIE = settings.LANGUAGE_COOKIE_NAME

# Words of the advisor's navigation, as a reader of each language sees them.
NAV_WORDS = {
    "en": ["Dashboard", "Clients", "Lenders", "Invitations", "Audit trail"],
    "fr": ["Tableau de bord", "Clients", "Prêteurs", "Invitations", "Journal d&#x27;audit"],
    "zh-hans": ["总览", "客户", "贷款方", "邀请", "审计记录"],
}
LOG_IN = {"en": "Log in", "fr": "Se connecter", "zh-hans": "登录"}


def logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["fr", "zh-hans", "en"])
def test_an_anonymous_visitor_picks_a_language_for_the_log_in_page(language):
    client = Client()
    response = client.post(reverse("set-language"), {"language": language, "next": "/login/"})
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert response.cookies[COOKIE].value == language

    page = client.get("/login/")
    body = page.content.decode()
    assert f'<html lang="{language}">' in body
    assert page["Content-Language"] == language
    assert f"<h1>{LOG_IN[language]}</h1>" in body
    # The picker is on the log-in page itself, with the current language selected.
    assert 'id="lang-select"' in body
    assert f'<option value="{language}" lang="{language}" selected>' in body


@pytest.mark.django_db
def test_without_a_choice_the_browsers_language_is_used():
    page = Client(headers={"accept-language": "zh-CN,zh;q=0.9,en;q=0.5"}).get("/login/")
    assert '<html lang="zh-hans">' in page.content.decode()
    page = Client(headers={"accept-language": "fr-FR,fr;q=0.9"}).get("/login/")
    assert "<h1>Se connecter</h1>" in page.content.decode()


def test_a_signed_in_users_choice_is_saved_on_the_profile_and_in_the_cookie(world: World):
    client = logged_in(world.advisor_a)
    response = client.post(reverse("set-language"), {"language": "zh-hans", "next": "/clients/?q=x"})
    assert response["Location"] == "/clients/?q=x"
    assert response.cookies[COOKIE].value == "zh-hans"
    world.advisor_a.refresh_from_db()
    assert world.advisor_a.language == "zh-hans"

    # Another device (no cookie) reads the profile.
    page = logged_in(world.advisor_a).get(reverse("borrowers:client-list")).content.decode()
    assert '<html lang="zh-hans">' in page
    assert all(word in page for word in NAV_WORDS["zh-hans"])


def test_the_profile_wins_over_a_stale_cookie_and_refreshes_it(world: World):
    world.advisor_a.language = "fr"
    world.advisor_a.save()
    client = logged_in(world.advisor_a)
    client.cookies[COOKIE] = "zh-hans"
    response = client.get(reverse("borrowers:client-list"))
    assert '<html lang="fr">' in response.content.decode()
    assert response.cookies[COOKIE].value == "fr"


def test_after_log_out_the_log_in_page_stays_in_the_users_language(world: World):
    world.advisor_a.language = "fr"
    world.advisor_a.save()
    client = logged_in(world.advisor_a)
    client.get(reverse("borrowers:client-list"))  # the browser learns the profile's language
    response = client.post(reverse("logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert "<h1>Se connecter</h1>" in response.content.decode()


@pytest.mark.django_db
def test_an_unknown_language_changes_nothing():
    client = Client()
    response = client.post(reverse("set-language"), {"language": "xx", "next": "/login/"})
    assert response.status_code == 302
    assert COOKIE not in response.cookies
    assert '<html lang="en">' in client.get("/login/").content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("target", ["https://evil.test/", "//evil.test/", "/\\evil.test/", ""])
def test_the_picker_only_sends_back_to_this_site(target):
    response = Client().post(reverse("set-language"), {"language": "fr", "next": target})
    assert response["Location"] == "/"


@pytest.mark.parametrize("language", ["en", "fr", "zh-hans"])
def test_an_advisors_pages_render_in_each_language(world: World, language: str):
    world.advisor_a.language = language
    world.advisor_a.save()
    client = logged_in(world.advisor_a)
    for url in (
        reverse("borrowers:client-list"),
        reverse("valuation:dashboard"),
        reverse("valuation:client-detail", args=[world.client_x.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        assert f'<html lang="{language}">' in body
        for word in NAV_WORDS[language]:
            assert word in body, (url, word)
        if language != "en":
            assert ">Audit trail<" not in body and ">Lenders<" not in body


@pytest.mark.parametrize(("language", "word"), [("fr", "Mon entreprise"), ("zh-hans", "我的公司")])
def test_a_client_users_company_page_renders_in_their_language(world: World, language: str, word: str):
    world.client_user_x.language = language
    world.client_user_x.save()
    response = logged_in(world.client_user_x).get(reverse("valuation:client-detail", args=[world.client_x.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert f'<html lang="{language}">' in body and word in body


@pytest.mark.django_db
def test_the_frame_is_keyboard_and_screen_reader_friendly():
    body = Client().get("/login/").content.decode()
    assert '<a class="skip" href="#main">' in body and '<main id="main"' in body
    assert '<label class="sr-only" for="lang-select">' in body
    assert 'aria-expanded="false"' in body  # the small-screen menu button
    assert '<label for="id_username">' in body  # every field has its label


@pytest.mark.parametrize(
    ("language", "title"), [("fr", "Un problème est survenu de notre côté"), ("zh-hans", "我们这边出现了问题")]
)
def test_the_error_page_renders_on_its_own_in_the_visitors_language(language, title):
    """500.html is rendered without a request context (no user, no navigation): it must not fail."""
    with translation.override(language):
        body = render_to_string("500.html")
    assert f'<html lang="{language}">' in body and title in body
