"""Token authentication for integrations, session authentication (with CSRF) for the browser."""

from __future__ import annotations

import pytest
from django.test import Client
from django.test.utils import override_settings
from rest_framework.authtoken.models import Token

from borrowers.models import AuditEvent, ClientCompany, FailedLogin
from tests.api.conftest import token_client
from tests.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db


def obtain(email: str, password: str):
    return Client().post("/api/auth/token/", {"email": email, "password": password}, content_type="application/json")


def test_an_email_and_password_give_the_users_token_the_same_each_time(world: World):
    first = obtain(world.advisor_a.email, PASSWORD)
    assert first.status_code == 200
    key = first.json()["token"]
    assert key == Token.objects.get(user=world.advisor_a).key
    assert obtain(world.advisor_a.email.upper(), PASSWORD).json()["token"] == key


def test_a_wrong_password_is_refused_and_counts_towards_the_lockout(world: World):
    answer = obtain(world.advisor_a.email, "wrong-password")
    assert answer.status_code == 400
    assert "non_field_errors" in answer.json()["fields"]
    assert "token" not in answer.json()
    assert FailedLogin.objects.filter(email=world.advisor_a.email).count() == 1


@override_settings(LOGIN_FAILURE_LIMIT=3)
def test_after_too_many_failures_even_the_right_password_gets_no_token(world: World):
    for _attempt in range(3):
        assert obtain(world.bank_shared.email, "guess").status_code == 400
    assert obtain(world.bank_shared.email, PASSWORD).status_code == 400
    assert not Token.objects.filter(user=world.bank_shared).exists()


def test_missing_credentials_name_the_fields(world: World):
    answer = Client().post("/api/auth/token/", {}, content_type="application/json")
    assert answer.status_code == 400
    assert {"email", "password"} <= set(answer.json()["fields"])


def test_a_logged_in_user_reads_rotates_and_revokes_their_token(world: World):
    browser = Client()
    browser.force_login(world.client_user_x)
    key = browser.get("/api/auth/token/mine/").json()["token"]
    assert token_client(world.client_user_x).get("/api/clients/").status_code == 200

    rotated = browser.post("/api/auth/token/mine/")
    assert rotated.status_code == 201
    new_key = rotated.json()["token"]
    assert new_key != key
    old = Client(headers={"Authorization": f"Token {key}"})
    assert old.get("/api/clients/").status_code == 401
    assert Client(headers={"Authorization": f"Token {new_key}"}).get("/api/clients/").status_code == 200
    assert AuditEvent.objects.filter(action="rotate-api-token", actor=world.client_user_x).exists()

    assert browser.delete("/api/auth/token/mine/").status_code == 204
    assert Client(headers={"Authorization": f"Token {new_key}"}).get("/api/clients/").status_code == 401


def test_an_unknown_token_is_401_with_the_scheme_to_use(world: World):
    answer = Client(headers={"Authorization": "Token not-a-real-key"}).get("/api/clients/")
    assert answer.status_code == 401
    assert answer["WWW-Authenticate"] == "Token"
    assert answer.json()["error"] == "authentication_failed"


def test_a_deactivated_users_token_stops_working(world: World):
    client = token_client(world.advisor_a)
    world.advisor_a.is_active = False
    world.advisor_a.save()
    assert client.get("/api/clients/").status_code == 401


def test_session_writes_need_the_csrf_token_token_writes_do_not(world: World):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.advisor_a)
    refused = browser.post("/api/clients/", {"legal_name": "Via Browser"}, content_type="application/json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert not ClientCompany.objects.filter(legal_name="Via Browser").exists()

    browser.get("/api/docs/")  # any page sets the CSRF cookie
    csrf = browser.cookies["csrftoken"].value
    accepted = browser.post(
        "/api/clients/", {"legal_name": "Via Browser"}, content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert accepted.status_code == 201

    script = token_client(world.advisor_a)
    script.handler.enforce_csrf_checks = True
    assert (
        script.post("/api/clients/", {"legal_name": "Via Script"}, content_type="application/json").status_code == 201
    )


def test_the_schema_and_the_docs_page_are_served_to_logged_in_users(world: World):
    client = token_client(world.bank_shared)
    schema = client.get("/api/schema/?format=json").json()
    for path in ("/api/uploads/", "/api/runs/{id}/lines/", "/api/reports/{id}/pdf/", "/api/auth/token/"):
        assert path in schema["paths"], path
    upload = schema["paths"]["/api/uploads/"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert "202" in upload["responses"]
    browser = Client()
    browser.force_login(world.bank_shared)
    docs = browser.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()
    assert b"cdn" not in docs.content.lower()


def _token_works(key: str) -> bool:
    return Client(headers={"Authorization": f"Token {key}"}).get("/api/clients/").status_code == 200


def test_a_password_change_ends_the_users_api_tokens(world: World):
    """A token taken under the old password (or stolen with it) stops working at once."""
    key = obtain(world.client_user_x.email, PASSWORD).json()["token"]
    other = obtain(world.advisor_a.email, PASSWORD).json()["token"]
    browser = Client()
    browser.force_login(world.client_user_x)
    changed = browser.post(
        "/password-change/",
        {"old_password": PASSWORD, "new_password1": "A-new-passphrase-2026", "new_password2": "A-new-passphrase-2026"},
    )
    assert changed.status_code == 302
    assert not _token_works(key) and not Token.objects.filter(user=world.client_user_x).exists()
    assert _token_works(other)  # someone else's token is not touched


def test_a_password_reset_ends_the_users_api_tokens(world: World, mailoutbox):
    import re

    key = obtain(world.bank_shared.email, PASSWORD).json()["token"]
    Client().post("/password-reset/", {"email": world.bank_shared.email})
    link = re.search(r"/password-reset/[^\s]+/[^\s]+/", mailoutbox[-1].body).group(0)
    browser = Client()
    form = browser.get(link, follow=True)
    set_url = form.redirect_chain[-1][0] if form.redirect_chain else link
    done = browser.post(set_url, {"new_password1": "Reset-passphrase-2026", "new_password2": "Reset-passphrase-2026"})
    assert done.status_code == 302
    assert not _token_works(key)


def test_a_deactivated_users_token_is_refused(world: World):
    key = obtain(world.advisor_a.email, PASSWORD).json()["token"]
    world.advisor_a.is_active = False
    world.advisor_a.save()
    assert Client(headers={"Authorization": f"Token {key}"}).get("/api/clients/").status_code == 401
