from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired

from forms.states import RequestedStateSelect
from forms.validators import at_most, requested_state


class RequestForm(FlaskForm):  # type: ignore[misc]
    title = StringField(
        _l("Title"),
        description=_l("A short name for the case, e.g. 'Ransomware attack on Doha hospital'."),
        validators=[DataRequired(_l("Enter a title.")), at_most(200)],
    )
    requested_state = SelectField(
        _l("Requested state"),
        description=_l("The state that holds the evidence."),
        validators=[DataRequired(_l("Choose the requested state.")), requested_state],
        validate_choice=False,
        widget=RequestedStateSelect(),
    )
    own_state = ""  # the unit's state, which is never the requested state
    version = HiddenField()
