from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, NumberRange, Optional, ValidationError

from forms.validators import at_most, iso_state


class RouteForm(FlaskForm):  # type: ignore[misc]
    """The route advisor's question; a GET form, so no CSRF token."""

    class Meta:
        csrf = False

    requesting = SelectField(
        _l("Requesting state"),
        validators=[DataRequired(_l("Choose the requesting state.")), iso_state],
        validate_choice=False,
    )
    requested = SelectField(
        _l("Requested state"),
        validators=[DataRequired(_l("Choose the requested state.")), iso_state],
        validate_choice=False,
    )
    measure = SelectMultipleField(_l("Measures"), validate_choice=True)
    urgent = BooleanField(_l("Urgent: data may be lost or a life is at risk"))
    danger_to_life = BooleanField(_l("Emergency: a person's life or physical safety is at risk"))
    provider_state = SelectField(
        _l("Country where the provider holding the data is established"),
        description=_l("Leave it empty if you do not know."),
        validators=[Optional(), iso_state],
        validate_choice=False,
    )
    provider = SelectField(
        _l("Provider holding the data"),
        description=_l("From the provider directory; leave it empty if it is not there."),
        validate_choice=False,
    )
    offence = StringField(
        _l("Offence"),
        description=_l("As the law names it, e.g. 'Fraud' or 'Bribery of a public official'."),
        validators=[Optional(), at_most(200)],
    )
    max_penalty_years = DecimalField(
        _l("Maximum penalty, in years of imprisonment"),
        validators=[
            Optional(),
            NumberRange(min=0, max=99, message=_l("Give a number of years from 0 to 99.")),
        ],
    )
    organised_group = BooleanField(_l("An organised criminal group is involved"))

    def validate_provider(self, field: SelectField) -> None:
        if field.data and field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose a provider from the list."))


class CompareForm(FlaskForm):  # type: ignore[misc]
    """Which states to put side by side, and on what; a GET form, so no CSRF token. The view
    sets the choices."""

    class Meta:
        csrf = False

    states = SelectMultipleField(_l("States"), validate_choice=False)
    region = SelectField(_l("Or every state of a region"), validate_choice=False)
    dimension = SelectField(
        _l("What to compare"),
        validators=[DataRequired(_l("Choose what to compare."))],
        validate_choice=False,
    )

    def validate_states(self, field: SelectMultipleField) -> None:
        known = {value for value, _label in field.choices}
        if set(field.data or []) - known:
            raise ValidationError(_l("Choose states from the list."))
        if len(set(field.data or [])) == 1 or (not field.data and not self.region.data):
            raise ValidationError(_l("Choose two states or more, or a region."))

    def validate_region(self, field: SelectField) -> None:
        if field.data and field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose a region from the list."))

    def validate_dimension(self, field: SelectField) -> None:
        if field.data and field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose what to compare from the list."))


class RuleReportForm(FlaskForm):  # type: ignore[misc]
    """What is wrong with a rule. The page to go back to is in the URL's ``next``, which
    the form keeps by posting to its own address."""

    comment = TextAreaField(
        _l("What is wrong with this rule?"),
        description=_l("Say what is wrong and, if you know it, the correct source."),
        render_kw={"rows": 6},
        validators=[
            DataRequired(_l("Say what is wrong with the rule.")),
            at_most(5000, _l("Keep the comment under 5000 characters.")),
        ],
    )


class ResolveReportForm(FlaskForm):  # type: ignore[misc]
    note = TextAreaField(
        _l("What was done"),
        render_kw={"rows": 4},
        validators=[
            DataRequired(_l("Say what was done about the report.")),
            at_most(5000, _l("Keep the note under 5000 characters.")),
        ],
    )


class CompareProvidersForm(FlaskForm):  # type: ignore[misc]
    """Which providers to put side by side (none: all of them), and on what; a GET form, so
    no CSRF token. The view sets the choices."""

    class Meta:
        csrf = False

    providers = SelectMultipleField(_l("Providers"), validate_choice=False)
    dimension = SelectField(
        _l("What to compare"),
        validators=[DataRequired(_l("Choose what to compare."))],
        validate_choice=False,
    )

    def validate_providers(self, field: SelectMultipleField) -> None:
        known = {value for value, _label in field.choices}
        if set(field.data or []) - known:
            raise ValidationError(_l("Choose providers from the list."))
        if len(set(field.data or [])) == 1:
            raise ValidationError(_l("Choose two providers or more, or none to see them all."))

    def validate_dimension(self, field: SelectField) -> None:
        if field.data and field.data not in {value for value, _label in field.choices}:
            raise ValidationError(_l("Choose what to compare from the list."))
