from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.template import TemplateSyntaxError, engines
from django.templatetags.static import static
from django.test import override_settings
from django.urls import reverse, set_script_prefix

from collections_desk.lib import frame_tags

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def render(source: str, **context: object) -> str:
    return engines["django"].from_string("{% load frame %}" + source).render(context)


def test_every_link_in_the_templates_is_the_path_url_gives() -> None:
    names = {
        m.group(1)
        for path in TEMPLATES.rglob("*.html")
        for m in re.finditer(r"\{% link '([^']+)' %\}", path.read_text())
    }
    assert {"home", "desk:queue", "accounts:list", "auth:logout", "admin:index"} <= names
    for name in names:
        assert render(f"{{% link '{name}' %}}") == reverse(name)


def test_a_link_follows_the_script_prefix_of_the_request() -> None:
    # Kept per prefix: the same process behind two mount points must not mix them up.
    assert render("{% link 'desk:queue' %}") == "/desk/"
    try:
        set_script_prefix("/collections/")
        assert render("{% link 'desk:queue' %}") == "/collections/desk/"
    finally:
        set_script_prefix("/")
    assert render("{% link 'desk:queue' %}") == "/desk/"


def test_links_kept_stay_bounded_whatever_prefixes_requests_bring() -> None:
    try:
        for n in range(frame_tags._MOST + 10):
            set_script_prefix(f"/p{n}/")
            assert render("{% link 'home' %}") == f"/p{n}/"
    finally:
        set_script_prefix("/")
    assert len(frame_tags._links) <= frame_tags._MOST


def test_an_asset_is_the_address_static_gives_and_follows_a_changed_setting() -> None:
    assert render("{% asset 'css/app.css' %}") == static("css/app.css")
    with override_settings(STATIC_URL="/assets/"):
        assert render("{% asset 'css/app.css' %}") == "/assets/css/app.css"
    assert render("{% asset 'css/app.css' %}") == static("css/app.css")


def test_an_address_is_escaped_as_static_escapes_it() -> None:
    # A quote is the one character the storage leaves unquoted that HTML needs escaped.
    assert render("""{% asset "it's.css" %}""") == render("""{% load static %}{% static "it's.css" %}""")
    assert render("""{% asset "it's.css" %}""").endswith("it&#x27;s.css")
    assert render("""{% autoescape off %}{% asset "it's.css" %}{% endautoescape %}""").endswith("it's.css")


@pytest.mark.parametrize(
    "source",
    [
        "{% link %}",
        "{% link name %}",
        "{% link 'desk:queue-saved' 3 %}",
        "{% asset 'x.css' as url %}",
        "{% link '' %}",
    ],
)
def test_anything_but_one_quoted_name_is_refused_when_the_template_is_read(source: str) -> None:
    with pytest.raises(TemplateSyntaxError, match="takes one quoted name"):
        render(source)
