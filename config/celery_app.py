"""The Celery application. Configuration comes from Django settings (``CELERY_*``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("stockpledge")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each app's tasks module; the valuation pipeline keeps its tasks in valuation/pipeline/tasks.py.
app.autodiscover_tasks(["borrowers", "facilities", "valuation.pipeline", "reports"])
