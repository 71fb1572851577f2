from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import PatientAccount
from audit.models import AuditEvent
from audit.selectors import account_views
from contacts.services import address_add, contact_attempt_log, phone_add
from desk.models import Lease, PriorityWeights, Queue, QueueOrder
from desk.queue_cache import ROWS_SECONDS, teams_changed
from desk.selectors import call_mark_key, queue_choice_get, workspace_url
from desk.services import (
    account_rescore,
    lease_claim_next,
    queue_create,
    queue_rescore,
    queue_update,
)
from tests.factories import ClientFactory, PatientAccountFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(T0, tick=False) as traveller:
        yield traveller


@pytest.fixture
def east_accounts(east):
    top = PatientAccountFactory(
        team=east,
        balance=Decimal("2310.00"),
        next_action_at=T0 - dt.timedelta(minutes=5),
        guarantor=PersonFactory(first_name="Dana", last_name="Whitfield"),
    )
    low = PatientAccountFactory(team=east, balance=Decimal("40.00"))
    queue_rescore()
    return top, low


def claim(user):
    return lease_claim_next(user=user, choice=queue_choice_get(user=user, queue_id=None))


def test_collector_sees_their_queue_in_priority_order_with_the_reasons(
    client, collector, east_accounts, west_account
):
    top, low = east_accounts
    queue_rescore()
    client.force_login(collector)
    r = client.get(reverse("desk:queue"))
    assert r.status_code == 200
    assert [row.account_id for row in r.context["rows"]] == [top.pk, low.pk]
    page = r.content.decode()
    assert "Whitfield, Dana" in page
    assert "callback due" in page
    assert "$2,310 balance" in page
    assert "new placement, no attempt yet" in page
    assert west_account.client_account_number not in page
    # One view event names every account the page showed, and each account's view history finds it.
    event = AuditEvent.objects.get(action="accounts.account.viewed", data__via="queue")
    assert event.account_ids == [top.pk, low.pk]
    assert event.actor == collector
    assert [e.pk for e in account_views(account_id=low.pk)] == [event.pk]
    assert not account_views(account_id=west_account.pk)


def test_the_queue_page_needs_the_same_queries_for_5_and_50_rows(
    client, collector, east, django_assert_num_queries
):
    for i in range(5):
        PatientAccountFactory(team=east, balance=Decimal(100 + i))
    queue_rescore()
    client.force_login(collector)
    client.get(reverse("desk:queue"))  # warm the session

    def forget_cached_parts():  # both pages build their rows and ask the compliance engine about each
        cache.delete_many([call_mark_key(pk) for pk in PatientAccount.objects.values_list("pk", flat=True)])
        teams_changed([east.pk])

    forget_cached_parts()
    with CaptureQueriesContext(connection) as five:
        assert len(client.get(reverse("desk:queue")).context["rows"]) == 5
    for i in range(45):
        PatientAccountFactory(team=east, balance=Decimal(200 + i))
    queue_rescore()
    forget_cached_parts()
    with django_assert_num_queries(len(five)):
        assert len(client.get(reverse("desk:queue")).context["rows"]) == 50


def test_the_call_marks_are_reused_until_the_account_changes(client, collector, east_accounts):
    top, _ = east_accounts
    client.force_login(collector)
    client.get(reverse("desk:queue"))
    with CaptureQueriesContext(connection) as cached:
        client.get(reverse("desk:queue"))
    account_rescore(account_id=top.pk)  # what the workspace does after any change
    with CaptureQueriesContext(connection) as asked_again:
        client.get(reverse("desk:queue"))
    assert len(asked_again) > len(cached)


def page_rows(client, url=None):
    return [row.account_id for row in client.get(url or reverse("desk:queue")).context["rows"]]


def test_a_colleagues_claim_and_release_show_on_the_next_page(client, collector, east_accounts, east):
    """The rows are built once for the team and shared for a few seconds (desk.queue_cache), but what a
    lease changes shows on the very next page of everyone in the team."""
    top, low = east_accounts
    colleague = Client()
    colleague.force_login(UserFactory(role="collector", teams=[east]))
    client.force_login(collector)
    assert page_rows(client) == [top.pk, low.pk]
    assert colleague.post(reverse("desk:claim-next"), {"queue": ""}).url == workspace_url(top.pk)
    assert page_rows(client) == [low.pk]
    lease = Lease.objects.get(account=top, released_at__isnull=True)
    colleague.post(reverse("desk:lease-release", args=[lease.pk]), {"action": "finish"})
    assert page_rows(client) == [top.pk, low.pk]


def test_a_shared_page_still_records_who_saw_which_accounts(client, collector, east_accounts, east):
    top, low = east_accounts
    colleague = UserFactory(role="collector", teams=[east])
    client.force_login(collector)
    client.get(reverse("desk:queue"))
    client.force_login(colleague)
    with CaptureQueriesContext(connection) as shared:
        assert page_rows(client) == [top.pk, low.pk]
    assert not any("desk_accountpriority" in q["sql"] for q in shared.captured_queries)  # not rebuilt
    event = AuditEvent.objects.filter(action="accounts.account.viewed", actor=colleague).get()
    assert event.account_ids == [top.pk, low.pk]


def test_a_callback_falling_due_shows_within_seconds(client, collector, east, frozen):
    later = PatientAccountFactory(
        team=east, balance=Decimal("10.00"), next_action_at=T0 + dt.timedelta(seconds=5)
    )
    big = PatientAccountFactory(team=east, balance=Decimal("9000.00"))
    queue_rescore()
    client.force_login(collector)
    assert page_rows(client)[0] == big.pk
    frozen.shift(dt.timedelta(seconds=ROWS_SECONDS))  # nothing else changed: only the clock
    assert page_rows(client)[0] == later.pk


def test_another_teams_collector_never_gets_a_cached_queue(
    client, collector, other_team_collector, east_accounts, west_account
):
    top, low = east_accounts
    queue_rescore()
    client.force_login(collector)
    assert page_rows(client) == [top.pk, low.pk]
    client.force_login(other_team_collector)
    assert page_rows(client) == [west_account.pk]


def test_a_new_saved_queue_is_in_the_picker_at_once(client, manager, collector, east_accounts, east):
    client.force_login(collector)
    client.get(reverse("desk:queue"))
    queue = queue_create(actor=manager, team=east, name="Big balances", balance_min=Decimal("1000"))
    page = client.get(reverse("desk:queue")).content.decode()
    assert reverse("desk:queue-saved", args=[queue.pk]) in page
    queue_update(actor=manager, queue_id=queue.pk, is_active=False)
    page = client.get(reverse("desk:queue")).content.decode()
    assert reverse("desk:queue-saved", args=[queue.pk]) not in page
    assert client.get(reverse("desk:queue-saved", args=[queue.pk])).status_code == 404


def test_htmx_refresh_returns_only_the_rows(client, collector, east_accounts):
    client.force_login(collector)
    r = client.get(reverse("desk:queue"), headers={"HX-Request": "true"})
    body = r.content.decode()
    assert body.lstrip().startswith('<div id="queue-rows"')
    assert "<html" not in body


def test_work_next_claims_the_top_account_and_lands_on_the_account(client, collector, east_accounts):
    top, _ = east_accounts
    client.force_login(collector)
    r = client.post(reverse("desk:claim-next"), {"queue": ""})
    assert r.status_code == 302
    assert r.url == workspace_url(top.pk) == reverse("workspace:account", args=[top.pk])
    assert Lease.objects.get(holder=collector, released_at__isnull=True).account_id == top.pk


def test_work_next_with_htmx_redirects_the_client(client, collector, east_accounts):
    top, _ = east_accounts
    client.force_login(collector)
    r = client.post(reverse("desk:claim-next"), {"queue": ""}, headers={"HX-Request": "true"})
    assert r.headers["HX-Redirect"] == workspace_url(top.pk)


def test_work_next_never_hands_out_another_teams_account(client, collector, west_account):
    queue_rescore()
    client.force_login(collector)
    r = client.post(reverse("desk:claim-next"), {"queue": ""}, follow=True)
    assert r.redirect_chain[-1][0] == reverse("desk:queue")
    assert "Nothing left to work" in r.content.decode()
    assert not Lease.objects.exists()


def test_another_teams_saved_queue_is_a_404(client, collector, west):
    queue = Queue.objects.create(name="Big balances", team=west)
    client.force_login(collector)
    assert client.get(reverse("desk:queue-saved", args=[queue.pk])).status_code == 404
    assert client.post(reverse("desk:claim-next"), {"queue": queue.pk}).status_code == 404


def test_a_saved_queue_filters_its_accounts(client, manager, collector, east):
    big_client = ClientFactory()
    wanted = PatientAccountFactory(team=east, client=big_client, balance=Decimal("700.00"))
    PatientAccountFactory(team=east, client=big_client, balance=Decimal("50.00"))
    PatientAccountFactory(team=east, balance=Decimal("900.00"))
    queue_rescore()
    client.force_login(manager)
    r = client.post(
        reverse("desk:queue-create"),
        {
            "name": "Mercy over $500",
            "team": east.pk,
            "client": big_client.pk,
            "balance_min": "500",
            "order_by": "priority",
            "is_active": "on",
        },
    )
    queue = Queue.objects.get()
    assert r.url == reverse("desk:queue-saved", args=[queue.pk])
    assert AuditEvent.objects.filter(action="desk.queue.created").exists()
    client.force_login(collector)
    r = client.get(reverse("desk:queue-saved", args=[queue.pk]))
    assert [row.account_id for row in r.context["rows"]] == [wanted.pk]
    client.post(reverse("desk:claim-next"), {"queue": queue.pk})
    assert Lease.objects.get().account_id == wanted.pk


def test_collectors_cannot_create_queues(client, collector):
    client.force_login(collector)
    assert client.get(reverse("desk:queue-create")).status_code == 404


def test_finish_without_javascript_redirects_to_the_queue(client, collector, east_accounts):
    lease = claim(collector)
    client.force_login(collector)
    r = client.post(reverse("desk:lease-release", args=[lease.pk]), {"action": "finish", "queue": ""})
    assert r.status_code == 302
    assert r.url == reverse("desk:queue")
    lease.refresh_from_db()
    assert lease.release_reason == "finished"


def test_finish_and_next_moves_to_the_next_account(client, collector, east_accounts):
    top, low = east_accounts
    lease = claim(collector)
    assert lease.account_id == top.pk
    client.force_login(collector)
    r = client.post(reverse("desk:lease-release", args=[lease.pk]), {"action": "next", "queue": ""})
    # The account just worked is released in the same step and not handed straight back.
    assert r.url == workspace_url(low.pk)
    lease.refresh_from_db()
    assert lease.release_reason == "next"
    assert Lease.objects.filter(holder=collector).count() == 2


def test_skip_without_a_reason_shows_the_error_and_keeps_the_lease(client, collector, east_accounts):
    lease = claim(collector)
    client.force_login(collector)
    r = client.post(reverse("desk:lease-release", args=[lease.pk]), {"action": "skip", "reason": "other"})
    assert r.status_code == 200
    assert "Say why you are skipping" in r.content.decode()
    lease.refresh_from_db()
    assert lease.released_at is None
    r = client.post(
        reverse("desk:lease-release", args=[lease.pk]),
        {"action": "skip", "reason": "other", "note": "Asked us to"},
    )
    assert r.status_code == 302
    lease.refresh_from_db()
    assert (lease.release_reason, lease.skip_reason, lease.note) == ("skipped", "other", "Asked us to")


def test_renew_with_htmx_returns_the_bar(client, collector, east_accounts, frozen):
    lease = claim(collector)
    frozen.shift(dt.timedelta(minutes=5))
    client.force_login(collector)
    r = client.post(
        reverse("desk:lease-renew", args=[lease.pk]),
        headers={
            "HX-Request": "true",
            "HX-Current-URL": f"http://testserver{workspace_url(lease.account_id)}",
        },
    )
    assert r.status_code == 200
    assert 'id="lease-bar"' in r.content.decode()
    assert "every 240s" in r.content.decode()  # still on the account's page: keeps renewing
    lease.refresh_from_db()
    assert lease.expires_at == T0 + dt.timedelta(minutes=20)


def test_renewing_a_lost_lease_says_so_and_signals(client, collector, east_accounts, frozen):
    lease = claim(collector)
    frozen.shift(dt.timedelta(minutes=16))
    client.force_login(collector)
    r = client.post(reverse("desk:lease-renew", args=[lease.pk]), headers={"HX-Request": "true"})
    assert r.headers["HX-Trigger"] == '{"lease-changed": {}}'
    assert "ended" in r.content.decode()


def test_the_lease_bar_renews_only_on_the_leased_accounts_page(client, collector, east_accounts):
    lease = claim(collector)
    client.force_login(collector)
    elsewhere = client.get(
        reverse("desk:lease-bar"),
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/accounts/"},
    )
    assert lease.account.client_account_number in elsewhere.content.decode()
    assert "every 240s" not in elsewhere.content.decode()


def test_logging_out_releases_the_lease(client, collector, east_accounts):
    lease = claim(collector)
    client.force_login(collector)
    client.post(reverse("auth:logout"))
    lease.refresh_from_db()
    assert lease.release_reason == "logout"


def test_manager_desk_shows_leases_and_todays_counts(client, manager, collector, east_accounts):
    from contacts.services import contact_attempt_log, phone_add

    top, _ = east_accounts
    phone = phone_add(person=top.guarantor, number="(406) 203-5512", kind="mobile", actor=None)
    for disposition in ("no_answer", "conversation", "promise", "refused"):
        contact_attempt_log(
            accounts=[top], channel="call", disposition=disposition, actor=collector, phone=phone
        )
    contact_attempt_log(
        accounts=[top],
        channel="call",
        disposition="promise",
        actor=collector,
        phone=phone,
        occurred_at=T0 - dt.timedelta(days=1),
    )
    claim(collector)
    client.force_login(manager)
    r = client.get(reverse("desk:manager"))
    assert r.status_code == 200
    (row,) = [row for row in r.context["rows"] if row.collector == collector]
    assert (row.attempts, row.rpcs, row.promises) == (4, 3, 1)
    assert row.lease.account_id == top.pk
    assert "Break lease" in r.content.decode()


def test_collectors_get_404_on_the_desk_and_cannot_break_leases(client, collector, east_accounts):
    lease = claim(collector)
    client.force_login(collector)
    assert client.get(reverse("desk:manager")).status_code == 404
    assert client.post(reverse("desk:lease-break", args=[lease.pk])).status_code == 404
    lease.refresh_from_db()
    assert lease.released_at is None


def test_manager_breaks_a_lease_with_htmx(client, manager, collector, east_accounts):
    lease = claim(collector)
    client.force_login(manager)
    r = client.post(reverse("desk:lease-break", args=[lease.pk]), headers={"HX-Request": "true"})
    assert r.headers["HX-Trigger"] == '{"lease-changed": {}}'
    assert r.content.decode().lstrip().startswith('<div id="desk-table"')
    lease.refresh_from_db()
    assert lease.release_reason == "broken"


def test_manager_breaks_a_lease_without_javascript(client, manager, collector, east_accounts):
    lease = claim(collector)
    client.force_login(manager)
    r = client.post(reverse("desk:lease-break", args=[lease.pk]))
    assert r.url == reverse("desk:manager")
    assert AuditEvent.objects.filter(action="desk.lease.broken", actor=manager).exists()


def test_west_manager_cannot_break_an_east_lease(client, west_manager, collector, east_accounts):
    lease = claim(collector)
    client.force_login(west_manager)
    assert client.post(reverse("desk:lease-break", args=[lease.pk])).status_code == 404


def test_manager_edits_team_weights_and_the_team_is_rescored(
    client, manager, east, east_accounts, rescore_inline
):
    _, low = east_accounts
    client.force_login(manager)
    url = reverse("desk:weights") + f"?team={east.pk}"
    assert client.get(url).status_code == 200
    data = {
        "team": east.pk,
        "callback_due": 2000,
        "promise_due": 800,
        "new_placement": 300,
        "balance": 15,
        "days_since_placement": -4,
        "days_since_contact": 10,
        "attempts_without_rpc": 10,
    }
    with pytest.MonkeyPatch.context():
        r = client.post(reverse("desk:weights"), data)
    assert r.status_code == 302
    assert PriorityWeights.objects.get(team=east).new_placement == 300
    event = AuditEvent.objects.get(action="desk.weights.changed")
    assert event.data == {"team_id": east.pk, "changed": {"new_placement": [150, 300]}}
    assert rescore_inline == []  # enqueued on commit: the test transaction never commits


def test_weights_change_enqueues_a_rescore_on_commit(
    client, manager, east, east_accounts, rescore_inline, django_capture_on_commit_callbacks
):
    _, low = east_accounts
    client.force_login(manager)
    data = {
        "team": east.pk,
        "callback_due": 2000,
        "promise_due": 800,
        "new_placement": 300,
        "balance": 15,
        "days_since_placement": -4,
        "days_since_contact": 10,
        "attempts_without_rpc": 10,
    }
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("desk:weights"), data)
    assert rescore_inline == [{"team_id": east.pk}]
    from desk.models import AccountPriority

    assert AccountPriority.objects.get(account=low).factors["new_placement"] == 300


def test_weights_that_would_let_something_outrank_a_due_callback_are_refused(client, manager, east):
    client.force_login(manager)
    data = {
        "team": east.pk,
        "callback_due": 100,
        "promise_due": 0,
        "new_placement": 150,
        "balance": 15,
        "days_since_placement": 0,
        "days_since_contact": 0,
        "attempts_without_rpc": 0,
    }
    r = client.post(reverse("desk:weights"), data)
    assert r.status_code == 200
    assert "must weigh more than all other factors" in r.content.decode()
    assert not PriorityWeights.objects.exists()


def test_collector_gets_404_on_the_weights_page(client, collector, east):
    client.force_login(collector)
    assert client.get(reverse("desk:weights")).status_code == 404
    assert client.post(reverse("desk:weights"), {"team": east.pk}).status_code == 404


def test_manager_cannot_edit_another_teams_or_the_global_weights(client, west_manager, east):
    client.force_login(west_manager)
    assert client.get(reverse("desk:weights") + f"?team={east.pk}").status_code == 404


def test_admin_edits_the_global_default(client, admin_user, rescore_inline):
    client.force_login(admin_user)
    r = client.get(reverse("desk:weights"))
    assert r.status_code == 200
    assert "all teams (default)" in r.content.decode()


def test_get_on_post_endpoints_is_405(client, collector):
    client.force_login(collector)
    assert client.get(reverse("desk:claim-next")).status_code == 405
    assert client.get(reverse("desk:lease-renew", args=[1])).status_code == 405


def _saved_queue(client, manager, team, **fields):
    client.force_login(manager)
    data = {"name": "Q", "team": team.pk, "order_by": "priority", "is_active": "on", **fields}
    r = client.post(reverse("desk:queue-create"), data)
    assert r.status_code == 302, r.context["form"].errors
    return Queue.objects.get(name=data["name"])


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        ("balance", ["big", "mid", "small"]),
        ("oldest", ["small", "big", "mid"]),
        ("least_recent", ["mid", "small", "big"]),  # never tried first, then the longest ago
    ],
)
def test_a_saved_queue_hands_out_and_lists_accounts_in_its_order(
    client, manager, collector, east, order_by, expected
):
    today = T0.date()
    accounts = {
        "big": PatientAccountFactory(
            team=east, balance=Decimal("900.00"), placement_date=today - dt.timedelta(days=20)
        ),
        "mid": PatientAccountFactory(
            team=east, balance=Decimal("500.00"), placement_date=today - dt.timedelta(days=5)
        ),
        "small": PatientAccountFactory(
            team=east, balance=Decimal("100.00"), placement_date=today - dt.timedelta(days=60)
        ),
    }
    for name, days_ago in (("big", 1), ("small", 3)):
        phone = phone_add(
            person=accounts[name].guarantor, number="+1 303 555 0100", kind="mobile", actor=None
        )
        contact_attempt_log(
            actor=collector,
            accounts=[accounts[name]],
            channel="call",
            disposition="no_answer",
            phone=phone,
            occurred_at=T0 - dt.timedelta(days=days_ago),
        )
    queue_rescore()
    queue = _saved_queue(client, manager, east, name=f"by {order_by}", order_by=order_by)
    client.force_login(collector)
    r = client.get(reverse("desk:queue-saved", args=[queue.pk]))
    by_id = {a.pk: name for name, a in accounts.items()}
    assert [by_id[row.account_id] for row in r.context["rows"]] == expected
    assert QueueOrder(order_by).label.lower() in r.content.decode()
    claimed = []
    for user in (collector, *(UserFactory(role="collector", teams=[east]) for _ in range(2))):
        client.force_login(user)
        client.post(reverse("desk:claim-next"), {"queue": queue.pk})
        claimed.append(by_id[Lease.objects.get(holder=user, released_at__isnull=True).account_id])
    assert claimed == expected


def test_a_due_callback_comes_first_in_any_order(client, manager, collector, east):
    big = PatientAccountFactory(team=east, balance=Decimal("900.00"))
    small = PatientAccountFactory(
        team=east, balance=Decimal("100.00"), next_action_at=T0 - dt.timedelta(minutes=5)
    )
    queue_rescore()
    queue = _saved_queue(client, manager, east, name="big first", order_by="balance")
    client.force_login(collector)
    r = client.get(reverse("desk:queue-saved", args=[queue.pk]))
    assert [row.account_id for row in r.context["rows"]] == [small.pk, big.pk]


def test_a_manager_edits_and_retires_a_queue_and_collectors_lose_it(client, manager, collector, east):
    PatientAccountFactory(team=east)
    queue = _saved_queue(client, manager, east, name="Old name")
    r = client.post(
        reverse("desk:queue-edit", args=[queue.pk]),
        {"name": "Small balances", "team": east.pk, "balance_max": "250", "order_by": "oldest"},
    )
    assert r.status_code == 302
    queue.refresh_from_db()
    assert (queue.name, queue.balance_max, queue.order_by, queue.is_active) == (
        "Small balances",
        Decimal("250.00"),
        "oldest",
        False,  # the "Active" box was left unchecked
    )
    event = AuditEvent.objects.get(action="desk.queue.updated")
    assert event.data["changed"] == ["balance_max", "is_active", "name", "order_by"]
    page = client.get(reverse("desk:manager")).content.decode()
    assert "Small balances" in page
    assert "inactive" in page
    client.force_login(collector)
    assert client.get(reverse("desk:queue-saved", args=[queue.pk])).status_code == 404
    assert "Small balances" not in client.get(reverse("desk:queue")).content.decode()


def test_a_queue_edit_with_a_bad_range_changes_nothing(client, manager, east):
    queue = _saved_queue(client, manager, east, name="Keep")
    r = client.post(
        reverse("desk:queue-edit", args=[queue.pk]),
        {
            "name": "Keep",
            "team": east.pk,
            "balance_min": "500",
            "balance_max": "100",
            "order_by": "priority",
            "is_active": "on",
        },
    )
    assert r.status_code == 200
    assert "error" in r.content.decode()
    queue.refresh_from_db()
    assert (queue.balance_min, queue.balance_max) == (None, None)
    assert not AuditEvent.objects.filter(action="desk.queue.updated").exists()


def test_collectors_and_other_teams_managers_cannot_edit_a_queue(
    client, manager, collector, west_manager, east
):
    queue = _saved_queue(client, manager, east, name="Mine")
    for persona in (collector, west_manager):
        client.force_login(persona)
        assert client.get(reverse("desk:queue-edit", args=[queue.pk])).status_code == 404
        assert client.post(reverse("desk:queue-edit", args=[queue.pk]), {"name": "x"}).status_code == 404
    queue.refresh_from_db()
    assert queue.name == "Mine"


def _reachable(account, *, zip_code="30303", city="Atlanta", state="GA", number="+1 404 555 0100"):
    address_add(
        person=account.guarantor,
        line1="1 Peachtree St",
        city=city,
        state=state,
        zip_code=zip_code,
        actor=None,
    )
    return phone_add(person=account.guarantor, number=number, kind="mobile", actor=None)


@pytest.fixture
def one_not_callable(collector, east):
    """10:00 in Atlanta. The top account's guarantor promised to pay yesterday: no call for 7 days
    (FREQ-02); the lower one got no answer yesterday and may be called now."""
    top = PatientAccountFactory(team=east, balance=Decimal("5000.00"))
    low = PatientAccountFactory(team=east, balance=Decimal("100.00"))
    for account, disposition in ((top, "promise"), (low, "no_answer")):
        contact_attempt_log(
            actor=collector,
            accounts=[account],
            channel="call",
            disposition=disposition,
            phone=_reachable(account),
            occurred_at=T0 - dt.timedelta(days=1),
        )
    queue_rescore()
    return top, low


def test_the_queue_marks_who_may_be_called_now_and_lists_them_first(client, collector, one_not_callable):
    # The top account goes below the one that may be called now; its rank still says 1.
    top, low = one_not_callable
    client.force_login(collector)
    r = client.get(reverse("desk:queue"))
    rows = r.context["rows"]
    assert [(row.account_id, row.callable) for row in rows] == [(low.pk, True), (top.pk, False)]
    html = r.content.decode()
    first, second = (html.index(a.client_account_number) for a in (low, top))
    assert first < second
    # Each line keeps its rank in the queue's own order, and says why it may not be called.
    assert re.search(r'<td class="num">2</td>\s*<td>' + low.client_account_number, html)
    assert re.search(r'<td class="num">1</td>\s*<td>' + top.client_account_number, html)
    assert re.search(r'<td class="call call-ok">callable now</td>', html)
    assert re.search(r'<td class="call call-wait">FREQ-02[^<]*EST</td>', html)


def test_work_next_hands_out_the_account_that_may_be_called_now_first(client, collector, one_not_callable):
    top, low = one_not_callable
    client.force_login(collector)
    client.post(reverse("desk:claim-next"), {"queue": ""})
    assert Lease.objects.get(holder=collector, released_at__isnull=True).account_id == low.pk
    # Nothing else may be called now: "next" still gives work, the highest priority first.
    lease = Lease.objects.get(holder=collector, released_at__isnull=True)
    client.post(reverse("desk:lease-release", args=[lease.pk]), {"action": "next", "queue": ""})
    assert Lease.objects.get(holder=collector, released_at__isnull=True).account_id == top.pk


def test_a_preferred_account_someone_holds_is_skipped(collector, east):
    first = PatientAccountFactory(team=east, balance=Decimal("100.00"))
    second = PatientAccountFactory(team=east, balance=Decimal("200.00"))
    third = PatientAccountFactory(team=east, balance=Decimal("300.00"))
    queue_rescore()
    colleague = UserFactory(role="collector", teams=[east])
    choice_of = lambda user: queue_choice_get(user=user, queue_id=None)  # noqa: E731
    assert (
        lease_claim_next(user=colleague, choice=choice_of(colleague), prefer=[first.pk]).account_id
        == first.pk
    )
    lease = lease_claim_next(user=collector, choice=choice_of(collector), prefer=[first.pk, second.pk])
    assert lease.account_id == second.pk  # first is held: the next preferred one, not the top score (third)
    assert third.pk != lease.account_id


def test_a_renamed_team_shows_in_the_queue_picker_at_once(client, manager, collector, east):
    queue_create(actor=manager, team=east, name="Big balances", balance_min=Decimal("1000"))
    client.force_login(collector)
    assert "Big balances · East" in client.get(reverse("desk:queue")).content.decode()
    east.name = "East Coast"
    east.save()
    assert "Big balances · East Coast" in client.get(reverse("desk:queue")).content.decode()
