"""`manage.py seed_demo --accounts N --seed S`: a demo desk with N realistic accounts (accounts/demo.py)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.demo import DEFAULT_TODAY, PASSWORDS, USERS, DemoRefused, Login, demo_seed
from staff.models import User


class Command(BaseCommand):
    help = "Create demo staff, clients and N generated patient accounts (deterministic for a seed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--accounts", type=int, default=1_000, help="Accounts to create (default 1000).")
        parser.add_argument("--seed", type=int, default=1, help="Random seed: the same seed, the same data.")
        parser.add_argument(
            "--today",
            type=date.fromisoformat,
            default=DEFAULT_TODAY,
            help=f"Reference day the dates are relative to (default {DEFAULT_TODAY}, fixed so the data does "
            "not change from day to day).",
        )
        parser.add_argument(
            "--append", action="store_true", help="Add accounts even though the database already has some."
        )
        parser.add_argument(
            "--logins", action="store_true", help="Only print the demo logins (for a database seeded before)."
        )

    def handle(
        self, *args, accounts: int, seed: int, today: date, append: bool, logins: bool, **options
    ) -> None:
        if logins:
            self._print_logins(
                Login(spec.username, PASSWORDS[spec.role], spec.role, spec.teams)
                for spec in USERS
                if User.objects.filter(username=spec.username, is_active=True).exists()
            )
            return
        if accounts < 0:
            raise CommandError("--accounts must be zero or more.")
        try:
            summary = demo_seed(
                accounts=accounts, seed=seed, today=today, append=append, progress=self.stdout.write
            )
        except DemoRefused as exc:
            raise CommandError(str(exc)) from exc

        rate = summary.accounts / summary.seconds if summary.seconds else 0
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {summary.accounts:,} accounts (seed {summary.seed}, today {summary.today}) "
                f"in {summary.seconds:.1f} s ({rate:,.0f} accounts/s)."
            )
        )
        width = max(len(table) for table in summary.rows)
        for table, count in summary.rows.items():
            self.stdout.write(f"  {table:<{width}}  {count:>12,}")
        self.stdout.write(f"  {'total':<{width}}  {sum(summary.rows.values()):>12,}")
        self._print_logins(summary.logins)

    def _print_logins(self, logins: Iterable[Login]) -> None:
        self.stdout.write("\nDemo logins (unless changed since):")
        for login in logins:
            teams = ", ".join(login.teams) or "all"
            self.stdout.write(f"  {login.username:<11} {login.password:<20} {login.role:<9} teams: {teams}")
