from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from collections_desk.warmup import warm_up
from tests.test_deployment import production_environment

ROOT = Path(__file__).resolve().parents[1]

# What a web worker has loaded once the WSGI module is imported, before any request.
PROBE = """
import json, sys
import collections_desk.wsgi
from django.template import engines
from compliance import calendar
loader = engines["django"].engine.template_loaders[0]
print(json.dumps({
    "modules": sorted(m for m in ("holidays.countries.united_states", "workspace.views", "desk.views")
                      if m in sys.modules),
    "nyc_zips": calendar._nyc_zips.cache_info().currsize,
    "holiday_years": calendar.federal_holidays.cache_info().currsize,
    "templates": sorted(k for k in loader.get_template_cache if k in ("base.html", "workspace/account.html")),
}))
"""


@pytest.mark.parametrize("settings_module", ["test", "prod"])
def test_a_web_worker_loads_the_views_reference_data_and_templates_before_its_first_request(
    settings_module: str,
) -> None:
    if settings_module == "prod":
        # What compose gives the gunicorn service (and nothing from the shell running the tests).
        environ = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **production_environment()}
    else:
        environ = {**os.environ, "DJANGO_SETTINGS_MODULE": "collections_desk.settings.test"}
    result = subprocess.run(  # noqa: S603 - our own arguments
        [sys.executable, "-c", PROBE], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == {
        "modules": ["desk.views", "holidays.countries.united_states", "workspace.views"],
        "nyc_zips": 1,
        "holiday_years": 2,
        "templates": ["base.html", "workspace/account.html"],
    }


def test_warm_up_compiles_the_projects_templates_through_the_engine_that_renders_each() -> None:
    compiled = warm_up(today=dt.date(2026, 11, 27))

    assert {
        "django:base.html",
        "django:desk/queue.html",
        "django:workspace/account.html",
        "jinja2:desk/queue_rows.html",
        "djangoforms:workspace/fields.html",
        "djangoforms:django/forms/widgets/select.html",
    } <= set(compiled)
    # The Jinja2 templates are not fed to the Django engine, nor are the installed packages' own.
    assert "django:jinja2/desk/queue_rows.html" not in compiled
    assert not [name for name in compiled if name.startswith("django:admin/")]
