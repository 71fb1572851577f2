"""Admins set each client's plan policy in the admin; every change is audited and a bad tier is refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from arrangements.models import PlanPolicy
from audit.models import AuditEvent
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db


def post_policy(client, hospital, **fields):
    data = {
        "client": hospital.pk,
        "min_installment": "40.00",
        "max_months": '[["500.00", 6], [null, 18]]',
        "max_settlement_discount_pct": "15.00",
        "grace_days": "7",
        "broken_after_missed": "2",
        "reminder_days_before": "3",
        **fields,
    }
    return client.post(reverse("admin:arrangements_planpolicy_add"), data)


def test_an_admin_sets_a_plan_policy_and_it_is_audited(client, admin_user):
    hospital = ClientFactory()
    client.force_login(admin_user)
    r = post_policy(client, hospital)
    assert r.status_code == 302
    policy = PlanPolicy.objects.get(client=hospital)
    assert policy.max_months == [["500.00", 6], [None, 18]]
    event = AuditEvent.objects.get(action="arrangements.policy.changed")
    assert event.data["client_id"] == hospital.pk
    assert "min_installment" in event.data["changed"]


def test_tiers_that_do_not_rise_are_refused(client, admin_user):
    hospital = ClientFactory()
    client.force_login(admin_user)
    r = post_policy(client, hospital, max_months='[["2000.00", 12], ["500.00", 6]]')
    assert r.status_code == 200
    assert "rising balances" in r.content.decode()
    assert not PlanPolicy.objects.exists()


def test_a_manager_cannot_reach_the_admin(client, manager):
    client.force_login(manager)
    r = client.get(reverse("admin:arrangements_planpolicy_changelist"))
    assert r.status_code in (302, 403, 404)
    assert not PlanPolicy.objects.exists()
