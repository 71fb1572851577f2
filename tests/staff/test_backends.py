"""The user read at the start of every request (staff.backends.UserBackend), against the real database."""

from __future__ import annotations

import pytest
from django.urls import reverse

from staff.backends import UserBackend
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_the_request_sees_the_user_as_stored(client, collector):
    collector.first_name, collector.last_name = "Casey", "Quinn"
    collector.save()
    client.force_login(collector)
    page = client.get(reverse("accounts:list"))
    assert page.status_code == 200
    assert page.wsgi_request.user.pk == collector.pk
    assert page.wsgi_request.user.role == "collector"
    assert "Casey Quinn · Collector" in page.content.decode()
    # Not a half-made user: saving it back changes nothing and loses nothing.
    page.wsgi_request.user.save()
    collector.refresh_from_db()
    assert (collector.first_name, collector.check_password(PASSWORD)) == ("Casey", True)


def test_a_user_deactivated_while_logged_in_is_sent_to_the_login_page(client, collector):
    client.force_login(collector)
    assert client.get(reverse("accounts:list")).status_code == 200
    collector.is_active = False
    collector.save()
    r = client.get(reverse("accounts:list"))
    assert r.status_code == 302
    assert r.url.startswith(reverse("auth:login"))


def test_a_password_changed_elsewhere_ends_the_other_sessions(client, collector):
    client.force_login(collector)
    collector.set_password("a whole new passphrase")
    collector.save()
    r = client.get(reverse("accounts:list"))
    assert r.status_code == 302


def test_an_unknown_user_id_is_nobody():
    assert UserBackend().get_user(987654321) is None


def test_the_users_teams_are_read_with_the_user(east, west):
    member = UserFactory(role="collector", teams=[west, east])
    assert UserBackend().get_user(member.pk).team_ids_read == sorted([east.pk, west.pk])
    assert UserBackend().get_user(UserFactory(role="collector").pk).team_ids_read == []
    # Only the request's read carries them: a user loaded any other way reads its teams when asked.
    assert type(member).objects.get(pk=member.pk).team_ids_read is None
