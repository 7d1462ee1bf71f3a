"""Validators shared by several forms."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from wtforms import Field
from wtforms.validators import Length, ValidationError

from mlat.countries import is_state, is_timezone, may_be_requested
from mlat.services.users import MAX_PASSWORD, MIN_PASSWORD


def at_most(n: int, message: Any = None) -> Length:
    """A length limit the server checks and states, with the input kept. It sets no
    ``maxlength`` on the box: a browser cuts what is pasted beyond it without a word."""
    limit = Length(
        max=n,
        message=message
        or lazy_ngettext("Use at most %(num)d character.", "Use at most %(num)d characters.", n),
    )
    limit.field_flags = {}
    return limit


def iso_state(_form: Any, field: Field) -> None:
    if field.data and not is_state(str(field.data)):
        raise ValidationError(_l("Choose a state from the list."))


def requested_state(form: Any, field: Field) -> None:
    """A state a request can go to, other than the unit's own (``form.own_state``)."""
    if not field.data:
        return
    if not may_be_requested(str(field.data)):
        raise ValidationError(_l("Choose a state from the list."))
    if str(field.data).upper() == getattr(form, "own_state", ""):
        raise ValidationError(
            _l(
                "Choose the state that holds the evidence: a request to your own state is not "
                "mutual legal assistance."
            )
        )


def iana_timezone(_form: Any, field: Field) -> None:
    if field.data and not is_timezone(field.data):
        raise ValidationError(_l("Enter a time zone name such as Asia/Qatar or Europe/London."))


def new_password(_form: Any, field: Field) -> None:
    value = field.data or ""
    if len(value) < MIN_PASSWORD:
        raise ValidationError(
            lazy_ngettext(
                "Use at least %(num)d character.", "Use at least %(num)d characters.", MIN_PASSWORD
            )
        )
    if len(value) > MAX_PASSWORD:
        raise ValidationError(
            lazy_ngettext(
                "Use at most %(num)d character.", "Use at most %(num)d characters.", MAX_PASSWORD
            )
        )
