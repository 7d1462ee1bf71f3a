"""What the administrators' pages check before they change anyone: that the user or unit
is the administrator's to manage, and, before a user's password or authenticator is
reset, that the administrator is who the session says (their own password, and a fresh
code when they have two-factor set up). Every refusal is written to the audit trail."""

from __future__ import annotations

from flask import abort, request

from mlat.audit_actions import AuditAction, Outcome
from mlat.auth import audit, the_user
from mlat.db import get_session
from mlat.models import Unit, User
from mlat.services import NotFound
from mlat.services.administration import (
    OutOfScope,
    managed_unit,
    may_manage,
    visible_user,
)
from mlat.views.attempts import reauthenticate
from mlat.views.refusals import already_recorded
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
    already_recorded()  # not again as an access.refused, when the answer is 403 or 404


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
    words. The check takes a slot from the login throttle, a failure counts as a failed
    login, and the refused ``action`` on ``target`` is recorded."""
    failure = reauthenticate(the_user(), password=password, code=code,
                             purpose="to reset another user")  # fmt: skip
    if failure is None:
        return None
    reasons = {"throttle": "too many failed attempts",
               "password": "re-authentication failed: the administrator's password",
               "code": "re-authentication failed: the administrator's two-factor code"}  # fmt: skip
    refused(action, "user", target.id, reasons[failure.factor])
    return ("admin_code" if failure.factor == "code" else "admin_password"), failure.message
