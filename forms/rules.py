from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, SelectMultipleField
from wtforms.validators import DataRequired

from forms.validators import iso_state


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
