from __future__ import annotations

import pytest
from django.core.cache import cache

from desk.queue_cache import queue_parts, teams_changed

pytestmark = pytest.mark.django_db


def parts(user, teams, build):
    return queue_parts(user=user, queue_id=None, teams=teams, build_rows=build)


def test_rows_built_while_a_change_commits_are_not_kept_as_current(collector, east):
    builds = []

    def build(choice):
        builds.append(choice)
        if len(builds) == 1:
            teams_changed([east.pk])  # a claim commits while this build reads the rows from before it
        return [], f"build {len(builds)}"

    assert parts(collector, [east.pk], build)[3] == "build 1"
    assert parts(collector, [east.pk], build)[3] == "build 2"
    assert parts(collector, [east.pk], build)[3] == "build 2"  # current now: shared, not rebuilt


def test_a_lost_generation_does_not_bring_back_old_rows(collector, east):
    """Redis lost the team's generation (restart, eviction) but kept a page built under it: that page is
    not served, since the generation given anew cannot match it."""
    calls = []

    def build(choice):
        calls.append(1)
        return [], f"build {len(calls)}"

    parts(collector, [east.pk], build)
    cache.delete_many([f"desk:team-rows:{east.pk}", f"desk:team-queues:{east.pk}"])
    assert parts(collector, [east.pk], build)[3] == "build 2"


def test_claims_may_order_their_tries_by_rows_a_change_made_stale(collector, east):
    """Work next takes its order of tries from rows a few seconds old even after a change (it checks each
    account itself); a page shown never does."""
    builds = []

    def build(choice):
        builds.append(choice)
        return [], f"build {len(builds)}"

    parts(collector, [east.pk], build)
    teams_changed([east.pk])
    assert queue_parts(user=collector, queue_id=None, teams=[east.pk], build_rows=build, current=False)[
        3
    ] == ("build 1")
    assert parts(collector, [east.pk], build)[3] == "build 2"
