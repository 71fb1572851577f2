from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collections_desk.settings.prod")

application = get_wsgi_application()

# Before the first request, not during it (collections_desk.warmup).
from collections_desk.warmup import warm_up  # noqa: E402 - needs the apps that get_wsgi_application set up

warm_up()
