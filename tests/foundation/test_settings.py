"""Settings come from the environment; production refuses to start unsafe."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(settings_module: str, code: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    clean.update(env, DJANGO_SETTINGS_MODULE=settings_module)
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True)


def test_production_refuses_to_start_without_a_secret_key():
    result = _run("config.settings.production", "import django; django.setup()")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_a_short_secret_key():
    result = _run("config.settings.production", "import django; django.setup()", SECRET_KEY="short")
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "SECRET_KEY": "k" * 30 + "Zq9!x" * 6,
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_development_settings_have_a_default_secret_only_with_debug():
    result = _run(
        "config.settings.local", "from django.conf import settings; print(settings.DEBUG, bool(settings.SECRET_KEY))"
    )
    assert result.stdout.strip() == "True True"


def test_database_and_redis_come_from_the_environment():
    code = (
        "from django.conf import settings as s;"
        "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.CACHES['default']['BACKEND'])"
    )
    embedded = _run("config.settings.local", code, DATABASE_URL="", REDIS_URL="")
    assert embedded.stdout.split() == [
        "django.db.backends.sqlite3",
        "True",
        "django.core.cache.backends.db.DatabaseCache",
    ], embedded.stderr
    served = _run(
        "config.settings.local",
        code,
        DATABASE_URL="postgres://u@127.0.0.1:5432/x",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert served.stdout.split() == [
        "django.db.backends.postgresql",
        "False",
        "django.core.cache.backends.redis.RedisCache",
    ], served.stderr


def test_only_local_settings_without_redis_run_tasks_in_a_thread():
    """`make run` (local, no REDIS_URL): tasks in a background thread, so pages show their stages.
    Tests and production never do; with Redis the worker runs them."""
    code = "from django.conf import settings as s; print(s.LOCAL_TASKS_IN_THREAD)"
    assert _run("config.settings.local", code, REDIS_URL="").stdout.strip() == "True"
    assert _run("config.settings.local", code, REDIS_URL="redis://127.0.0.1:6379/0").stdout.strip() == "False"
    assert _run("config.settings.test", code, REDIS_URL="").stdout.strip() == "False"
    production = _run("config.settings.production", code, REDIS_URL="", SECRET_KEY="k" * 30 + "Zq9!x" * 6)
    assert production.stdout.strip() == "False", production.stderr


def test_engine_and_readers_import_no_django():
    """The pure engine must run in a notebook or a worker without Django configured."""
    code = (
        "import sys, valuation.engine, valuation.imports;"
        "import pkgutil, importlib;"
        "[importlib.import_module(m.name) for p in ('valuation.engine','valuation.imports') "
        " for m in pkgutil.walk_packages(importlib.import_module(p).__path__, p + '.')];"
        "bad=[m for m in sys.modules if m.split('.')[0] in {'django','rest_framework','celery'}];"
        "print(bad)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
