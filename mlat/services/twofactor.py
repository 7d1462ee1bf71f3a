"""Two-factor authentication with time-based one-time passwords (RFC 6238).

Required for reviewers, prosecutors and both kinds of administrator, optional for
officers. A code is
accepted once only: the time step of the last accepted code is stored, and a code of
that step or an earlier one is refused, even while it is still within its 30 seconds.

Secrets are kept sealed with the data keys (``mlat.crypto``), bound to the user's id:
the one in use, and the one being set up, which is kept on the user's row (never in the
session cookie) until confirmed by a code, for ``ENROLMENT_SECONDS`` at most.
"""

from __future__ import annotations

import datetime as dt
import hmac

import pyotp
import segno
from sqlalchemy import or_, update
from sqlmodel import Session, col

from mlat.audit_actions import AuditAction
from mlat.crypto import keyring_for
from mlat.messages import N_
from mlat.models import NotificationKind, Role, User
from mlat.services import ServiceError, audit, notifications, recovery
from mlat.services.administration import check_may_manage

REQUIRED_FOR = frozenset({Role.reviewer, Role.prosecutor, Role.admin, Role.installation_admin})
ISSUER = "mlat"
STEP_SECONDS = 30
DRIFT_STEPS = 1  # accept the code of the step before and after, for clock drift
ENROLMENT_SECONDS = 15 * 60  # a secret being set up is forgotten after this


def required(user: User) -> bool:
    return user.has_role(*REQUIRED_FOR)


def new_secret() -> str:
    return pyotp.random_base32()


def secret_context(user: User) -> str:
    return f"user {user.id} totp"


def pending_context(user: User) -> str:
    return f"user {user.id} totp being set up"


def store_secret(*, session: Session, user: User, secret: str) -> None:
    """Keep ``secret`` as the user's authenticator secret, sealed (flushed); for scripts
    that set up accounts, and for ``enable``."""
    assert user.id is not None
    user.totp_sealed = keyring_for(session).seal_text(secret, context=secret_context(user))
    session.add(user)
    session.flush()


def secret_of(*, session: Session, user: User) -> str | None:
    """The user's authenticator secret; None when two-factor is not set up."""
    if user.totp_sealed is None:
        return None
    return keyring_for(session).open_text(user.totp_sealed, context=secret_context(user))


def _pending_fresh(user: User, now: dt.datetime) -> bool:
    started = user.totp_pending_at
    if user.totp_pending is None or started is None:
        return False
    started = started if started.tzinfo else started.replace(tzinfo=dt.UTC)
    return now - started <= dt.timedelta(seconds=ENROLMENT_SECONDS)


def pending_secret(*, session: Session, user: User, now: dt.datetime) -> str | None:
    """The secret being set up, while it has not expired."""
    if not _pending_fresh(user, now):
        return None
    assert user.totp_pending is not None
    return keyring_for(session).open_text(user.totp_pending, context=pending_context(user))


def begin_enrolment(*, session: Session, user: User, now: dt.datetime, fresh: bool = False) -> str:
    """The secret to set up, kept sealed on the user's row (flushed): the one being set
    up if it has not expired and ``fresh`` is false, else a new one."""
    secret = None if fresh else pending_secret(session=session, user=user, now=now)
    if secret is not None:
        return secret
    secret = new_secret()
    user.totp_pending = keyring_for(session).seal_text(secret, context=pending_context(user))
    user.totp_pending_at = now
    session.add(user)
    session.flush()
    return secret


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
    secret = secret_of(session=session, user=user)
    if secret is None:
        return False
    step = matching_step(secret, code, now)
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


def enable(*, session: Session, user: User, code: str, now: dt.datetime) -> None:
    """Turn two-factor on once the user proves their authenticator has the secret being
    set up (``begin_enrolment``)."""
    secret = pending_secret(session=session, user=user, now=now)
    if secret is None:
        raise ServiceError(
            N_("Setting up took too long. Add the new key below to your app and enter its code.")
        )
    step = matching_step(secret, code, now)
    if step is None:
        raise ServiceError(
            N_("That code is not right. Check the time on your phone and enter the new code.")
        )
    store_secret(session=session, user=user, secret=secret)
    user.totp_last_step = step
    user.totp_pending = user.totp_pending_at = None
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
    user.totp_sealed = user.totp_pending = user.totp_pending_at = None
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
