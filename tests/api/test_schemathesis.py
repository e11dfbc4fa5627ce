"""A property-based run of the API's own OpenAPI schema (schemathesis): whatever the generator
sends, for every operation, as a logged-in advisor with a token, the API never answers 5xx.

The schema is the one `/api/schema/` serves (drf-spectacular's generator, built once at import);
requests go to the real WSGI application. Deterministic (derandomised, no example database) and
bounded (a few examples per operation) so the run stays well under a minute.

(`schemathesis.pytest.from_fixture` would fetch the schema over HTTP, but its lazy loader does
not work with pytest 9 — it sets the private `Function._nodeid` — so the schema is built here.)
"""

from __future__ import annotations

import os

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from tests.conftest import World

MAX_EXAMPLES = 5

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True, database="none")
# The coverage phase (boundary values for every field) takes ~2 minutes here: on demand only.
schema.config.phases.coverage.enabled = os.environ.get("API_FUZZ_COVERAGE") == "1"


@pytest.fixture
def wsgi_app():
    """The real WSGI application, kept from closing the test's database connection at the end of
    each request (as Django's own test client does)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def advisor_headers(world: World):
    """The advisor's current token header (an example may rotate or revoke the token)."""

    def current() -> dict[str, str]:
        token, _created = Token.objects.get_or_create(user=world.advisor_a)
        return {"Authorization": f"Token {token.key}"}

    return current


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_operation_answers_a_server_error(case, wsgi_app, advisor_headers):
    response = case.call(app=wsgi_app, headers=advisor_headers())
    # The token is always valid: a 401 would mean the run never got past authentication.
    assert response.status_code != 401, (case.method, case.path)
    case.validate_response(response, checks=[not_a_server_error])
