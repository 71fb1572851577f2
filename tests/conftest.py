"""Personas and shared fixtures. Access-control tests read as a story: the collector of the East team,
a collector of the West team, a manager of both, an admin."""

from __future__ import annotations

import copy
import os
import uuid

import pytest

from tests.factories import PatientAccountFactory, TeamFactory, UserFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _own_cache_namespace(settings):
    """Each test its own key prefix in the shared Redis: the database ids of one test (or of the other
    xdist worker) must not find another's cached values."""
    caches = copy.deepcopy(settings.CACHES)
    caches["default"]["KEY_PREFIX"] = f"cd-test-{uuid.uuid4().hex[:12]}"
    settings.CACHES = caches


@pytest.fixture
def east(db):
    return TeamFactory(name="East")


@pytest.fixture
def west(db):
    return TeamFactory(name="West")


@pytest.fixture
def collector(east):
    return UserFactory(username="casey", role="collector", teams=[east])


@pytest.fixture
def other_team_collector(west):
    return UserFactory(username="wes", role="collector", teams=[west])


@pytest.fixture
def manager(east, west):
    return UserFactory(username="morgan", role="manager", teams=[east, west])


@pytest.fixture
def west_manager(west):
    return UserFactory(username="wendy", role="manager", teams=[west])


@pytest.fixture
def admin_user(db):
    return UserFactory(username="ada", role="admin", is_staff=True, is_superuser=True)


@pytest.fixture
def account(east):
    return PatientAccountFactory(team=east)


@pytest.fixture
def west_account(west):
    return PatientAccountFactory(team=west)
