"""Helpers of the workspace tests: post the page's forms as the browser does."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

HX = {"HX-Request": "true"}
NOON_UTC = dt.datetime(2026, 11, 24, 18, 0, tzinfo=dt.UTC)


def prefixed(prefix, data):
    return {f"{prefix}-{key}": value for key, value in data.items()}


def log_attempt(client, account, phone, **fields):
    """Post the attempt form as the page would: a call on `phone` about `account` unless told otherwise."""
    data = {
        "channel": "call",
        "direction": "outbound",
        "contact_point": f"phone:{phone.pk}",
        "accounts": [account.pk],
        "note": "",
        **fields,
    }
    return client.post(url("attempt-create", account), prefixed("attempt", data), headers=HX)


def url(name, account, *args):
    return reverse(f"workspace:{name}", args=[account.pk, *args])
