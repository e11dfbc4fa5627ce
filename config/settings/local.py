"""Development: DEBUG on, a development secret, SQLite and in-process tasks unless env says otherwise."""

import os

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY") or "django-insecure-development-only-key-never-in-production"
