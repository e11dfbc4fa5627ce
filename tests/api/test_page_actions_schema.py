"""The upload page's actions, the audit trail, invitations and the access log through the API
(tests/api/test_page_actions.py) answer exactly as the OpenAPI schema says: every status code,
content type and body documented, refusals included.

The same property-based run as test_schemathesis.py, on these operations only and with all of
schemathesis's response checks; each generated case is sent twice, as generated (mostly unknown
ids: 404) and aimed at a real object (a processed stock file, the world's report), so that the
answers of real states (200, 202, 400, 403, 409) are checked too.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.test_schemathesis import MAX_EXAMPLES, advisor_headers, schema, wsgi_app  # noqa: F401 - fixtures
from tests.conftest import World
from tests.pipeline.conftest import upload_csv  # noqa: F401 - a real, processed stock file

PAGE_ACTIONS = (
    r"^/api/(uploads/\{id\}/(mapping|mapping/preview|reject|reprocess)/"
    r"|audit/|invitations/|reports/\{id\}/access-log/)$"
)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

page_actions = schema.include(path_regex=PAGE_ACTIONS)


@pytest.fixture
def targets(world: World, upload_csv):  # noqa: F811
    """The ids a case is aimed at: a stock file read and valued (so it has columns to map), and
    the world's report (with one lender view in its access log); and the client user's token."""
    from reports import services as report_services

    report_services.record_access(report=world.report_x, user=world.bank_shared, action="view")
    token, _created = Token.objects.get_or_create(user=world.client_user_x)
    return {
        "uploads": upload_csv(world).pk,
        "reports": world.report_x.pk,
        "client_headers": {"Authorization": f"Token {token.key}"},
    }


def test_the_page_actions_are_in_the_schema():
    operations = {(op.method.upper(), op.path) for op in (r.ok() for r in page_actions.get_all_operations())}
    assert {
        ("GET", "/api/uploads/{id}/mapping/"),
        ("POST", "/api/uploads/{id}/mapping/"),
        ("POST", "/api/uploads/{id}/mapping/preview/"),
        ("POST", "/api/uploads/{id}/reject/"),
        ("POST", "/api/uploads/{id}/reprocess/"),
        ("GET", "/api/audit/"),
        ("GET", "/api/invitations/"),
        ("POST", "/api/invitations/"),
        ("GET", "/api/reports/{id}/access-log/"),
    } <= operations


@pytest.mark.django_db
@page_actions.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_page_actions_answer_as_the_schema_says(case, wsgi_app, advisor_headers, targets):  # noqa: F811
    response = case.call(app=wsgi_app, headers=advisor_headers())
    assert response.status_code != 401, (case.method, case.path)
    case.validate_response(response, checks=CHECKS)
    if "id" in (case.path_parameters or {}):
        case.path_parameters["id"] = targets["uploads" if case.path.startswith("/api/uploads/") else "reports"]
        response = case.call(app=wsgi_app, headers=advisor_headers())
        case.validate_response(response, checks=CHECKS)
        # The company's own user: its refusals (403: reject, reprocess, the access log) too.
        response = case.call(app=wsgi_app, headers=targets["client_headers"])
        case.validate_response(response, checks=CHECKS)
