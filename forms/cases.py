"""Cases: opening one, putting requests in it, drafting a new request from it, sharing
it with partner units, and recording its joint investigation team."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from forms.filters import IsoDateField
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


class PartnerForm(FlaskForm):  # type: ignore[misc]
    """Share the case with another unit, or change or end what it may do."""

    unit_id = IntegerField(
        _l("Unit"),
        validators=[DataRequired(_l("Choose a unit.")), NumberRange(min=1, max=MAX_ID)],
    )
    may_draft = BooleanField(
        _l("Its officers may draft their own requests in the case"),
        description=_l(
            "Its members always read the case and its requests. Requests it drafts are its "
            "own: its reviewers and prosecutors approve and sign them."
        ),
    )


class TeamForm(FlaskForm):  # type: ignore[misc]
    """The case's joint investigation team, as its agreement sets it up."""

    name = StringField(
        _l("Name of the team"),
        description=_l("As the agreement names it."),
        validators=[DataRequired(_l("Enter the team's name.")), at_most(200)],
    )
    framework = SelectField(
        _l("Legal framework of the agreement"),
        validators=[DataRequired(_l("Choose the framework the agreement rests on."))],
        validate_choice=False,
    )
    members = SelectMultipleField(
        _l("The other member states"),
        description=_l("Hold Ctrl (or Cmd) to choose more than one."),
        validators=[DataRequired(_l("Choose the team's other member states."))],
        validate_choice=False,
    )
    signed_on = IsoDateField(_l("Signed on"), validators=[Optional()])
    starts_on = IsoDateField(
        _l("The agreement applies from"),
        validators=[InputRequired(_l("Enter the first day of the agreement's period."))],
    )
    ends_on = IsoDateField(
        _l("The agreement applies until"),
        description=_l("The last day of its period, as extended."),
        validators=[InputRequired(_l("Enter the last day of the agreement's period."))],
    )
    scope = TextAreaField(
        _l("Purpose of the team"),
        description=_l("The investigation the agreement covers, as it words it."),
        validators=[Optional(), at_most(5000)],
    )
    measures = ItemsField(
        _l("Measures the agreement covers"),
        description=_l("Tick none if it covers any investigative measure."),
        validate_choice=False,
    )
    agreement = FileField(
        _l("The signed agreement (PDF)"),
        description=_l("Optional; a new file replaces the one on record."),
    )
