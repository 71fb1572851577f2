from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import connection, models


class Team(models.Model):
    """A group of collectors and their managers; accounts are assigned to one team."""

    name = models.CharField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """A staff login. 'Account' in this project always means a patient account, never a login."""

    class Role(models.TextChoices):
        COLLECTOR = "collector", "Collector"
        MANAGER = "manager", "Manager"
        ADMIN = "admin", "Admin"

    role = models.CharField(max_length=20, choices=Role.choices, default=Role.COLLECTOR)
    teams = models.ManyToManyField(Team, related_name="members", blank=True)

    # The ids of the user's teams as read with the user at the start of a request (staff.backends),
    # sorted; None for a user read any other way. Not a field: it is as current as the request.
    team_ids_read: list[int] | None = None

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=["collector", "manager", "admin"]), name="user_role_valid"
            ),
        ]

    @property
    def is_admin_role(self) -> bool:
        return self.role == self.Role.ADMIN or self.is_superuser

    @property
    def is_manager_role(self) -> bool:
        return self.role == self.Role.MANAGER

    def member_team_ids(self) -> list[int]:
        """The ids of the user's teams, sorted: those read with the user at the start of the request
        (staff.backends), else read now. Plain SQL: every desk page asks, and the ORM took three times as
        long to write the statement as PostgreSQL took to answer it (bench/README.md, fifth pass)."""
        if self.team_ids_read is not None:
            return list(self.team_ids_read)
        with connection.cursor() as cursor:
            cursor.execute(teams_of_user_sql("%s"), [self.pk])
            return [team_id for (team_id,) in cursor.fetchall()]


def teams_of_user_sql(user_id: str) -> str:
    """The statement listing a user's team ids in order; `user_id` is SQL: a placeholder, or a column of
    an outer query (staff.backends reads them with the user)."""
    return (
        f"SELECT team_id FROM {User.teams.through._meta.db_table}"  # noqa: S608 - our names
        f" WHERE user_id = {user_id} ORDER BY team_id"
    )
