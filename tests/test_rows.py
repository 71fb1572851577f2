from __future__ import annotations

import pytest

from audit.models import AuditEvent
from collections_desk.lib.rows import instance_written
from desk.models import Lease


def test_an_instance_written_holds_the_values_given_and_the_defaults_of_the_rest():
    lease = instance_written(Lease, "default", id=7, account_id=3, holder_id=2)
    assert (lease.pk, lease.account_id, lease.holder_id) == (7, 3, 2)
    assert (lease.released_at, lease.release_reason, lease.note) == (None, "", "")
    assert (lease._state.adding, lease._state.db) == (False, "default")
    # Each instance has its own state.
    assert instance_written(Lease, "default", id=8)._state is not lease._state


def test_a_model_with_a_callable_default_is_refused():
    # One default computed for every instance would share a dict, or freeze a timestamp.
    with pytest.raises(TypeError, match="callable defaults"):
        instance_written(AuditEvent, "default", id=1)
