from __future__ import annotations

import pytest

from accounts.selectors import accounts_visible_to
from desk.selectors import team_ids_visible_to, workspace_url
from staff.backends import UserBackend
from tests.factories import PatientAccountFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "persona", ["collector", "other_team_collector", "manager", "west_manager", "admin_user"]
)
def test_the_claims_team_scope_is_exactly_what_accounts_visible_to_allows(request, persona, east, west):
    # lease_claim_next filters by team_ids_visible_to inside its single statement; it must never be
    # wider (or narrower) than accounts_visible_to, the one scoping rule.
    user = request.getfixturevalue(persona)
    third = TeamFactory(name="Early-out")
    for team in (east, west, third):
        PatientAccountFactory(team=team)
    visible = set(accounts_visible_to(user).values_list("team_id", flat=True))
    assert set(team_ids_visible_to(user)) == visible


def test_an_inactive_or_teamless_user_sees_no_team(east):
    assert team_ids_visible_to(UserFactory(role="collector", is_active=False, teams=[east])) == []
    assert team_ids_visible_to(UserFactory(role="collector")) == []


def test_a_claimed_account_opens_in_the_workspace(account):
    assert workspace_url(account.pk) == f"/work/{account.pk}/"


def test_the_teams_read_with_the_request_user_need_no_statement(collector, east, django_assert_num_queries):
    user = UserBackend().get_user(collector.pk)
    with django_assert_num_queries(0):
        assert team_ids_visible_to(user) == [east.pk]
    assert team_ids_visible_to(user) == team_ids_visible_to(type(user).objects.get(pk=user.pk))
