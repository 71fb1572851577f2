"""`{% link %}` and `{% asset %}`: the addresses in the frame every page shares (templates/base.html),
worked out once per process instead of on every render.

Django's `{% url %}` reverses its name on every render (15-26 us here: the resolver's table is looked up
by language, the prefix read from a thread-local) and `{% static %}` asks the storage each time. The
frame prints seven of them, which were two fifths of its render and a tenth of the queue page's CPU
(bench/README.md, eleventh pass). A name without arguments reverses to the same path for as long as
the URLconf, the script prefix and the language are the same, so that is what a link is kept by. A
static file's address cannot change while the process runs (the storage reads its manifest once).
Addresses with arguments stay with `{% url %}`. Settings changed by tests forget everything kept.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.core.signals import setting_changed
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.translation import get_language

register = template.Library()

_links: dict[tuple[str, Any, str, str | None], str] = {}
# The script prefix is the server's (gunicorn takes a SCRIPT_NAME header only from the trusted proxy),
# but should anything ever let requests choose it, what is kept stays bounded.
_MOST = 2048
_assets: dict[str, str] = {}


def _literal(parser: template.base.Parser, token: template.base.Token) -> str:
    bits = token.split_contents()
    name = bits[1] if len(bits) == 2 else ""
    if len(name) < 3 or name[0] != name[-1] or name[0] not in "\"'":
        raise template.TemplateSyntaxError(
            f"{{% {bits[0]} %}} takes one quoted name; use {{% url %}} or {{% static %}} for anything else."
        )
    return name[1:-1]


class _KeptNode(template.Node):
    def __init__(self, name: str) -> None:
        self.name = name

    def address(self) -> str:
        raise NotImplementedError

    def render(self, context: template.Context) -> str:
        address = self.address()
        return conditional_escape(address) if context.autoescape else address


class LinkNode(_KeptNode):
    def address(self) -> str:
        key = (self.name, get_urlconf(), get_script_prefix(), get_language())
        try:
            return _links[key]
        except KeyError:
            if len(_links) >= _MOST:
                _links.clear()
            path = _links[key] = reverse(self.name)
            return path


class AssetNode(_KeptNode):
    def address(self) -> str:
        try:
            return _assets[self.name]
        except KeyError:
            url = _assets[self.name] = static(self.name)
            return url


@register.tag
def link(parser: template.base.Parser, token: template.base.Token) -> LinkNode:
    """`{% link "desk:queue" %}`: the path of a URL name that takes no arguments."""
    return LinkNode(_literal(parser, token))


@register.tag
def asset(parser: template.base.Parser, token: template.base.Token) -> AssetNode:
    """`{% asset "css/app.css" %}`: the address of a static file."""
    return AssetNode(_literal(parser, token))


def _forget(**kwargs: Any) -> None:
    _links.clear()
    _assets.clear()


setting_changed.connect(_forget)
