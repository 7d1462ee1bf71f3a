"""Step 4: persons and identifiers, repeatable rows; every value is checked for form."""

from __future__ import annotations

import copy
import datetime as dt
import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import FieldList, Form, FormField, HiddenField, SelectField, StringField
from wtforms.validators import ValidationError

from forms.states import StateSelect
from forms.validators import at_most, iso_state
from forms.wizard.base import (
    LINE,
    DateInput,
    DateTimeInput,
    StepContext,
    StepForm,
    choice_in,
    options,
    typed,
)
from mlat.content import identifier_key, identifier_keys, identifier_positions
from mlat.countries import is_timezone, state_choices
from mlat.i18n import current_language
from mlat.labels import IDENTIFIER_LABELS, PERSON_ROLE_LABELS
from mlat.request_format import EARLIEST_USE, LATEST_USE, MAX_IDENTIFIERS, MAX_PERSONS
from mlat.rules.checks.common import DOMAIN_NAME

ROLES = [*((key, _l(text)) for key, text in PERSON_ROLE_LABELS.items())]
IDENTIFIER_KINDS = [*((key, _l(text)) for key, text in IDENTIFIER_LABELS.items())]
_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.I)
_PHONE = re.compile(r"^\+?[\d\s().-]+$")


def parse_zone(text: str) -> dt.tzinfo | None:
    """An IANA time zone name or a UTC offset such as +03:00; None when it is neither."""
    text = text.strip()
    if text.upper() in ("Z", "UTC", "GMT"):
        return dt.UTC
    if is_timezone(text):
        return ZoneInfo(text)
    match = _OFFSET.match(text)
    if match is None:
        return None
    sign, hours, minutes = match[1], int(match[2]), int(match[3] or 0)
    if hours > 14 or minutes > 59:
        return None
    delta = dt.timedelta(hours=hours, minutes=minutes)
    return dt.timezone(-delta if sign == "-" else delta)


def offset_text(value: dt.datetime) -> str:
    raw = value.strftime("%z")  # +0300
    return f"{raw[:3]}:{raw[3:5]}" if raw else ""


class PersonRow(Form):  # type: ignore[misc]
    today: dt.date | None = None  # the unit's date, set by ``PersonsForm.prepare``

    role = SelectField(
        _l("Role"),
        choices=options(ROLES),
        validate_choice=False,
        validators=[choice_in(ROLES, _l("Choose a role from the list."))],
    )
    name = StringField(_l("Full name or company name"), validators=[at_most(LINE)])
    date_of_birth = DateInput(_l("Date of birth"))
    nationality = SelectField(
        _l("Nationality"), validators=[iso_state], validate_choice=False, widget=StateSelect()
    )
    address = StringField(_l("Last known address"), validators=[at_most(LINE)])
    identity_documents = StringField(
        _l("Identity documents"),
        description=_l("Kind and number, e.g. passport P1234567 (Qatar)."),
        validators=[at_most(LINE)],
    )

    def is_blank(self) -> bool:
        fields = (self.name, self.date_of_birth, self.nationality, self.address,
                  self.identity_documents)  # fmt: skip
        return not any(typed(f) for f in fields)

    def validate_name(self, field: Any) -> None:
        if not (field.data or "").strip() and not self.is_blank():
            raise ValidationError(_l("Give the person's name, or remove this row."))

    def validate_date_of_birth(self, field: Any) -> None:
        if field.data and self.today is not None and field.data > self.today:
            raise ValidationError(_l("The date of birth is in the future."))


class IdentifierRow(Form):  # type: ignore[misc]
    # The fingerprint of the identifier the row was loaded from (mlat.content.identifier_key),
    # to keep the measures' links to it; empty for a row added on the page.
    origin = HiddenField()
    kind = SelectField(
        _l("Kind"),
        choices=options(IDENTIFIER_KINDS),
        validate_choice=False,
        validators=[choice_in(IDENTIFIER_KINDS, _l("Choose a kind from the list."))],
    )
    value = StringField(_l("Exact value"), validators=[at_most(LINE)])
    observed_at = DateTimeInput(
        _l("Date and time it was used"),
        description=_l("Needed for IP addresses: the exact time, to the second."),
    )
    observed_tz = StringField(
        _l("Time zone of that time"),
        description=_l("An IANA name such as Asia/Qatar, or an offset such as +03:00."),
        validators=[at_most(64)],
    )
    provider = StringField(
        _l("Service provider holding the data"),
        description=_l("Choose it from the provider directory, or type another."),
        validators=[at_most(LINE)],
        render_kw={"list": "directory-providers", "autocomplete": "off"},
    )
    provider_state = SelectField(
        _l("Country where that provider is established"),
        description=_l("The route advisor offers orders to providers only where they are."),
        validators=[iso_state],
        validate_choice=False,
        widget=StateSelect(),
    )

    def is_blank(self) -> bool:
        fields = (self.value, self.observed_at, self.observed_tz, self.provider)
        return not any(typed(f) for f in (*fields, self.provider_state))

    def validate_value(self, field: Any) -> None:
        value = (field.data or "").strip()
        if not value:
            if not self.is_blank():
                raise ValidationError(_l("Enter the identifier's exact value, or remove this row."))
            return
        kind = self.kind.data
        if kind == "ip":
            try:
                ipaddress.ip_address(value)
            except ValueError:
                raise ValidationError(
                    _l("Enter an IP address such as 198.51.100.23 or 2001:db8::1.")
                ) from None
        elif kind == "email":
            try:
                validate_email(value, check_deliverability=False)
            except EmailNotValidError:
                raise ValidationError(
                    _l("Enter an e-mail address such as name@example.org.")
                ) from None
        elif kind == "domain" and not DOMAIN_NAME.match(value):
            raise ValidationError(_l("Enter a domain name such as example.com."))
        elif kind == "url":
            parts = urlsplit(value)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise ValidationError(_l("Enter a full web address starting with https://."))
        elif kind == "phone" and (not _PHONE.match(value) or sum(c.isdigit() for c in value) < 5):
            raise ValidationError(
                _l("Enter a phone number with its country code, e.g. +974 4000 0000.")
            )

    def validate_observed_at(self, field: Any) -> None:
        seen = field.data
        if seen is not None and not EARLIEST_USE.year <= seen.year <= LATEST_USE.year:
            raise ValidationError(
                _l(
                    "Enter the real date and time of use, between %(first)d and %(last)d.",
                    first=EARLIEST_USE.year,
                    last=LATEST_USE.year,
                )
            )
        given = (self.value.data or "").strip()
        if self.kind.data == "ip" and given and field.data is None and not field.process_errors:
            raise ValidationError(
                _l(
                    "Give the date and time the IP address was used: without it the "
                    "provider cannot tell who used it."
                )
            )

    def validate_observed_tz(self, field: Any) -> None:
        text = (field.data or "").strip()
        if text and parse_zone(text) is None:
            raise ValidationError(
                _l("Enter a time zone name such as Asia/Qatar or an offset such as +03:00.")
            )
        if not text and self.observed_at.data is not None:
            raise ValidationError(_l("Give the time zone of this time, e.g. Asia/Qatar or +03:00."))

    def observed_at_iso(self) -> str | None:
        zone = parse_zone(self.observed_tz.data or "")
        if self.observed_at.data is None or zone is None:
            return None
        return str(self.observed_at.data.replace(tzinfo=zone).isoformat())


class PersonsForm(StepForm):
    persons = FieldList(FormField(PersonRow), min_entries=1, max_entries=MAX_PERSONS)
    identifiers = FieldList(FormField(IdentifierRow), min_entries=1, max_entries=MAX_IDENTIFIERS)
    repeatable = ("persons", "identifiers")

    @classmethod
    def initial(cls, ctx: StepContext) -> dict[str, Any]:
        identifiers = []
        for ident in ctx.document.identifiers:
            seen = ident.observed_at
            identifiers.append(
                {
                    "origin": identifier_key(ident.kind, ident.value, seen),
                    "kind": ident.kind,
                    "value": ident.value,
                    "observed_at": seen.replace(tzinfo=None) if seen else None,
                    "observed_tz": offset_text(seen) if seen else "",
                    "provider": ident.provider,
                    "provider_state": ident.provider_state or "",
                }
            )
        persons = [
            {**p.model_dump(), "nationality": p.nationality or ""} for p in ctx.document.persons
        ]
        return {"persons": persons, "identifiers": identifiers}

    def prepare(self, ctx: StepContext) -> None:
        states = [("", _l("Not known")), *state_choices(current_language())]
        for row in self.persons:
            row.form.nationality.choices = states
            row.form.today = ctx.today
        for row in self.identifiers:
            row.form.provider_state.choices = states

    def apply(self, content: dict[str, Any]) -> dict[str, Any]:
        out = copy.deepcopy(content)
        out["persons"] = [
            {
                "role": row.form.role.data,
                "name": (row.form.name.data or "").strip(),
                "date_of_birth": row.form.date_of_birth.data.isoformat()
                if row.form.date_of_birth.data
                else None,
                "nationality": (row.form.nationality.data or "").upper() or None,
                "address": (row.form.address.data or "").strip(),
                "identity_documents": (row.form.identity_documents.data or "").strip(),
            }
            for row in self.persons
            if not row.form.is_blank()
        ]
        kept = [row.form for row in self.identifiers if not row.form.is_blank()]
        out["identifiers"] = [
            {
                "kind": row.kind.data,
                "value": (row.value.data or "").strip(),
                "observed_at": row.observed_at_iso(),
                "provider": (row.provider.data or "").strip(),
                "provider_state": (row.provider_state.data or "").upper() or None,
            }
            for row in kept
        ]
        out["measures"] = _relink(content, kept)
        return out

    def conflict_notes(self, content: dict[str, Any]) -> list[str]:
        """What saving the rows over someone else's newer content does to the
        measures' links: rows whose identifier was changed or removed meanwhile lose
        their links, and saved identifiers missing from the rows go with theirs."""
        current = identifier_positions(content.get("identifiers"))
        notes, origins = [], set()
        for row in (row.form for row in self.identifiers if not row.form.is_blank()):
            origin = (row.origin.data or "").strip()
            origins.add(origin)
            if origin and origin not in current:
                notes.append(
                    _(
                        "Someone else changed or removed the identifier %(value)s after you "
                        "opened this page. If you save your input, no measure will be linked "
                        "to it: check the measures in step 5.",
                        value=(row.value.data or "").strip() or "?",
                    )
                )
        saved = content.get("identifiers")
        saved = saved if isinstance(saved, list) else []
        missing = [
            str(ident.get("value") or "?")
            for ident, key in zip(saved, identifier_keys(saved), strict=True)
            if isinstance(ident, dict) and key not in origins
        ]
        if missing:
            notes.append(
                _(
                    "Saving your input removes these identifiers, which are not in it, and "
                    "their links to measures: %(values)s.",
                    values=", ".join(dict.fromkeys(missing)),
                )
            )
        return notes


def _relink(content: dict[str, Any], kept: list[IdentifierRow]) -> list[Any]:
    """The measures with their links to identifiers renumbered after rows were removed or
    reordered. Each row names the identifier it was loaded from by its fingerprint, so
    the links follow the identifiers themselves, also when someone else reordered them
    meanwhile. Links to identifiers no row was loaded from are dropped: rows removed, and
    identifiers someone else changed or removed after the page was loaded."""
    row_of: dict[str, int] = {}
    for new_index, row in enumerate(kept):
        origin = (row.origin.data or "").strip()
        if origin:
            row_of.setdefault(origin, new_index)  # identical identifiers: the first row
    moved = {
        position: row_of[key]
        for position, key in enumerate(identifier_keys(content.get("identifiers")))
        if key is not None and key in row_of
    }
    measures = copy.deepcopy(content.get("measures") or [])
    for measure in measures:
        if isinstance(measure, dict) and isinstance(measure.get("identifiers"), list):
            refs = [r for r in measure["identifiers"] if isinstance(r, int)]
            measure["identifiers"] = list(dict.fromkeys(moved[r] for r in refs if r in moved))
    return list(measures)
