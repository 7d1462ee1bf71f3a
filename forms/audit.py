"""The filters of the administrators' audit log page (a GET form: no CSRF token, since it
changes nothing). The CSV export takes the same filters."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, Field, IntegerField, StringField
from wtforms.validators import Email, NumberRange, Optional, ValidationError

from forms.validators import at_most
from mlat.models import MAX_ID


class AuditFilterForm(FlaskForm):  # type: ignore[misc]
    class Meta:
        csrf = False

    user = StringField(
        _l("User's e-mail address"),
        validators=[Optional(), at_most(254), Email(_l("Enter an e-mail address."))],
    )
    action = StringField(
        _l("Action"),
        description=_l("Or its beginning, e.g. request."),
        validators=[Optional(), at_most(48)],
    )
    object_type = StringField(
        _l("Object type"),
        description=_l("e.g. request"),
        validators=[Optional(), at_most(32)],
    )
    object_id = StringField(_l("Object"), validators=[Optional(), at_most(64)])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])
    before_seq = IntegerField(validators=[Optional(), NumberRange(min=1, max=MAX_ID)])

    def validate_date_to(self, field: Field) -> None:
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))

    def query_args(self) -> dict[str, Any]:
        """The filters as given, to repeat in the paging and export links."""
        return {
            f.name: f.data.isoformat() if hasattr(f.data, "isoformat") else f.data
            for f in self
            if f.name != "before_seq" and f.data not in (None, "")
        }
