"""Two-factor authentication with time-based one-time passwords (RFC 6238).

Required for reviewers, prosecutors and both kinds of administrator, optional for
officers. A code is
accepted once only: the time step of the last accepted code is stored, and a code of
that step or an earlier one is refused, even while it is still within its 30 seconds.
"""

from __future__ import annotations

import datetime as dt
import hmac

import pyotp
import segno
from sqlalchemy import or_, update
from sqlmodel import Session, col

from mlat.audit_actions import AuditAction
from mlat.messages import N_
from mlat.models import NotificationKind, Role, User
from mlat.services import ServiceError, audit, notifications, recovery
from mlat.services.administration import check_may_manage

REQUIRED_FOR = frozenset({Role.reviewer, Role.prosecutor, Role.admin, Role.installation_admin})
ISSUER = "mlat"
STEP_SECONDS = 30
DRIFT_STEPS = 1  # accept the code of the step before and after, for clock drift


def required(user: User) -> bool:
    return user.has_role(*REQUIRED_FOR)


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The provisioning URI as a QR code in a PNG data URI, for an authenticator app. (An
    SVG made for inlining in HTML has no namespace, and as an image it shows nothing.)"""
    return str(segno.make(uri, error="m").png_data_uri(scale=5, border=4, dark="#0b0c0c"))


def matching_step(secret: str, code: str, now: dt.datetime) -> int | None:
    """The time step whose code this is, within the allowed drift, or None."""
    code = code.strip().replace(" ", "")
    # isdigit() also holds for "²" and "٣", which compare_digest refuses with an error
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // STEP_SECONDS
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.at(step * STEP_SECONDS), code):
            return step
    return None


def check_code(*, session: Session, user: User, code: str, now: dt.datetime) -> bool:
    """Accept a code of the user's authenticator once; refuse it ever after."""
    if not user.totp_secret:
        return False
    step = matching_step(user.totp_secret, code, now)
    if step is None:
        return False
    # One UPDATE both checks and records the step, so two logins racing with the same
    # code cannot both succeed.
    used = session.execute(
        update(User)
        .where(
            col(User.id) == user.id,
            or_(col(User.totp_last_step).is_(None), col(User.totp_last_step) < step),
        )
        .values(totp_last_step=step)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.refresh(user)
    return True


def enable(*, session: Session, user: User, secret: str, code: str, now: dt.datetime) -> None:
    """Turn two-factor on once the user proves their authenticator has the secret."""
    step = matching_step(secret, code, now)
    if step is None:
        raise ServiceError(
            N_("That code is not right. Check the time on your phone and enter the new code.")
        )
    user.totp_secret = secret
    user.totp_last_step = step
    session.add(user)
    session.flush()


def reset(
    *, session: Session, user: User, actor: User | None = None, client_addr: str = ""
) -> None:
    """Forget the user's authenticator (lost phone); they set up a new one at next log-in.
    ``actor`` is the administrator who resets it, who must manage the user; the user is
    told of it."""
    if actor is not None:
        check_may_manage(actor, user)
    user.totp_secret = None
    user.totp_last_step = None
    user.session_epoch += 1
    recovery.remove_all(session=session, user=user)
    session.add(user)
    session.flush()
    audit.record(session=session, action=AuditAction.user_two_factor_reset, user=actor,
                 unit_id=user.unit_id, object_type="user", object_id=user.id,
                 client_addr=client_addr)  # fmt: skip
    notifications.account_changed(session=session, user=user,
                                  kind=NotificationKind.two_factor_reset, actor=actor)  # fmt: skip
