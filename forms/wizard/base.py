"""What every wizard step form shares: the step protocol (load from the request content,
write back into it), field types with plain messages, and repeatable rows that are added
and removed on the server so that the wizard works without JavaScript."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any, ClassVar

from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (
    DateField,
    DateTimeLocalField,
    FieldList,
    FloatField,
    FormField,
    HiddenField,
    SelectMultipleField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import ValidationError

from mlat.countries import collation_key
from mlat.models import MlaRequest
from mlat.request_format import MAX_LINE, MAX_TEXT, RequestDocument
from mlat.rules.schema import StateTable

LINE, TEXT = MAX_LINE, MAX_TEXT  # the request format's limits of a line and a text


class DateInput(DateField):  # type: ignore[misc]
    """A date in the browser's date box, which shows it in the user's own format (so no
    hint of a format of ours beside it); an empty box is no date rather than an error."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not "".join(valuelist).strip():
            self.data = None
            return
        try:
            super().process_formdata([v.strip() for v in valuelist])
        except ValueError as exc:
            raise ValueError(_l("Enter a real date.")) from exc


class DateTimeInput(DateTimeLocalField):  # type: ignore[misc]
    """A local date and time; its time zone is asked for in a field of its own."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S"])
        kwargs.setdefault("render_kw", {"step": "1"})
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not "".join(valuelist).strip():
            self.data = None
            return
        try:
            super().process_formdata([v.strip() for v in valuelist])
        except ValueError as exc:
            raise ValueError(_l("Enter a real date and time.")) from exc


class NumberInput(FloatField):  # type: ignore[misc]
    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not "".join(valuelist).strip():
            self.data = None
            return
        try:
            super().process_formdata([v.strip().replace(",", ".") for v in valuelist])
        except ValueError as exc:
            raise ValueError(_l("Enter a number, for example 3 or 0.5.")) from exc


class CheckboxesField(SelectMultipleField):  # type: ignore[misc]
    """Checkboxes; unknown values are refused with a plain message."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("validate_choice", False)
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[str]) -> None:
        self.data = list(valuelist)

    def pre_validate(self, form: Any) -> None:
        known = choice_values(self.choices)
        if any(str(value) not in known for value in self.data or []):
            raise ValidationError(_l("Choose from the options shown."))


def options(pairs: Iterable[tuple[str, Any]]) -> list[SelectChoice]:
    """Choices in the form WTForms 3.3 asks for."""
    return [SelectChoice(value, label) for value, label in pairs]


def choice_values(choices: Any) -> set[str]:
    return {str(c.value if isinstance(c, SelectChoice) else c[0]) for c in choices or []}


def choice_in(choices: Iterable[tuple[str, Any]], message: Any) -> Any:
    """A validator: the value is empty or one of the choices."""

    def check(_form: Any, f: Any) -> None:
        if f.data and str(f.data) not in {str(value) for value, _label in choices}:
            raise ValidationError(message)

    return check


def language_choices(locale: str | None = None) -> list[tuple[str, str]]:
    """(code, name) of every language, named and sorted in the interface's language."""
    return list(_language_choices(locale or str(get_locale() or "en")))


@cache
def _language_choices(locale: str) -> tuple[tuple[str, str], ...]:
    names = Locale.parse(locale).languages
    pairs = [(code, name) for code, name in names.items() if len(code) == 2 and code.isalpha()]
    key = collation_key(locale)
    return tuple(sorted(pairs, key=lambda pair: key(pair[1])))


def typed(f: Any) -> bool:
    """Whether anything was typed into the field (or it holds a value when not posted)."""
    if f.raw_data is not None:
        return any(str(v).strip() for v in f.raw_data)
    return f.data not in (None, "", [], False)


def iso(value: dt.date | dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


@dataclass(frozen=True)
class StepContext:
    """What a step form needs besides its own input: the request, the unit's state and
    time zone, the requested state's rule table and the day."""

    request: MlaRequest
    unit_state: str
    unit_timezone: str
    document: RequestDocument
    table: StateTable | None
    today: dt.date
    extra: dict[str, Any] = field(default_factory=dict)


class StepForm(FlaskForm):  # type: ignore[misc]
    """A wizard step: ``initial`` fills it from the saved request, ``apply`` writes its part
    into a copy of the content. ``repeatable`` names its lists of rows."""

    version = HiddenField()
    repeatable: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def initial(cls, ctx: StepContext) -> dict[str, Any]:
        raise NotImplementedError

    def prepare(self, ctx: StepContext) -> None:
        """Set the choices that depend on the request or the rule tables."""

    def apply(self, content: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def columns(self) -> dict[str, str]:
        """Title and requested state, for the step that edits them."""
        return {}

    def conflict_notes(self, content: dict[str, Any]) -> list[str]:
        """When someone else saved the request meanwhile: what saving this input over
        their ``content`` would do beyond the input itself, for the officer to check
        before saving."""
        return []


# ------------------------------------------------------------------ repeatable rows

_ROW_KEY = re.compile(r"^(?P<name>[a-z_]+)-(?P<index>\d+)-(?P<rest>.+)$")


def without_row(formdata: Mapping[str, Any], name: str, index: int) -> MultiDict[str, str]:
    """The posted data with row ``index`` of list ``name`` taken out and the rows after it
    renumbered, so that the form re-shows every other row as it was typed."""
    out: MultiDict[str, str] = MultiDict()
    items = formdata.items(multi=True) if isinstance(formdata, MultiDict) else formdata.items()
    for key, value in items:
        match = _ROW_KEY.match(key)
        if match is None or match["name"] != name:
            out.add(key, value)
            continue
        row = int(match["index"])
        if row == index:
            continue
        out.add(f"{name}-{row - 1 if row > index else row}-{match['rest']}", value)
    return out


def parse_row_action(value: str, allowed: tuple[str, ...]) -> tuple[str, str, int] | None:
    """``add:offences`` or ``remove:offences:2`` from a row button, if it is one."""
    parts = value.split(":")
    if len(parts) == 2 and parts[0] == "add" and parts[1] in allowed:
        return "add", parts[1], -1
    if len(parts) == 3 and parts[0] == "remove" and parts[1] in allowed and parts[2].isdecimal():
        return "remove", parts[1], int(parts[2])
    return None


def flat_errors(form: Any) -> list[tuple[str, str]]:
    """Every error of a form with nested rows, as (field id, message), in page order."""
    found: list[tuple[str, str]] = []
    for f in form:
        if isinstance(f, FieldList):
            for entry in f.entries:
                if isinstance(entry, FormField):
                    found += flat_errors(entry.form)
                else:
                    found += [(entry.id, str(e)) for e in entry.errors]
        elif isinstance(f, FormField):
            found += flat_errors(f.form)
        else:
            found += [(f.id, str(e)) for e in f.errors]
    return found


def add_error(form: Any, field_id: str, message: str) -> bool:
    """Attach a message to the field with this id; False when there is none."""
    for f in form:
        if isinstance(f, FieldList):
            for entry in f.entries:
                target = entry.form if isinstance(entry, FormField) else None
                if target is not None and add_error(target, field_id, message):
                    return True
        elif isinstance(f, FormField):
            if add_error(f.form, field_id, message):
                return True
        elif f.id == field_id:
            f.errors = [*f.errors, message]
            return True
    return False
