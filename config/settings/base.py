"""Settings shared by every environment. Everything that differs comes from the environment."""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "borrowers",
    "facilities",
    "valuation",
    "reports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "config.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "borrowers.middleware.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "borrowers.context_processors.navigation",
                "borrowers.context_processors.notifications",
            ],
        },
    }
]

# --- Data stores -------------------------------------------------------------------------------
# DATABASE_URL: PostgreSQL in production and CI; a SQLite file when unset (one-command start).
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'var' / 'stockpledge.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and int(os.environ.get("DB_POOL_MAX_SIZE", "4")):
    # A bounded pool per process (psycopg_pool): a burst of requests or tasks waits up to
    # DB_POOL_TIMEOUT seconds for a connection instead of failing with "too many clients". Size
    # it so that processes × DB_POOL_MAX_SIZE stays under the server's max_connections (4 gunicorn
    # workers and 2 Celery processes at 4 each: 24). A pool replaces persistent connections.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": int(os.environ.get("DB_POOL_MAX_SIZE", "4")),
        "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "30")),
    }
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # One writer at a time: wait for the lock rather than failing while a task writes lines.
    DATABASES["default"]["OPTIONS"] = {"timeout": 30}
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# REDIS_URL: Celery broker, result backend and cache. Unset: tasks run in-process and the cache
# lives in the database, so even then no state hides in one process's memory.
REDIS_URL = os.environ.get("REDIS_URL", "")
# Operators' key to /health/ready/ (staff users reach it with their session).
HEALTH_TOKEN = os.environ.get("HEALTH_TOKEN", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "stockpledge_cache",
        }
    }

# --- Celery --------------------------------------------------------------------------------------
# Without Redis no message leaves the process (tasks are eager); the in-memory transport is
# named with its host so that kombu does not warn "No hostname was supplied" at every task.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 900
CELERY_TASK_SOFT_TIME_LIMIT = 840
# Redelivery of a task whose worker died waits for the visibility timeout: keep it above the
# longest task time limit (else Redis hands a long task still running to a second worker), yet
# short enough that a lost worker is noticed.
# kombu looks for a dead worker's unacked messages every interval × throttle seconds (10 × 10 by
# default): scan every 10 s so a lost job comes back soon after its visibility timeout.
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "960")),
    "unacked_restore_throttle": 1,
}
# A job's claim is a lease refreshed at each stage; a lapsed lease means its worker died.
JOB_LEASE_SECONDS = int(os.environ.get("JOB_LEASE_SECONDS", "120"))
CELERY_BEAT_SCHEDULE = {
    "sweep-stuck-jobs": {"task": "valuation.sweep_stuck_jobs", "schedule": 300.0},
    # Late deliverables → alerts and notifications, due-soon reminders (idempotent: once a period).
    "sweep-calendars": {"task": "valuation.sweep_calendars", "schedule": 6 * 3600.0},
    # The daily digest of notifications (borrowers.common.notify), for those who chose it.
    "send-daily-digests": {"task": "borrowers.send_daily_digests", "schedule": crontab(hour=7, minute=0)},
    # covenants (issue 16): a waiver that expired lets its breach raise the alert again.
    "sweep-covenant-waivers": {"task": "valuation.sweep_covenant_waivers", "schedule": crontab(hour=0, minute=30)},
}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A request that sends a job waits at most this long for an unreachable broker (borrowers.common.queueing).
CELERY_BROKER_CONNECTION_TIMEOUT = float(os.environ.get("CELERY_BROKER_CONNECTION_TIMEOUT", "2"))
# Local development only (local.py): in-process tasks run in a thread after the response, so the
# pages show their stages as with a worker (borrowers.common.queueing). Tests keep them synchronous.
LOCAL_TASKS_IN_THREAD = False

# --- Files ---------------------------------------------------------------------------------------
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))
MEDIA_URL = "/media/"
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024

# Stock-file limits (issue 4): refused before any parser sees the file.
STOCK_FILE_MAX_BYTES = int(os.environ.get("STOCK_FILE_MAX_BYTES", str(256 * 1024 * 1024)))
STOCK_FILE_MAX_ROWS = int(os.environ.get("STOCK_FILE_MAX_ROWS", "2000000"))
# Uploads one person may send in any hour (valuation.pipeline.services); 0 switches the limit off.
STOCK_UPLOADS_PER_HOUR = int(os.environ.get("STOCK_UPLOADS_PER_HOUR", "30"))
# A rate dated more than this many days before a stock date is flagged on the run (valuation/rates/services.py).
FX_MAX_RATE_AGE_DAYS = int(os.environ.get("FX_MAX_RATE_AGE_DAYS", "7"))


# An appraisal's report (facilities.appraisals): a PDF, checked on its bytes, at most this size.
APPRAISAL_FILE_MAX_BYTES = int(os.environ.get("APPRAISAL_FILE_MAX_BYTES", str(20 * 1024 * 1024)))
# The credit file (facilities.credit_file): a document's size cap, and how many days before its
# lapse date a document counts as expiring (and raises its alert).
CREDIT_FILE_MAX_BYTES = int(os.environ.get("CREDIT_FILE_MAX_BYTES", str(20 * 1024 * 1024)))
CREDIT_FILE_WARNING_DAYS = int(os.environ.get("CREDIT_FILE_WARNING_DAYS", "60"))

# --- Borrower certificates (issue 16, part 5) ---------------------------------------------------
# A line of the borrower's own certificate is highlighted when it differs from StockPledge's figure
# by more than this percentage of StockPledge's figure, or this amount in the facility's currency,
# whichever allows more (reports/borrower_certificates.py).
BORROWER_CERTIFICATE_TOLERANCE_PCT = os.environ.get("BORROWER_CERTIFICATE_TOLERANCE_PCT", "0.5")
BORROWER_CERTIFICATE_TOLERANCE_AMOUNT = os.environ.get("BORROWER_CERTIFICATE_TOLERANCE_AMOUNT", "1000")

# --- Accounts ------------------------------------------------------------------------------------
AUTH_USER_MODEL = "borrowers.User"
AUTHENTICATION_BACKENDS = ["borrowers.auth.LockoutModelBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
LOGIN_LOCKOUT_MINUTES = int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15"))
# Failures from one address across accounts, and for one account from every address (borrowers.auth).
LOGIN_ADDRESS_LIMIT = int(os.environ.get("LOGIN_ADDRESS_LIMIT", "30"))
LOGIN_ACCOUNT_LIMIT = int(os.environ.get("LOGIN_ACCOUNT_LIMIT", "50"))
LOGIN_ACCOUNT_LOCKOUT_MINUTES = int(os.environ.get("LOGIN_ACCOUNT_LOCKOUT_MINUTES", "3"))
# Proxies in front of the web processes (the load balancer: 1) whose X-Forwarded-For is believed.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
INVITATION_VALID_DAYS = int(os.environ.get("INVITATION_VALID_DAYS", "7"))
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 10

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "StockPledge <no-reply@stockpledge.local>")
# The address the links in notification e-mails start with (no request to take it from in a task).
SITE_URL = os.environ.get("SITE_URL", "http://localhost:8000")

# --- Languages -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("fr", _("Français")), ("zh-hans", _("简体中文"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Catalogues: locale/<fr|zh_Hans>/LC_MESSAGES/django.po and the compiled .mo are both committed
# (`make messages` refreshes and compiles them; running the app needs no gettext).
# Date layouts per language agree with borrowers/common/formatting.py (fr 31/12/2026, en 31 Dec 2026).
FORMAT_MODULE_PATH = ["borrowers.formats"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "Europe/Paris"

# --- API -----------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        # Token first: an anonymous API call is told 401 with a WWW-Authenticate header.
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "COERCE_DECIMAL_TO_STRING": True,
    "EXCEPTION_HANDLER": "config.api_errors.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "StockPledge API",
    "DESCRIPTION": "Inventory financing dossiers: clients, stock files, valuations, reports.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
    # The documentation page's assets are served by us, never from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "ReportKindEnum": "reports.models.ReportKind",
        # A run's status appears in several components (runs, the workspace routes' run summaries).
        "RunStatusEnum": "valuation.models.RunStatus",
    },
    "COMPONENT_SPLIT_REQUEST": True,
    # Every operation's framework refusals (400, 401, 403, 404, 409) and their error body.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "borrowers.api_schema.add_error_responses",
    ],
}

# --- Logging: one structured (JSON) line per event -----------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "config.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"level": "ERROR"},
        # The PDF renderer's progress ("Step 5 - Creating layout - Page 3") and font subsetting
        # chatter are INFO; their warnings and errors still show.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
if CELERY_TASK_ALWAYS_EAGER:
    # In-process tasks: celery's "Task … succeeded in 0.2s" line for every call is noise (a worker
    # keeps it). A task's failure is logged at ERROR and still shows.
    LOGGING["loggers"]["celery.app.trace"] = {"level": "WARNING"}
