"""Log-in, lock-out, password reset and invitations, as Django intends them."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from borrowers.models import Invitation, Role, User
from tests.conftest import PASSWORD, World


def _login(client: Client, email: str, password: str):
    return client.post(reverse("login"), {"username": email, "password": password})


def test_login_with_the_right_password_lands_on_the_role_home(world: World):
    client = Client()
    response = _login(client, world.client_user_x.email, PASSWORD)
    assert response.status_code == 302
    response = client.get(reverse("home"))
    assert response["Location"] == reverse("valuation:client-detail", args=[world.client_x.pk])


def test_a_wrong_password_shows_a_form_error_not_a_500(world: World):
    response = _login(Client(), world.advisor_a.email, "wrong")
    assert response.status_code == 200
    assert "correct email address and password" in response.content.decode().replace("e-mail", "email")


def test_lockout_after_repeated_failures_refuses_even_the_right_password(world: World, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    client = Client()
    for _ in range(3):
        _login(client, world.advisor_a.email, "wrong")
    response = _login(client, world.advisor_a.email, PASSWORD)
    assert response.status_code == 200
    assert "Too many failed log-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lockout_expires(world: World, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    from borrowers.models import FailedLogin

    for _ in range(2):
        FailedLogin.objects.create(email=world.advisor_a.email, at=timezone.now() - timedelta(hours=1))
    response = _login(Client(), world.advisor_a.email, PASSWORD)
    assert response.status_code == 302


def _login_from(address: str, email: str, password: str, **headers: str):
    return Client(REMOTE_ADDR=address, headers=headers).post(
        reverse("login"), {"username": email, "password": password}
    )


def test_a_stranger_guessing_from_elsewhere_cannot_lock_the_owner_out(world: World, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(10):
        _login_from("203.0.113.9", world.advisor_a.email, "guess")
    assert "Too many failed log-ins" in _login_from("203.0.113.9", world.advisor_a.email, PASSWORD).content.decode()
    assert _login_from("198.51.100.4", world.advisor_a.email, PASSWORD).status_code == 302  # the owner, elsewhere


def test_one_address_trying_many_accounts_is_stopped(world: World, settings):
    settings.LOGIN_ADDRESS_LIMIT = 4
    for email in ("a@x.test", "b@x.test", "c@x.test", "d@x.test"):
        _login_from("203.0.113.9", email, "guess")
    refused = _login_from("203.0.113.9", world.bank_shared.email, PASSWORD)
    assert refused.status_code == 200 and "Too many failed log-ins" in refused.content.decode()
    assert _login_from("198.51.100.4", world.bank_shared.email, PASSWORD).status_code == 302


def test_a_guess_spread_over_many_addresses_locks_the_account_only_briefly(world: World, settings):
    from borrowers.models import FailedLogin

    settings.LOGIN_ACCOUNT_LIMIT = 6
    settings.LOGIN_ACCOUNT_LOCKOUT_MINUTES = 3
    for i in range(6):
        _login_from(f"203.0.113.{i + 1}", world.advisor_a.email, "guess")
    assert _login_from("198.51.100.4", world.advisor_a.email, PASSWORD).status_code == 200  # locked for now
    FailedLogin.objects.update(at=timezone.now() - timedelta(minutes=4))
    assert _login_from("198.51.100.4", world.advisor_a.email, PASSWORD).status_code == 302


def test_behind_the_load_balancer_the_address_it_saw_counts_not_what_the_caller_wrote(world: World, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    settings.TRUSTED_PROXY_COUNT = 1
    for forged in ("1.1.1.1", "2.2.2.2", "3.3.3.3"):
        # The caller writes any address it likes on the left; the balancer appends the real one.
        _login_from("10.0.0.2", world.advisor_a.email, "guess", x_forwarded_for=f"{forged}, 203.0.113.9")
    blocked = _login_from("10.0.0.2", world.advisor_a.email, PASSWORD, x_forwarded_for="4.4.4.4, 203.0.113.9")
    assert "Too many failed log-ins" in blocked.content.decode()
    owner = _login_from("10.0.0.2", world.advisor_a.email, PASSWORD, x_forwarded_for="198.51.100.4")
    assert owner.status_code == 302


def test_logout_is_a_post(world: World):
    client = Client()
    client.force_login(world.advisor_a)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_reset_by_email(world: World):
    client = Client()
    response = client.post(reverse("password_reset"), {"email": world.client_user_x.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/password-reset/\S+/)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url, {"new_password1": "a-new-long-passphrase", "new_password2": "a-new-long-passphrase"}
    )
    assert response.status_code == 302
    assert _login(Client(), world.client_user_x.email, "a-new-long-passphrase").status_code == 302


def test_password_reset_for_an_unknown_email_says_the_same(world: World):
    response = Client().post(reverse("password_reset"), {"email": "nobody@nowhere.test"})
    assert response.status_code == 302 and len(mail.outbox) == 0


def test_advisor_invites_a_client_user_who_joins_with_the_right_scope(world: World, django_capture_on_commit_callbacks):
    advisor = Client()
    advisor.force_login(world.advisor_a)
    with django_capture_on_commit_callbacks(execute=True):
        response = advisor.post(
            reverse("borrowers:invitation-list"),
            {"email": "Buyer@Xylo.test", "role": Role.CLIENT, "client": world.client_x.pk},
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["buyer@xylo.test"]
    link = re.search(r"http://testserver(/invitations/\S+/)", mail.outbox[0].body).group(1)
    newcomer = Client()
    response = newcomer.post(
        link,
        {
            "first_name": "Ana",
            "last_name": "Buyer",
            "password1": "a-long-passphrase!",
            "password2": "a-long-passphrase!",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="buyer@xylo.test")
    assert (user.role, user.client, user.firm) == (Role.CLIENT, world.client_x, world.firm_a)
    assert newcomer.get(reverse("valuation:client-detail", args=[world.client_x.pk])).status_code == 200
    assert newcomer.get(reverse("valuation:client-detail", args=[world.client_y.pk])).status_code == 404
    # The link works once.
    assert Client().get(link).status_code == 410


def test_an_expired_invitation_is_refused(world: World):
    invitation = Invitation.objects.create(
        firm=world.firm_a,
        email="late@xylo.test",
        role=Role.CLIENT,
        client=world.client_x,
        invited_by=world.advisor_a,
        expires_at=timezone.now() - timedelta(minutes=1),
    )
    response = Client().post(
        reverse("accept-invitation", args=[invitation.token]),
        {"first_name": "L", "last_name": "L", "password1": "a-long-passphrase!", "password2": "a-long-passphrase!"},
    )
    assert response.status_code == 410
    assert not User.objects.filter(email="late@xylo.test").exists()


def test_an_advisor_cannot_invite_into_another_firms_client(world: World):
    advisor = Client()
    advisor.force_login(world.advisor_a)
    response = advisor.post(
        reverse("borrowers:invitation-list"),
        {"email": "spy@bravo.test", "role": Role.CLIENT, "client": world.client_b.pk},
    )
    assert response.status_code == 200
    assert "client" in response.context["form"].errors
    assert not Invitation.objects.filter(email="spy@bravo.test").exists()


def test_only_firm_admins_invite_advisors(world: World):
    advisor = Client()
    advisor.force_login(world.advisor_b)  # not a firm admin
    response = advisor.post(reverse("borrowers:invitation-list"), {"email": "a@b.test", "role": Role.ADVISOR})
    assert response.status_code == 200 and "role" in response.context["form"].errors


@pytest.mark.parametrize("language", ["fr", "zh-hans", "en"])
def test_the_users_language_is_used(world: World, language: str):
    world.advisor_a.language = language
    world.advisor_a.save()
    client = Client()
    client.force_login(world.advisor_a)
    response = client.get(reverse("borrowers:client-list"))
    assert response["Content-Language"] == language
    assert f'lang="{language}"' in response.content.decode()


def test_switching_language_is_saved_on_the_profile(world: World):
    client = Client()
    client.force_login(world.advisor_a)
    response = client.post(reverse("set-language"), {"language": "fr", "next": "https://evil.test/"})
    assert response["Location"] == "/"
    world.advisor_a.refresh_from_db()
    assert world.advisor_a.language == "fr"
