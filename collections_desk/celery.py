from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "collections_desk.settings.dev")

# DjangoTask gives every task delay_on_commit(), so services enqueue work only once their
# transaction has committed (DESIGN.md invariant 4).
app = Celery("collections_desk", task_cls="celery.contrib.django.task:DjangoTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
