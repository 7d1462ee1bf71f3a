"""Selects of every state: about 250 options, made once per language rather than for
every select on every page (a wizard step with six such selects spent most of its time
escaping them)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup
from wtforms import Field
from wtforms.widgets import html_params

from forms.filters import choices, mark_selected, options_html
from mlat.countries import may_be_requested, state_choices
from mlat.i18n import current_language
from mlat.rules.loader import rulebook


@lru_cache(maxsize=64)
def state_options(first_label: str, locale: str) -> Markup:
    """The ``<option>``s of an empty choice labelled ``first_label``, then every state
    by its name in ``locale``, in that language's order; none selected."""
    return options_html(choices(("", first_label), *state_choices(locale)))


class StateSelect:
    """The widget of a select of every state after an empty choice (the field's first
    choice gives its label): the field's value is marked selected in the options made for
    the page's language."""

    def __call__(self, field: Field, **kwargs: Any) -> Markup:
        return _select(field, state_options(_first(field), current_language()), **kwargs)


@lru_cache(maxsize=64)
def requested_state_options(
    first_label: str, with_table: str, without_table: str, locale: str, own: str
) -> Markup:
    """The ``<option>``s of the states a request can go to, but ``own``: an empty choice,
    then the states with a rule table and those without, each group in the language's order."""
    tabled = set(rulebook().states)
    states = [(code, name) for code, name in state_choices(locale)
              if may_be_requested(code) and code != own]  # fmt: skip
    groups = (
        (with_table, [s for s in states if s[0] in tabled]),
        (without_table, [s for s in states if s[0] not in tabled]),
    )
    return options_html(choices(("", first_label))) + Markup("").join(
        Markup('<optgroup label="{}">{}</optgroup>').format(label, options_html(choices(*group)))
        for label, group in groups
    )


class RequestedStateSelect:
    """The widget of the requested state: the states a request can go to, those with a rule
    table first, never the unit's own state (the field's ``own_state``, set by the form)."""

    def __call__(self, field: Field, **kwargs: Any) -> Markup:
        options = requested_state_options(
            _first(field),
            _("States with a rule table"),
            _("No rule table: checks limited to the treaty and the format"),
            current_language(),
            getattr(field, "own_state", ""),
        )
        return _select(field, options, **kwargs)


def _first(field: Field) -> str:
    """The label of the field's first, empty choice ("Choose a state")."""
    return str(field.choices[0][1]) if field.choices else ""


def _select(field: Field, options: Markup, **kwargs: Any) -> Markup:
    """The ``<select>`` of ``options``, with the field's value selected."""
    kwargs.setdefault("id", field.id)
    if "required" not in kwargs and "required" in getattr(field, "flags", []):
        kwargs["required"] = True
    return Markup("<select {}>{}</select>").format(
        Markup(html_params(name=field.name, **kwargs)), mark_selected(options, field.data)
    )
