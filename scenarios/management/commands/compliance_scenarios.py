"""python manage.py compliance_scenarios PATH... : run compliance scenario files against the desk."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from compliance.scenarios import ScenarioError, load_scenario
from scenarios.records import Unrepresentable, run_scenario_on_records


def scenario_paths(paths: list[str]) -> list[Path]:
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml")))
        else:
            found.append(path)
    return found


class Command(BaseCommand):
    help = (
        "Run compliance scenario files (SCENARIO-FORMAT.md): each scenario's records are made through the "
        "desk's services in a transaction that is rolled back, and every check is asked of the compliance "
        "engine on facts read back from them. Prints PASS or FAIL per check with the engine's reasons; "
        "exits non-zero on any failure or invalid file. A scenario about something the desk does not record "
        "(student loans) is listed as SKIP with the reason. PATH may be a file or a folder of .yaml files."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--quiet", action="store_true", help="print failures and the summary only")

    def handle(self, *args: Any, paths: list[str], quiet: bool = False, **options: Any) -> None:
        checks = failed = bad_files = skipped = 0
        for path in scenario_paths(paths):
            try:
                scenario = load_scenario(path)
                results = run_scenario_on_records(scenario)
            except ScenarioError as exc:
                bad_files += 1
                self.stderr.write(f"ERROR {exc}")
                continue
            except Unrepresentable as exc:
                skipped += 1
                self.stdout.write(f"SKIP {path.name}: the desk does not record {exc}")
                continue
            except FileNotFoundError:
                bad_files += 1
                self.stderr.write(f"ERROR {path}: no such file")
                continue
            for result in results:
                checks += 1
                failed += not result.passed
                if result.passed and quiet:
                    continue
                write = self.stdout.write if result.passed else self.stderr.write
                write(str(result))
                for message in result.messages:
                    write(f"    {message}")
        summary = (
            f"{checks} checks: {checks - failed} passed, {failed} failed; {bad_files} invalid file(s), "
            f"{skipped} skipped"
        )
        if failed or bad_files:
            raise CommandError(summary)
        self.stdout.write(summary)
