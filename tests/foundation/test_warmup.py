"""A web process loads every view before its first request and keeps what it loaded out of the
garbage collector (config/warmup.py): full collections otherwise walked some 180,000 long-lived
objects inside whichever request was running."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import gc, sys
import config.wsgi
print(gc.get_freeze_count(), "valuation.workspace.views" in sys.modules, "reports.views" in sys.modules)
"""


def test_the_wsgi_application_loads_the_views_and_freezes_what_it_loaded():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    frozen, valuation_views, report_views = out.stdout.split()
    assert valuation_views == "True" and report_views == "True"
    assert int(frozen) > 50_000


def test_a_process_that_did_not_start_through_wsgi_freezes_nothing():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "PYTHONPATH": str(ROOT)}
    probe = "import gc, django; django.setup(); print(gc.get_freeze_count())"
    out = subprocess.run([sys.executable, "-c", probe], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"
