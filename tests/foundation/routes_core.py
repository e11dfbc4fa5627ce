"""Access-matrix entries for log-in, health, language and other project-level routes.

Route name -> (URL kwargs from the world, expected status per persona). Collected by
`test_access_matrix.py`; a route with no entry in one of these modules fails there."""

from __future__ import annotations

from tests.foundation.matrix_helpers import (
    Routes,
    _invitation_token,
    everyone,
)

ROUTES: Routes = {
    "home": (lambda w: {}, everyone(302)),
    "health": (lambda w: {}, everyone(200)),
    "health-ready": (lambda w: {}, everyone(404)),  # operators only: staff or the health token
    "login": (lambda w: {}, everyone(200)),
    "logout": (lambda w: {}, everyone(405)),  # log-out is POST only
    "password_change": (lambda w: {}, everyone(200, anon=302)),
    "password_change_done": (lambda w: {}, everyone(200, anon=302)),
    "password_reset": (lambda w: {}, everyone(200)),
    "password_reset_done": (lambda w: {}, everyone(200)),
    "password_reset_confirm": (lambda w: {"uidb64": "MQ", "token": "bad-token"}, everyone(200)),
    "password_reset_complete": (lambda w: {}, everyone(200)),
    "accept-invitation": (_invitation_token, everyone(200)),
    "set-language": (lambda w: {}, everyone(405)),  # POST only, anonymous visitors too (cookie)
}
