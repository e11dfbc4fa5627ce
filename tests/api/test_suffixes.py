"""Every API route answers a format suffix (`.json`, `.api`, anything else) with JSON or a 404,
never a server error. The routes come from the access matrix, which lists every one."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.api.conftest import token_client
from tests.conftest import World
from tests.foundation.routes_api import ROUTES

pytestmark = pytest.mark.django_db

SUFFIXES = (".json", ".api", ".xml", ".csv", ".html")


@pytest.mark.parametrize("persona", ["advisor_a", "client_user_x", "bank_shared"])
def test_a_suffix_never_makes_a_server_error(world: World, persona: str):
    client = token_client(world.persona(persona))
    answers = {}
    for route, (kwargs_of, _expected) in sorted(ROUTES.items()):
        base = reverse(route, kwargs=kwargs_of(world)).rstrip("/")
        for suffix in SUFFIXES:
            response = client.get(base + suffix)
            answers[base + suffix] = response.status_code
            if response.status_code == 200:
                # The only format the API speaks: a suffix never switches the renderer.
                assert response["Content-Type"].split(";")[0] in (
                    "application/json",
                    "application/vnd.oai.openapi+json",
                    "text/html",
                    "application/vnd.oai.openapi",
                ), base + suffix
    errors = {url: code for url, code in answers.items() if code >= 500}
    assert len(answers) >= 5 * len(ROUTES)
    assert not errors, errors
