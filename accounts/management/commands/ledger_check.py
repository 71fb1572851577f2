"""`manage.py ledger_check`: every account's cached balance must equal the sum of its ledger entries."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import PatientAccount
from accounts.services import ledger_mismatches
from collections_desk.lib.money import format_money


class Command(BaseCommand):
    help = "Compare each account's cached balance with the sum of its ledger; exit non-zero on a mismatch."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=20, help="Mismatches to list (default 20).")

    def handle(self, *args, limit: int, **options) -> None:
        checked = PatientAccount.objects.count()
        mismatches = ledger_mismatches()
        if not mismatches:
            self.stdout.write(self.style.SUCCESS(f"ledger ok: {checked:,} accounts checked"))
            return
        for account_id, cached, ledger in mismatches[:limit]:
            self.stdout.write(
                f"account {account_id}: balance {format_money(cached)}, ledger {format_money(ledger)}, "
                f"off by {format_money(cached - ledger)}"
            )
        if len(mismatches) > limit:
            self.stdout.write(f"… and {len(mismatches) - limit:,} more")
        raise CommandError(
            f"ledger mismatch: {len(mismatches):,} of {checked:,} accounts have a balance that differs "
            "from the sum of their ledger entries"
        )
