"""The form renderer: widgets through Django's own Jinja2 widget templates, which print the same HTML in
about half the time of the Django template engine; templates that exist only for the Django engine (the
admin's widgets) are still found there. Two of Django's widget templates are replaced by ones in
`jinja2/` beside this module that write each option in place instead of including three small templates
per option (select.html, multiple_input.html): the same HTML (tests/test_form_renderer.py)."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Any

import django.forms
from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist

WIDGETS = Path(__file__).parent / "jinja2"


class _Jinja2(Jinja2):
    @cached_property
    def engine(self) -> Any:
        return self.backend(
            {
                "APP_DIRS": True,
                "DIRS": [WIDGETS, Path(django.forms.__file__).parent / "jinja2"],
                "NAME": "djangoforms",
                "OPTIONS": {},
            }
        )


class JinjaFirstRenderer(BaseRenderer):
    def __init__(self) -> None:
        self._jinja = _Jinja2()
        self._django = DjangoTemplates()

    def engines(self) -> list[Any]:
        """The two template backends, Jinja2's first (collections_desk.warmup compiles their templates)."""
        return [self._jinja.engine, self._django.engine]

    def get_template(self, template_name: str) -> Any:
        try:
            return self._jinja.get_template(template_name)
        except TemplateDoesNotExist:
            return self._django.get_template(template_name)
