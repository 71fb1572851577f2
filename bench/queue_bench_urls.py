"""The app's URLs plus the baselines the pages are measured against, served by the same gunicorn in the
same run: /bench/one-query/ (one indexed query, no template, no session or user lookup: the issue's
"bare Django view"), /bench/login-one-query/ (the same behind login_required: the floor of any desk
page, which must read the session and the user before anything else) and /bench/patient-floor/ (the
same again, writing its view of the account to the audit log: the floor of any page that shows patient
data, which the brief requires to be audited)."""

from __future__ import annotations

import random

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path

from audit.services import audit_record_view
from collections_desk.urls import urlpatterns as app_urlpatterns

_RANDOM = random.Random(7)


def _balance(account_id: int) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT balance FROM accounts_patientaccount WHERE id = %s", [account_id])
        row = cursor.fetchone()
    return HttpResponse(str(row[0] if row else ""), content_type="text/plain")


def one_query(request: HttpRequest) -> HttpResponse:
    return _balance(_RANDOM.randint(1, 1_000_000))


@login_required
def patient_floor(request: HttpRequest) -> HttpResponse:
    account_id = _RANDOM.randint(1, 1_000_000)
    response = _balance(account_id)
    audit_record_view(actor=request.user, action="accounts.account.viewed", account_ids=[account_id])
    return response


urlpatterns = [
    path("bench/one-query/", one_query),
    path("bench/login-one-query/", login_required(one_query)),
    path("bench/patient-floor/", patient_floor),
    *app_urlpatterns,
]
