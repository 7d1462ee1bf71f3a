"""What the administrators' pages check before they change anyone: that the user or unit
is the administrator's to manage, and, before a user's password or authenticator is
reset, that the administrator is who the session says (their own password, and a fresh
code when they have two-factor set up). Every refusal is written to the audit trail."""

from __future__ import annotations

from flask import abort, request
from flask_babel import gettext as _

from mlat.audit_actions import AuditAction, Outcome
from mlat.auth import audit, the_user
from mlat.db import get_session
from mlat.models import Unit, User, utcnow
from mlat.services import NotFound, twofactor
from mlat.services.administration import (
    OutOfScope,
    managed_unit,
    may_manage,
    visible_user,
)
from mlat.services.throttle import login_refused
from mlat.services.users import authenticate
from mlat.views.transaction import commit

ANOTHER_UNIT = "another unit's, or not the administrator's to manage"


def refused(
    action: AuditAction,
    object_type: str,
    object_id: int | str | None,
    reason: str,
    **details: object,
) -> None:
    """Record that an administrator's action was refused (whatever it wrote was rolled
    back), and commit that record."""
    audit(action, object_type=object_type, object_id=object_id, outcome=Outcome.denied,
          reason=reason, details=details or None)  # fmt: skip
    commit()


def user_to_change(user_id: int, action: AuditAction) -> User:
    """The user an administrator opens or changes: 404 when there is none, or when they
    belong to a unit the administrator does not manage; 403 for a user of the unit the
    administrator may not change (an installation administrator). A refused change is
    audited as ``action``."""
    try:
        user = visible_user(session=get_session(), actor=the_user(), user_id=user_id)
    except OutOfScope:
        if request.method == "POST":
            refused(action, "user", user_id, ANOTHER_UNIT)
        abort(404)
    except NotFound:
        abort(404)
    if not may_manage(the_user(), user):
        if request.method == "POST":
            refused(action, "user", user_id, "an installation administrator")
        abort(403)
    return user


def unit_to_change(unit_id: int) -> Unit:
    """A unit the administrator manages, or 404 (a refused change is audited)."""
    try:
        return managed_unit(session=get_session(), actor=the_user(), unit_id=unit_id)
    except OutOfScope:
        if request.method == "POST":
            refused(AuditAction.unit_update, "unit", unit_id, ANOTHER_UNIT)
        abort(404)
    except NotFound:
        abort(404)


def reauthenticated(
    password: str, code: str, *, action: AuditAction, target: User
) -> tuple[str, str] | None:
    """None when ``password`` (and ``code``, when the administrator has two-factor set
    up) are the logged-in administrator's own; else which field was wrong and why, in
    words. A failure counts as a failed login for the throttle and is recorded, with the
    refused ``action`` on ``target``."""
    actor, db = the_user(), get_session()
    client_addr = request.remote_addr or ""
    if login_refused(session=db, email=actor.email, client_addr=client_addr, now=utcnow()):
        refused(action, "user", target.id, "too many failed attempts")
        return "admin_password", _("Too many failed attempts. Wait 15 minutes and try again.")
    if authenticate(session=db, email=actor.email, password=password) is None:
        field, message = "admin_password", _("Your password is not right.")
        reason = "the administrator's password"
    elif actor.totp_secret and not twofactor.check_code(
        session=db, user=actor, code=code, now=utcnow()
    ):
        field = "admin_code"
        message = _("That code is not right, or it has been used already. Enter the next code.")
        reason = "the administrator's two-factor code"
    else:
        return None
    audit(AuditAction.login, object_type="email", object_id=actor.email[:64],
          outcome=Outcome.failure, reason=f"{reason}, to reset another user")  # fmt: skip
    refused(action, "user", target.id, f"re-authentication failed: {reason}")
    return field, message
