"""Helpers for the API tests: HTTP clients authenticated the way integrations are (a token)."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from tests.conftest import World


def token_client(user) -> Client:
    """A client that sends `Authorization: Token <key>` like a script would (no session, no CSRF)."""
    token, _created = Token.objects.get_or_create(user=user)
    return Client(headers={"Authorization": f"Token {token.key}"})


@pytest.fixture
def as_persona(world: World):
    """as_persona("advisor_a") -> a token-authenticated client for that persona (anonymous: none)."""

    def make(persona: str) -> Client:
        user = world.persona(persona)
        return Client() if user is None else token_client(user)

    return make
