from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from staff.models import User


@pytest.mark.django_db
def test_logins_are_printed_again_for_a_database_seeded_before_without_seeding_twice():
    call_command("seed_demo", "--accounts", "0", stdout=StringIO())
    User.objects.filter(username="collector8").update(is_active=False)
    out = StringIO()

    call_command("seed_demo", "--logins", stdout=out)

    text = out.getvalue()
    assert "collector1  demo-collector-2026" in text
    assert "collector8" not in text
    assert User.objects.count() == 11
