"""Partner units' access to an evidence item, its retention and its destruction
(``mlat.views.evidence_keeping``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, StringField
from wtforms.validators import DataRequired, InputRequired

from forms.filters import IsoDateField
from forms.validators import at_most


class AccessForm(FlaskForm):  # type: ignore[misc]
    unit = IntegerField(validators=[InputRequired()])
    grant = HiddenField(validators=[DataRequired()])
    reason = StringField(
        _l("Why"),
        validators=[DataRequired(_l("Say why: it goes into the chain of custody.")), at_most(2000)],
    )


class RetentionForm(FlaskForm):  # type: ignore[misc]
    until = IsoDateField(
        _l("Keep until"),
        validators=[InputRequired(_l("Enter the day it must be kept until."))],
    )
    reason = StringField(
        _l("Why"),
        description=_l("The law, the case or the court's order that sets it."),
        validators=[DataRequired(_l("Say why it is kept that long.")), at_most(2000)],
    )


class ReasonForm(FlaskForm):  # type: ignore[misc]
    reason = StringField(
        _l("Why"),
        validators=[DataRequired(_l("Say why: it goes into the chain of custody.")), at_most(2000)],
    )
