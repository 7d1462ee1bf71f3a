from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):  # type: ignore[misc]
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(_l("Enter your e-mail address.")), Length(max=254)],
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Enter your password.")), Length(max=1024)]
    )


class CodeForm(FlaskForm):  # type: ignore[misc]
    code = StringField(
        _l("Code from your authenticator app"),
        description=_l("The 6-digit code your app shows now."),
        validators=[DataRequired(_l("Enter the code.")), Length(max=10)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )
