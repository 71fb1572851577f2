"""The form renderer: widgets through Django's own Jinja2 widget templates, which print the same HTML in
about half the time of the Django template engine; templates that exist only for the Django engine (the
admin's widgets) are still found there."""

from __future__ import annotations

from typing import Any

from django.forms.renderers import BaseRenderer, DjangoTemplates, Jinja2
from django.template import TemplateDoesNotExist


class JinjaFirstRenderer(BaseRenderer):
    def __init__(self) -> None:
        self._jinja = Jinja2()
        self._django = DjangoTemplates()

    def get_template(self, template_name: str) -> Any:
        try:
            return self._jinja.get_template(template_name)
        except TemplateDoesNotExist:
            return self._django.get_template(template_name)
