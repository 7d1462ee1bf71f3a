"""GET forms of the request list and of search. No CSRF token: they change nothing.

A value that does not fit is reported and ignored, never a reason to refuse the page:
``RequestFilterForm.problems`` lists the fields that were dropped and why.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, Field, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, ValidationError

from mlat.i18n import MEASURE_LABELS, STATUS_LABELS
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


def _select(label: Any, options: list[SelectChoice] | None = None, default: str = "") -> Any:
    """A select whose value is checked against its options (set here or by the view)."""
    return SelectField(
        label, choices=options, default=default, validate_choice=False, validators=[listed_choice]
    )


class RequestFilterForm(FlaskForm):  # type: ignore[misc]
    class Meta:
        csrf = False

    status = _select(_l("Status"), choices(("", _l("Any status")), *STATUS_LABELS.items()))
    state = _select(_l("Requested state"))
    owner = _select(_l("Owner"))
    measure = _select(_l("Measure"), choices(("", _l("Any measure")), *MEASURE_LABELS.items()))
    due = _select(
        _l("Needs attention"),
        choices(
            ("", _l("All requests")),
            ("overdue", _l("Overdue")),
            ("preservation", _l("Preservation lapsing within 14 days")),
        ),
    )
    date_field = _select(
        _l("Date"), choices(("updated", _l("Last changed")), ("created", _l("Created"))), "updated"
    )
    date_from = IsoDateField(_l("From"), default=None)
    date_to = IsoDateField(_l("To"), default=None)
    sort = _select(
        _l("Sort by"),
        choices(
            ("updated", _l("Last changed")),
            ("created", _l("Created")),
            ("reference", _l("Reference")),
            ("state", _l("Requested state")),
        ),
        "updated",
    )
    order = _select(
        _l("Order"),
        choices(("desc", _l("Descending: newest first, Z to A")),
                ("asc", _l("Ascending: oldest first, A to Z"))),
        "desc",
    )  # fmt: skip

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
            "A reference, a case number, a person's name (or its beginning), or an "
            "identifier such as an e-mail address, an IP address or a phone number."
        ),
        validators=[Length(max=500, message=_l("Use at most %(max)d characters."))],
    )
