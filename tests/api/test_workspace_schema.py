"""The workspace routes (valuation.workspace.api) answer exactly what the OpenAPI schema says: every
status code, content type and body documented, for whatever the generator sends, on a facility
with real lines (tests/dossier/conftest.py) as well as on ids that are nobody's."""

from __future__ import annotations

import os
import re

import pytest
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api import test_schemathesis as fuzz
from tests.conftest import World
from tests.dossier import conftest as dossier_fixtures

# The fixtures the whole-API run uses, and the dossier's valued stock file.
wsgi_app, advisor_headers = fuzz.wsgi_app, fuzz.advisor_headers
dossier_run = dossier_fixtures.dossier_run

workspace = fuzz.schema.include(path_regex=r"^/api/(dashboard/|facilities/\{id\}/(compare|try-terms|lines)/)")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.mark.django_db
@workspace.parametrize()
@settings(
    max_examples=int(os.environ.get("API_FUZZ_EXAMPLES", fuzz.MAX_EXAMPLES * 4)),
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)
def test_workspace_routes_answer_as_documented(case, wsgi_app, advisor_headers, world: World, dossier_run):
    if "id" in case.path_parameters:
        generated = str(case.path_parameters["id"])
        # About half the cases on the facility with lines, the rest on an id that is nobody's. An id
        # that is not one (negative cases) never reaches the routes: the resolver's page 404 answers.
        if len(generated) % 2 or not re.fullmatch(r"[0-9]{1,18}", generated):
            case.path_parameters["id"] = str(world.facility_x.pk)
    response = case.call(app=wsgi_app, headers=advisor_headers())
    assert response.status_code != 401, (case.method, case.path)
    case.validate_response(response, checks=CHECKS)
