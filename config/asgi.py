import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_asgi_application()

from config.warmup import load_and_freeze  # noqa: E402 - once the apps are set up

load_and_freeze()
