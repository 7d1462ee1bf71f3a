from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo

from forms.validators import at_most, new_password


class LoginForm(FlaskForm):  # type: ignore[misc]
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(_l("Enter your e-mail address.")), at_most(254)],
    )
    password = PasswordField(
        _l("Password"), validators=[DataRequired(_l("Enter your password.")), at_most(1024)]
    )


class CodeForm(FlaskForm):  # type: ignore[misc]
    code = StringField(
        _l("Code from your authenticator app"),
        description=_l("The 6-digit code your app shows now."),
        validators=[DataRequired(_l("Enter the code.")), at_most(10)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class LoginCodeForm(FlaskForm):  # type: ignore[misc]
    code = StringField(
        _l("Code from your authenticator app"),
        description=_l(
            "The 6-digit code your app shows now. Without your phone, enter one of your "
            "recovery codes."
        ),
        validators=[DataRequired(_l("Enter the code.")), at_most(40)],
        render_kw={"autocomplete": "one-time-code", "autocapitalize": "characters"},
    )


class ReauthenticationForm(FlaskForm):  # type: ignore[misc]
    """The user's own password and a fresh code, before a grave step."""

    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(_l("Enter your password.")), at_most(1024)],
        render_kw={"autocomplete": "current-password"},
    )
    code = StringField(
        _l("Code from your authenticator app"),
        description=_l("The 6-digit code your app shows now."),
        validators=[DataRequired(_l("Enter the code.")), at_most(10)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class PasswordChangeForm(FlaskForm):  # type: ignore[misc]
    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password.")), at_most(1024)],
        render_kw={"autocomplete": "current-password"},
    )
    new = PasswordField(
        _l("New password"),
        description=_l(
            "At least 12 characters; a few unrelated words make a strong one. "
            "Commonly used passwords are refused."
        ),
        validators=[DataRequired(_l("Enter a new password.")), new_password],
        render_kw={"autocomplete": "new-password"},
    )
    repeat = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(_l("Enter the new password again.")),
            EqualTo("new", _l("The two new passwords differ. Enter the same one twice.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
