"""Tests: the same code paths as production, with fast hashing and captured mail.

DATABASE_URL and REDIS_URL are honoured (CI points them at PostgreSQL and Redis); without them the
suite runs on SQLite with in-process tasks.
"""

import os

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY") or "test-secret-key-" + "x" * 40
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING["root"]["level"] = os.environ.get("LOG_LEVEL", "WARNING")  # noqa: F405

# Serve static files straight from the finders: no collectstatic needed to develop or test.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Tests run tasks in-process unless they are about Celery: those start a real worker against Redis.
CELERY_TASK_ALWAYS_EAGER = True
if not REDIS_URL:  # noqa: F405
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
