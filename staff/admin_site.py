from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class DeskAdminSite(admin.AdminSite):
    """The admin is for the admin role only: `is_staff` alone (a manager given it by mistake) is not
    enough, because the admin's querysets are not scoped by team."""

    site_header = "Collections Desk administration"
    site_title = "Collections Desk"

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(user.is_active and user.is_staff and getattr(user, "is_admin_role", False))


class DeskAdminConfig(AdminConfig):
    default_site = "staff.admin_site.DeskAdminSite"
