from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def log_in(client, username, password, ip="192.0.2.10"):
    return client.post(reverse("auth:login"), {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_the_login_page_is_served_under_auth(client):
    r = client.get("/auth/login/")
    assert r.status_code == 200
    assert "Log in" in r.content.decode()


def test_a_collector_logs_in_and_lands_on_the_account_list(client, collector):
    r = log_in(client, "casey", PASSWORD)
    assert r.status_code == 302
    assert r.url == reverse("accounts:list")


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client, collector):
    r = log_in(client, "casey", "not it")
    assert r.status_code == 200
    assert "Please enter a correct username and password" in r.content.decode()


def test_repeated_failures_lock_the_login_even_with_the_right_password(client, collector):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "casey", "guess")
    r = log_in(client, "casey", PASSWORD)
    assert r.status_code == 429
    assert "Login locked" in r.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_username_and_address(client, collector, other_team_collector):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "casey", "guess")
    assert log_in(client, "wes", PASSWORD).status_code == 302


def test_logout_needs_a_post_and_ends_the_session(client, collector):
    client.force_login(collector)
    assert client.get(reverse("auth:logout")).status_code == 405
    r = client.post(reverse("auth:logout"))
    assert r.status_code == 302
    assert r.url == reverse("auth:login")
    assert client.get(reverse("accounts:list")).status_code == 302


def test_passwords_are_hashed_with_argon2_in_production_settings():
    from collections_desk.settings import base

    assert base.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_sign_ins_failures_and_sign_outs_are_audited(client, collector):
    from audit.models import AuditEvent

    log_in(client, "casey", "guess")
    log_in(client, "casey", PASSWORD)
    client.post(reverse("auth:logout"))
    events = list(AuditEvent.objects.order_by("id").values_list("action", "actor__username", "ip"))
    assert events == [
        ("staff.session.login_failed", None, "192.0.2.10"),
        ("staff.session.logged_in", "casey", "192.0.2.10"),
        ("staff.session.logged_out", "casey", "127.0.0.1"),
    ]
    assert AuditEvent.objects.get(action="staff.session.login_failed").data == {"username": "casey"}
