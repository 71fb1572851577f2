"""What a web process loads before it serves its first request.

Django imports the URLconf, and with it every view, on the first request; several of the desk's lookups
load their data on first use and keep it: the federal holidays (`holidays` imports a module per country),
the New York City ZIP codes (filtered from the 42,000 records of `zipcodes`: 0.3 s), the phone-prefix
time zones, and each compiled template. Loaded by a request, they cost whoever comes first: the first
queue page of a new worker took 1.0 s in process, then 5-8 ms (bench/README.md, tenth pass). A server's
workers start together and do the same work, so under load they paid it at the same moment: a gunicorn
log showed both of two workers held up 0.85-1.18 s together, a minute into a run, when the queue's
compliance marks were first made again (with no compiled bytecode; 0.4 s of it remains with it).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.conf import settings
from django.forms.renderers import get_default_renderer
from django.template import engines
from django.template.backends.jinja2 import Jinja2
from django.urls import get_resolver, reverse
from django.utils import timezone

from collections_desk.lib.phones import phone_zones
from compliance import calendar

# A number and a ZIP to look up: any valid ones load their data.
_PHONE = "+12125550100"
_ZIP = "10001"


def warm_up(*, today: dt.date | None = None) -> list[str]:
    """Load the lazily loaded reference data and compile the project's templates; returns the names of
    the templates compiled."""
    today = today or timezone.localdate()
    # The URLconf (which imports every view and what they use) and the table `reverse` looks names up in.
    resolver = get_resolver()
    resolver.url_patterns  # noqa: B018 - read for its side effect: the import
    reverse("home")
    for year in (today.year, today.year + 1):
        calendar.federal_holidays(year)
    calendar.locality_for_zip(_ZIP)
    calendar.zone_for_zip(_ZIP)
    phone_zones(_PHONE)
    return _compile_templates()


def _compile_templates() -> list[str]:
    """The project's templates, through the engine that renders each, and the form renderer's widget
    templates: the engines keep them compiled."""
    root = Path(settings.BASE_DIR).resolve()
    compiled = []
    for engine in [*engines.all(), *get_default_renderer().engines()]:
        jinja = isinstance(engine, Jinja2)
        for directory in (Path(d).resolve() for d in engine.template_dirs):
            if not jinja and (not directory.is_relative_to(root) or "site-packages" in directory.parts):
                continue  # the admin's and other packages' Django templates: compiled if ever used
            for path in sorted(directory.rglob("*.html")):
                name = path.relative_to(directory)
                # The Django engine's directory holds the Jinja2 engine's, as `jinja2/`.
                if not jinja and "jinja2" in name.parts:
                    continue
                engine.get_template(name.as_posix())
                compiled.append(f"{engine.name}:{name.as_posix()}")
    return compiled
