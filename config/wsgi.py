import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_wsgi_application()

from config.warmup import load_and_freeze  # noqa: E402 - once the apps are set up

load_and_freeze()
