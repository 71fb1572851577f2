"""Every scenario file in tests/compliance/scenarios/ (the public ones of compliance/scenarios and the desk's
own edge scenarios E*.yaml) must pass through the pure runner: one test per file."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from compliance.scenarios import load_scenario, run_checks

FOLDER = Path(__file__).parent / "scenarios"
FILES = sorted(FOLDER.glob("*.yaml"))


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_scenario_file(path):
    scenario = load_scenario(path)
    results = run_checks(scenario)
    assert results, f"{path.name} has no checks"
    failures = [f"{r}\n      engine: {' | '.join(r.messages)}" for r in results if not r.passed]
    assert not failures, "\n".join(failures)


def test_folder_holds_public_and_edge_scenarios():
    names = [p.name for p in FILES]
    assert sum(n.startswith("T") for n in names) >= 19
    assert sum(n.startswith("E") for n in names) >= 30


@pytest.mark.parametrize("path", [p for p in FILES if p.name.startswith("E")], ids=lambda p: p.stem)
def test_edge_scenarios_document_themselves(path):
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key in ("id", "title", "source", "why"):
        assert isinstance(raw.get(key), str), f"{path.name}: {key}"
        assert raw[key].strip(), f"{path.name}: {key}"
    assert path.name.startswith(raw["id"] + "-")


def test_scenario_ids_are_unique():
    ids = [yaml.safe_load(p.read_text(encoding="utf-8"))["id"] for p in FILES]
    assert len(ids) == len(set(ids))
