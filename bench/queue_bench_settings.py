"""Production settings plus the bench-only URLconf (bench/queue_bench_urls.py) with the one-query
baseline view. Static files are served without a manifest so no collectstatic is needed."""

from __future__ import annotations

from collections_desk.settings.prod import *  # noqa: F403

ROOT_URLCONF = "queue_bench_urls"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
