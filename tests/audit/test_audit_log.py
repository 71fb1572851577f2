from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from audit.models import AuditEvent
from audit.services import audit_record

pytestmark = pytest.mark.django_db


def test_audit_events_cannot_be_rewritten_or_deleted(collector):
    event = audit_record(action="accounts.note.added", actor=collector, account_id=7, data={"note_id": 1})
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="accounts.note.removed")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.get(pk=event.pk).action == "accounts.note.added"


def test_an_event_rolls_back_with_the_change_it_describes(collector):
    def change_that_fails():
        with transaction.atomic():
            audit_record(action="accounts.note.added", actor=collector, account_id=7)
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert not AuditEvent.objects.exists()


def test_action_names_must_be_app_noun_verb(collector):
    with pytest.raises(IntegrityError), transaction.atomic():
        audit_record(action="did something", actor=collector)


def test_the_admin_shows_the_log_read_only(client, admin_user):
    audit_record(action="accounts.note.added", actor=admin_user, account_id=7)
    client.force_login(admin_user)
    event = AuditEvent.objects.get(action="accounts.note.added")
    assert client.get("/admin/audit/auditevent/").status_code == 200
    r = client.get(f"/admin/audit/auditevent/{event.pk}/change/")
    assert r.status_code == 200
    assert "Save" not in r.content.decode()
    assert client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_the_admin_is_closed_to_staff_who_are_not_admins(client, manager):
    manager.is_staff = True
    manager.save(update_fields=["is_staff"])
    client.force_login(manager)
    r = client.get("/admin/accounts/patientaccount/")
    assert r.status_code == 302
    assert r.url.startswith("/admin/login/")


def test_opening_an_account_in_the_admin_is_audited(client, admin_user, account):
    client.force_login(admin_user)
    assert client.get(f"/admin/accounts/patientaccount/{account.pk}/change/").status_code == 200
    event = AuditEvent.objects.get(action="accounts.account.viewed")
    assert (event.actor, event.account_id, event.data) == (admin_user, account.pk, {"via": "admin"})
