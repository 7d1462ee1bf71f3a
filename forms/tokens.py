"""Making and revoking one's API tokens (``mlat.services.api_tokens``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectMultipleField,
    StringField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, NumberRange, Optional

from forms.validators import at_most
from mlat.models import MAX_ID

SCOPE_LABELS = {
    "read": _l("read: read requests, findings, advice, packets, annexes and the rule tables"),
    "write": _l("write: create and change requests, upload annexes, prepare packets"),
    "workflow": _l("workflow: submit, approve, return, sign, record transmission and the rest"),
}


class ScopesField(SelectMultipleField):  # type: ignore[misc]
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class TokenForm(FlaskForm):  # type: ignore[misc]
    name = StringField(
        _l("Name"),
        description=_l("What the token is for, e.g. the case-management system's name."),
        validators=[DataRequired(_l("Give the token a name.")), at_most(100)],
    )
    scopes = ScopesField(
        _l("What it may do"),
        choices=[SelectChoice(key, text) for key, text in SCOPE_LABELS.items()],
        validators=[DataRequired(_l("Choose at least one."))],
    )
    expires_on = DateField(
        _l("Expires after"),
        description=_l("YYYY-MM-DD; at most a year ahead. The token stops working after it."),
        validators=[DataRequired(_l("Enter the date as YYYY-MM-DD, e.g. 2026-03-31."))],
    )
    allowed_addrs = StringField(
        _l("Allowed client addresses (optional)"),
        description=_l(
            "IP addresses or networks, separated by spaces, e.g. 192.0.2.10 198.51.100.0/24. "
            "Empty: any address."
        ),
        validators=[Optional(), at_most(2000)],
    )
    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(_l("Enter your password.")), at_most(1024)],
        render_kw={"autocomplete": "current-password"},
    )
    code = StringField(
        _l("Code from your authenticator app"),
        description=_l("The 6-digit code your app shows now."),
        validators=[Optional(), at_most(10)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
    once = HiddenField(validators=[Optional(), at_most(64)])
    """names this copy of the form, so that sending it again (a reload) makes no second token"""


class RevokeTokenForm(FlaskForm):  # type: ignore[misc]
    """Which of the user's tokens to revoke; the button says which by its name."""

    token_id = IntegerField(validators=[DataRequired(), NumberRange(min=1, max=MAX_ID)])
