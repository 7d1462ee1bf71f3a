"""Cases: opening one, putting requests in it, and drafting a new request from it."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, NumberRange, Optional

from forms.states import RequestedStateSelect
from forms.validators import at_most, requested_state
from mlat.models import MAX_ID


class CaseForm(FlaskForm):  # type: ignore[misc]
    title = StringField(
        _l("Title"),
        description=_l("What the investigation is about, e.g. 'Ransomware at the port authority'."),
        validators=[DataRequired(_l("Enter a title.")), at_most(200)],
    )
    case_number = StringField(
        _l("Case number"),
        description=_l("The unit's own number for the case; new requests drafted from it take it."),
        validators=[Optional(), at_most(100)],
    )
    offences = TextAreaField(
        _l("Offences"),
        description=_l("The offences under investigation, as you would name them."),
        validators=[Optional(), at_most(5000)],
    )
    lead_officer = SelectField(_l("Lead officer"), validate_choice=False, default="")


class RequestChoiceForm(FlaskForm):  # type: ignore[misc]
    """One of the unit's requests, to put in the case or take out of it."""

    request_id = IntegerField(
        _l("Request"),
        validators=[DataRequired(_l("Choose a request.")), NumberRange(min=1, max=MAX_ID)],
    )


class ItemsField(SelectMultipleField):  # type: ignore[misc]
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


CARRIED_LABELS = {
    "offences": _l("Offences"),
    "facts": _l("Summary of the facts"),
    "nexus": _l("Why the evidence is needed (nexus)"),
    "persons": _l("Persons, those ticked below"),
    "identifiers": _l("Identifiers, those ticked below"),
}


class DraftFromCaseForm(FlaskForm):  # type: ignore[misc]
    title = StringField(
        _l("Title"),
        validators=[DataRequired(_l("Enter a title.")), at_most(200)],
    )
    requested_state = SelectField(
        _l("Requested state"),
        description=_l("The state that holds the evidence."),
        validators=[DataRequired(_l("Choose the requested state.")), requested_state],
        validate_choice=False,
        widget=RequestedStateSelect(),
    )
    own_state = ""
    source = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    parts = ItemsField(
        _l("Carry over from that request"),
        choices=[SelectChoice(k, v) for k, v in CARRIED_LABELS.items()],
        validate_choice=False,
    )
    persons = ItemsField(_l("Persons"), coerce=int, validate_choice=False)
    identifiers = ItemsField(_l("Identifiers"), coerce=int, validate_choice=False)
