"""The app's URLs plus the baselines the pages are measured against, served by the same gunicorn in the
same run: /bench/one-query/ (one indexed query, no template, no session or user lookup: the issue's
"bare Django view") and /bench/login-one-query/ (the same behind login_required: the floor of any desk
page, which must read the session and the user before anything else)."""

from __future__ import annotations

import random

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path

from collections_desk.urls import urlpatterns as app_urlpatterns

_RANDOM = random.Random(7)


def one_query(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT balance FROM accounts_patientaccount WHERE id = %s", [_RANDOM.randint(1, 1_000_000)]
        )
        row = cursor.fetchone()
    return HttpResponse(str(row[0] if row else ""), content_type="text/plain")


urlpatterns = [
    path("bench/one-query/", one_query),
    path("bench/login-one-query/", login_required(one_query)),
    *app_urlpatterns,
]
