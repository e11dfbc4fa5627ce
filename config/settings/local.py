"""Development: DEBUG on, a development secret, SQLite and in-process tasks unless env says otherwise."""

import os

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY") or "django-insecure-development-only-key-never-in-production"

# Serve static files straight from the finders: no collectstatic needed to develop or test.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
