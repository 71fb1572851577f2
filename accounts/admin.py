from __future__ import annotations

from django.contrib import admin

from accounts.models import Client, Facility, InsuranceCoverage, LedgerEntry, PatientAccount
from audit.services import audit_record, audit_record_view


class FacilityInline(admin.TabularInline):
    model = Facility
    extra = 0


@admin.register(Client)
class ClientAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "nonprofit_501r", "credit_reporting_enabled"]
    list_filter = ["kind", "nonprofit_501r", "credit_reporting_enabled"]
    search_fields = ["code", "name"]
    inlines = [FacilityInline]
    # Compliance overrides are changed on the Compliance page, which validates them against RULES.md's
    # parameters and audits each change; here they are shown only.
    readonly_fields = ["policy_overrides"]


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    list_display = ["name", "client", "city", "state"]
    list_filter = ["client"]
    search_fields = ["name"]


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class LedgerInline(ReadOnlyInline):
    model = LedgerEntry
    fk_name = "account"
    fields = ["effective_date", "kind", "amount", "external_ref", "memo", "posted_at"]
    readonly_fields = fields


class CoverageInline(ReadOnlyInline):
    model = InsuranceCoverage


@admin.register(PatientAccount)
class PatientAccountAdmin(admin.ModelAdmin):
    """Read-mostly: status and balance change only through services (which audit); the admin may
    reassign team and collector."""

    list_display = ["id", "client", "client_account_number", "guarantor", "status", "balance", "team"]
    list_filter = ["status", "client", "team"]
    search_fields = ["=id", "=client_account_number", "guarantor__last_name"]
    list_select_related = ["client", "guarantor", "team"]
    raw_id_fields = ["guarantor", "patient", "assigned_collector"]
    show_full_result_count = False
    inlines = [CoverageInline, LedgerInline]
    fields = [
        "client",
        "client_account_number",
        "facility",
        "guarantor",
        "patient",
        "status",
        "balance",
        "team",
        "assigned_collector",
        "placement_date",
    ]

    def get_readonly_fields(self, request, obj=None):
        return [f for f in self.fields if f not in {"team", "assigned_collector"}]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The admin shows patient data too: every page of it is audited like the desk's own pages.
        if object_id and str(object_id).isdigit():
            audit_record_view(
                actor=request.user,
                action="accounts.account.viewed",
                account_ids=[int(object_id)],
                data={"via": "admin"},
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        audit_record(
            action="accounts.account.reassigned",
            actor=request.user,
            account_id=obj.pk,
            data={
                "changed": form.changed_data,
                "team_id": obj.team_id,
                "collector_id": obj.assigned_collector_id,
            },
        )


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    list_display = ["id", "account", "kind", "amount", "effective_date", "external_ref"]
    list_filter = ["kind"]
    search_fields = ["=account__id", "=external_ref"]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
