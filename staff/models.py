from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models


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
