from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from staff.models import User


class AuthedRequest(HttpRequest):
    """A request behind login_required: typed user and htmx details."""

    user: User
    htmx: HtmxDetails


def client_ip(request: HttpRequest) -> str | None:
    # Behind the compose proxy REMOTE_ADDR is the proxy; gunicorn's --forwarded-allow-ips rewrites it.
    return request.META.get("REMOTE_ADDR") or None
