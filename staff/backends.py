"""Django's ModelBackend, with the user of each request read by one plain statement."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from collections_desk.lib.rows import instance_reader
from staff.models import User, teams_of_user_sql

_read_user = instance_reader(
    User,
    f"{User._meta.pk.column} = %s",
    # The user's teams come with the user: desk pages ask for them next (team_ids_visible_to), and a
    # statement of its own was 0.12 ms of the queue page's 2.2 (bench/README.md, eleventh pass).
    annotations={"team_ids_read": f"ARRAY({teams_of_user_sql(f'{User._meta.db_table}.id')})"},
)


class UserBackend(ModelBackend):
    """Every request of a logged-in user starts by reading the user (django.contrib.auth.get_user).
    Through the ORM that read took 0.47-0.50 ms, a third of the floor of every desk page; one statement
    and Model.from_db take 0.15-0.19 ms (bench/README.md, eighth pass). Same row, same rule: an inactive
    user is refused. Logging in (authenticate) is ModelBackend's, unchanged."""

    def get_user(self, user_id: Any) -> User | None:
        user = _read_user([user_id])
        return user if user is not None and self.user_can_authenticate(user) else None
