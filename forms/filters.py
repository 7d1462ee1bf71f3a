"""GET forms of the request list and of search. No CSRF token: they change nothing.

A value that does not fit is reported and ignored, never a reason to refuse the page:
``RequestFilterForm.problems`` lists the fields that were dropped and why.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import DateField, Field, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from forms.validators import at_most
from mlat.countries import state_choices
from mlat.labels import MEASURE_LABELS, STATUS_LABELS
from mlat.models import RequestStatus
from mlat.services.listing import ListFilters, day_bounds


def listed_choice(_form: Any, field: Field) -> None:
    if field.data not in {choice.value for choice in field.choices}:
        raise ValidationError(_l("Choose one of the listed options."))


def choices(*pairs: tuple[str, Any]) -> list[SelectChoice]:
    """Options of a select, first the one that means "any"."""
    return [SelectChoice(value, label) for value, label in pairs]


class IsoDateField(DateField):  # type: ignore[misc]
    """A date as YYYY-MM-DD, with a message that says so."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            super().process_formdata(valuelist)
        except ValueError:
            self.data = None
            raise ValueError(_l("Enter the date as YYYY-MM-DD, e.g. 2026-03-31.")) from None


def options_html(options: Iterable[SelectChoice]) -> Markup:
    """``<option>`` elements, none selected, escaped as the templates escape."""
    return Markup("").join(
        Markup('<option value="{}">{}</option>').format(c.value, c.label) for c in options
    )


def mark_selected(options: Markup, value: object) -> Markup:
    """``options`` with the one whose value is ``value`` selected (none if it is not there)."""
    value = "" if value is None else value
    plain = Markup('<option value="{}">').format(value)
    return Markup(options.replace(plain, Markup('<option value="{}" selected>').format(value), 1))


@lru_cache(maxsize=32)
def state_filter_options(any_label: str, locale: str) -> tuple[tuple[SelectChoice, ...], Markup]:
    """The state filter's choices and their options, made once per locale and label for
    "any state" rather than on every page (about 250)."""
    options = tuple(choices(("", any_label), *state_choices(locale)))
    return options, options_html(options)


def _select(label: Any, options: list[SelectChoice] | None = None, default: str = "") -> Any:
    """A select whose value is checked against its options (set here or by the view)."""
    return SelectField(
        label, choices=options, default=default, validate_choice=False, validators=[listed_choice]
    )


FIXED_CHOICES = {  # the filters whose options do not depend on the unit
    "status": choices(("", _l("Any status")), *((k, _l(v)) for k, v in STATUS_LABELS.items())),
    "measure": choices(("", _l("Any measure")), *((k, _l(v)) for k, v in MEASURE_LABELS.items())),
    "due": choices(
        ("", _l("All requests")),
        ("overdue", _l("Overdue")),
        ("preservation", _l("Preservation lapsing within 14 days")),
    ),
    "date_field": choices(("updated", _l("Last changed")), ("created", _l("Created"))),
    "sort": choices(
        ("updated", _l("Last changed")),
        ("created", _l("Created")),
        ("reference", _l("Reference")),
        ("state", _l("Requested state")),
    ),
    "order": choices(
        ("desc", _l("Descending: newest first, Z to A")),
        ("asc", _l("Ascending: oldest first, A to Z")),
    ),
}


@lru_cache(maxsize=64)
def fixed_options(name: str, locale: str) -> Markup:
    """The options of one of ``FIXED_CHOICES``, their labels translated into ``locale``
    (the current request's locale, in which they are made)."""
    return options_html(FIXED_CHOICES[name])


class RequestFilterForm(FlaskForm):  # type: ignore[misc]
    class Meta:
        csrf = False

    status = _select(_l("Status"), FIXED_CHOICES["status"])
    state = _select(_l("Requested state"))
    owner = _select(_l("Owner"))
    measure = _select(_l("Measure"), FIXED_CHOICES["measure"])
    due = _select(_l("Needs attention"), FIXED_CHOICES["due"])
    date_field = _select(_l("Date"), FIXED_CHOICES["date_field"], "updated")
    date_from = IsoDateField(_l("From"), default=None)
    date_to = IsoDateField(_l("To"), default=None)
    sort = _select(_l("Sort by"), FIXED_CHOICES["sort"], "updated")
    order = _select(_l("Order"), FIXED_CHOICES["order"], "desc")

    _state_options: Markup | None = None

    def set_states(self, any_label: str, locale: str = "en") -> None:
        """Offer every state (after ``any_label``) in the state filter."""
        self.state.choices, self._state_options = state_filter_options(any_label, locale)

    def options(self, field: Field) -> Markup:
        """The ``<option>`` elements of one of the selects, the chosen one selected. The
        fixed filters' and the states' are made once per locale, not on every page."""
        if field.name in FIXED_CHOICES:
            made = fixed_options(field.name, str(get_locale()))
        elif field.name == "state" and self._state_options is not None:
            made = self._state_options
        else:
            made = options_html(field.choices)
        return mark_selected(made, field.data)

    def validate_date_to(self, field: Field) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))

    def problems(self) -> list[tuple[str, str]]:
        """(field label, message) for every value that was dropped."""
        return [
            (str(self[name].label.text), str(message))
            for name, messages in self.errors.items()
            for message in messages
        ]

    def clean(self, name: str) -> Any:
        """The field's value, or its default when it did not validate."""
        field = self[name]
        return field.default if field.errors else field.data

    def query_args(self) -> dict[str, str]:
        """The valid values that differ from the defaults, to repeat in page links."""
        args = {}
        for field in self:
            value = self.clean(field.name)
            if value not in (None, "", field.default):
                args[field.name] = value.isoformat() if isinstance(value, dt.date) else value
        return args

    def list_filters(self, *, timezone: str) -> ListFilters:
        """The filters for ``mlat.services.listing``, with dates as the unit's whole days."""
        status, owner = self.clean("status"), self.clean("owner")
        since, until = day_bounds(self.clean("date_from"), self.clean("date_to"), timezone)
        return ListFilters(
            status=RequestStatus(status) if status else None,
            requested_state=self.clean("state") or None,
            owner_id=int(owner) if owner else None,
            measure=self.clean("measure") or None,
            due=self.clean("due") or None,
            date_field=self.clean("date_field"),
            since=since,
            until=until,
            sort=self.clean("sort"),
            descending=self.clean("order") != "asc",
        )


class SearchForm(FlaskForm):  # type: ignore[misc]
    class Meta:
        csrf = False

    q = StringField(
        _l("Search"),
        description=_l(
            "Any words you remember: part of a name, a reference or case number, words of "
            "the facts, an offence, a provider, or an identifier such as an e-mail address, "
            "a domain, an IP address or a phone number. Put words in quotes to find them "
            "in that order."
        ),
        validators=[at_most(500)],
    )
