"""The project's form renderer prints what Django's own Jinja2 widget templates print."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import Jinja2

from collections_desk.lib.form_renderer import JinjaFirstRenderer

CHOICES = [("", "—"), ("a", "A & <b>"), ("b", 'Say "b"')]
GROUPED = [("Fruit", [("apple", "Apple"), ("pear", "Pear")]), ("Nuts", [("hazel", "Hazel")]), ("x", "Loose")]


class Everything(forms.Form):
    plain = forms.ChoiceField(choices=CHOICES)
    optional = forms.ChoiceField(choices=CHOICES, required=False, widget=forms.Select(attrs={"class": "c"}))
    grouped = forms.ChoiceField(choices=GROUPED)
    several = forms.MultipleChoiceField(choices=GROUPED)
    boxes = forms.MultipleChoiceField(choices=CHOICES, widget=forms.CheckboxSelectMultiple)
    grouped_boxes = forms.MultipleChoiceField(choices=GROUPED, widget=forms.CheckboxSelectMultiple)
    radio = forms.ChoiceField(choices=CHOICES, widget=forms.RadioSelect(attrs={"class": "r"}))
    disabled = forms.ChoiceField(choices=CHOICES, disabled=True)
    ints = forms.TypedChoiceField(choices=[(1, "one"), (2, "two")], coerce=int)


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"plain": "a", "grouped": "pear", "several": ["apple", "hazel"], "boxes": ["a", "b"], "radio": "b"},
        {"plain": "zzz", "boxes": ["<script>"], "grouped_boxes": ["x"], "ints": "2"},
    ],
)
def test_widgets_print_the_same_html_as_djangos_templates(data):
    def html(renderer) -> str:
        form = Everything(data, renderer=renderer, initial={"optional": "b", "several": ["pear"]})
        return "".join(str(form[name]) for name in form.fields)

    stock, ours = html(Jinja2()), html(JinjaFirstRenderer())
    assert "A &amp; &lt;b&gt;</option>" in stock
    assert '<optgroup label="Fruit">' in stock
    assert 'type="checkbox"' in stock
    assert 'type="radio"' in stock
    assert ours == stock
