"""Django's ModelBackend, with the user of each request read by one plain statement."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.db import connection

from staff.models import User

_USER_FIELDS = User._meta.concrete_fields
_USER_SQL = (
    f"SELECT {', '.join(f.column for f in _USER_FIELDS)} FROM {User._meta.db_table}"  # noqa: S608 - our names
    f" WHERE {User._meta.pk.column} = %s"
)


class UserBackend(ModelBackend):
    """Every request of a logged-in user starts by reading the user (django.contrib.auth.get_user).
    Through the ORM that read took 0.47-0.50 ms, a third of the floor of every desk page; one statement
    and Model.from_db take 0.15-0.19 ms (bench/README.md, eighth pass). Same row, same rule: an inactive
    user is refused. Logging in (authenticate) is ModelBackend's, unchanged."""

    def get_user(self, user_id: Any) -> User | None:
        with connection.cursor() as cursor:
            cursor.execute(_USER_SQL, [user_id])
            row = cursor.fetchone()
        if row is None:
            return None
        user = User.from_db(connection.alias, [f.attname for f in _USER_FIELDS], row)
        return user if self.user_can_authenticate(user) else None
