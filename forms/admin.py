from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    widgets,
)
from wtforms.validators import DataRequired, Email, InputRequired, Optional, Regexp

from forms.validators import at_most, iana_timezone, iso_state, new_password
from mlat.models import Role

ROLE_LABELS = {
    Role.officer: _l("Officer: drafts requests"),
    Role.reviewer: _l("Reviewer: approves or returns requests"),
    Role.prosecutor: _l("Prosecutor: signs and downloads packets"),
    Role.admin: _l("Administrator of the unit: manages the unit's users and settings"),
    Role.installation_admin: _l(
        "Installation administrator: creates units, manages every unit's users and settings"
    ),
}


class RolesField(SelectMultipleField):  # type: ignore[misc]
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _role_choices() -> list[tuple[str, str]]:
    return [(role.value, str(label)) for role, label in ROLE_LABELS.items()]


class UserEditForm(FlaskForm):  # type: ignore[misc]
    name = StringField(
        _l("Full name"), validators=[DataRequired(_l("Enter the user's name.")), at_most(200)]
    )
    # The choices offered are the units the administrator manages; another unit's id is
    # refused by the service (``check_access``), which records the refusal.
    unit_id = SelectField(
        _l("Unit"), coerce=int, validate_choice=False,
        validators=[InputRequired(_l("Choose a unit."))],
    )  # fmt: skip
    # Every role parses; the page offers those the administrator may give, and the
    # service refuses the others.
    roles = RolesField(_l("Roles"), choices=_role_choices)
    active = BooleanField(_l("Active (may log in)"), default=True)


class UserCreateForm(UserEditForm):
    email = EmailField(
        _l("E-mail address"),
        validators=[
            DataRequired(_l("Enter the user's e-mail address.")),
            Email(_l("Enter a valid e-mail address."), check_deliverability=False),
            at_most(254),
        ],
    )
    password = PasswordField(
        _l("Initial password"),
        description=_l(
            "At least 12 characters. The user must choose their own when they first log in."
        ),
        validators=[DataRequired(_l("Enter a password.")), new_password],
    )


class UnitSettingsForm(FlaskForm):  # type: ignore[misc]
    """How a unit works, which an administrator of the unit may change."""

    separate_duties = BooleanField(
        _l("Keep duties apart"),
        description=_l(
            "Who approved a request, drafted it or changed it cannot sign it, even when one "
            "person holds several roles. Nobody approves what they drafted or changed, "
            "whatever this setting."
        ),
        default=True,
    )


class UnitForm(UnitSettingsForm):
    """A new unit: its name, reference prefix, state and time zone, and its settings."""

    name = StringField(
        _l("Name"),
        description=_l("e.g. Cybercrime Unit, Doha"),
        validators=[DataRequired(_l("Enter the unit's name.")), at_most(200)],
    )
    code = StringField(
        _l("Reference prefix"),
        description=_l("2 to 8 capital letters, used in reference numbers such as DOH-2026-0007."),
        validators=[
            DataRequired(_l("Enter a reference prefix.")),
            Regexp(r"^[A-Za-z]{2,8}$", message=_l("Use 2 to 8 letters.")),
        ],
    )
    state = SelectField(
        _l("State"),
        validators=[DataRequired(_l("Choose the unit's state.")), iso_state],
        validate_choice=False,
    )
    timezone = StringField(
        _l("Time zone"),
        description=_l("IANA name, e.g. Asia/Qatar"),
        validators=[DataRequired(_l("Enter a time zone.")), iana_timezone],
    )


def _own_password(field_id: str) -> PasswordField:
    return PasswordField(
        _l("Your own password"),
        description=_l("To confirm that it is you who makes this change."),
        validators=[DataRequired(_l("Enter your own password.")), at_most(1024)],
        render_kw={"autocomplete": "current-password"},
        id=field_id,
    )


def _own_code(field_id: str) -> StringField:
    return StringField(
        _l("Code from your authenticator app"),
        validators=[Optional(), at_most(20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
        id=field_id,
    )


class ReauthForm(FlaskForm):  # type: ignore[misc]
    """The administrator's own password, and a fresh code when they have two-factor set
    up, given with a change to another user's way of logging in."""

    admin_password = _own_password("admin_password")
    admin_code = _own_code("admin_code")


class TwoFactorResetForm(ReauthForm):
    """Forget a user's authenticator; its fields sit on the same page as the password
    form's, so they have ids of their own."""

    admin_password = _own_password("reset-admin_password")
    admin_code = _own_code("reset-admin_code")


class PasswordSetForm(ReauthForm):
    """An administrator's new password for a user (forgotten password): the user must
    choose their own at their next log-in."""

    password = PasswordField(
        _l("New password"),
        description=_l(
            "At least 12 characters. Give it to the user by a separate channel; they must "
            "choose their own when they next log in."
        ),
        validators=[DataRequired(_l("Enter a password.")), new_password],
        render_kw={"autocomplete": "new-password"},
    )
    # after the new password, in the page and in its list of problems
    admin_password = _own_password("admin_password")
    admin_code = _own_code("admin_code")
