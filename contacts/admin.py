from __future__ import annotations

from django.contrib import admin

from contacts.models import ContactAttempt


@admin.register(ContactAttempt)
class ContactAttemptAdmin(admin.ModelAdmin):
    list_display = ["occurred_at", "channel", "disposition", "person", "actor"]
    list_filter = ["channel", "disposition"]
    raw_id_fields = ["person", "phone", "address", "email", "accounts"]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
