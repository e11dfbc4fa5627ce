"""Development: DEBUG on, a development secret, SQLite and in-process tasks unless env says otherwise."""

import os

from .base import *  # noqa: F403
from .base import REDIS_URL, env_bool

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY") or "django-insecure-development-only-key-never-in-production"

# Serve static files straight from the finders: no collectstatic needed to develop or test.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# With no REDIS_URL tasks run in-process; run them in a background thread after the response
# (borrowers.common.queueing), so the upload and report pages show their stages as they would with a
# worker. Local development only: tests (test.py) and production keep a worker or synchronous tasks.
LOCAL_TASKS_IN_THREAD = env_bool("LOCAL_TASKS_IN_THREAD", not REDIS_URL)

# runserver's "Watching for file changes" comes twice (Django's console handler and ours).
LOGGING["loggers"]["django.utils.autoreload"] = {"level": "WARNING"}  # noqa: F405
