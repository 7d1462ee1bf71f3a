"""Checks of a user's password or two-factor code, wherever a page asks for them
(logging in, changing one's password, signing, an administrator's resets): each takes a
slot from the login throttle (``mlat.services.throttle``) first."""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from flask import current_app, request
from flask_babel import format_timedelta
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from mlat.audit_actions import AuditAction, Outcome
from mlat.auth import audit
from mlat.db import get_session
from mlat.models import User, utcnow
from mlat.services import throttle, twofactor
from mlat.services.users import authenticate
from mlat.views.transaction import commit

DEVICE_COOKIE = "mlat_device"
"""The cookie that makes a browser a known device (``__Host-`` prefixed over HTTPS)."""


def device_cookie() -> str:
    return "__Host-mlat-device" if current_app.config["MLAT"].secure_cookies else DEVICE_COOKIE


def counter_store() -> throttle.Store:
    """Where counters shared by every app instance are kept: Redis when configured."""
    redis = current_app.extensions.get("mlat_throttle_redis")
    if redis is None:
        return throttle.SqlStore(get_session())
    # Named after the installation's queue, so that installations sharing a Redis
    # keep counters of their own.
    return throttle.RedisStore(redis, f"{current_app.config['MLAT'].jobs.queue_name}:throttle:")


def take_slot(email: str) -> list[throttle.Counter] | str:
    """Take a slot from the throttle's counters for one check of the account's password
    or code, committed before the check so that every other attempt counts it; or, when
    the throttle refuses, audit the refusal and say why in words."""
    db, now = get_session(), utcnow()
    token = request.cookies.get(device_cookie())
    known = throttle.is_known_device(session=db, email=email, token=token, now=now)
    counters = throttle.counters(
        email=email,
        client_addr=request.remote_addr or "",
        device=throttle.device_hash(token) if known and token else None,
    )
    refusal = throttle.take(store=counter_store(), counters=counters, now=now, known_device=known)
    if refusal is None:
        commit()
        return counters
    audit(AuditAction.login, object_type="email", object_id=email[:64],
          outcome=Outcome.denied, reason=f"throttled per {refusal.policy.name}")  # fmt: skip
    commit()
    wait = format_timedelta(max(refusal.wait, dt.timedelta(seconds=1)), add_direction=False)
    if refusal.policy is throttle.ACCOUNT:
        return str(
            _(
                "Too many failed attempts at this account. Wait %(wait)s and try again, or "
                "log in from a computer you have logged in from before.",
                wait=wait,
            )
        )
    return str(_("Too many failed attempts. Wait %(wait)s and try again.", wait=wait))


def give_back(counters: list[throttle.Counter]) -> None:
    """The check succeeded: its slot is not a failure (the caller commits)."""
    throttle.give_back(store=counter_store(), counters=counters, now=utcnow())


def failed(email: str, reason: str) -> None:
    """Record a wrong password or code: a failed login, whatever page it was typed on."""
    audit(AuditAction.login, object_type="email", object_id=email[:64],
          outcome=Outcome.failure, reason=reason)  # fmt: skip
    commit()


def remember_device(user: User, response: Response) -> Response:
    """A full log-in makes this browser one of the user's known devices (the caller
    commits)."""
    token = request.cookies.get(device_cookie())
    if not token or len(token) > 100:
        token = secrets.token_urlsafe(32)
    throttle.remember_device(session=get_session(), user=user, token=token, now=utcnow())
    response.set_cookie(
        device_cookie(),
        token,
        max_age=int(throttle.DEVICE_LIFETIME.total_seconds()),
        secure=current_app.config["MLAT"].secure_cookies,
        httponly=True,
        samesite="Lax",
        path="/",
    )
    return response


@dataclass(frozen=True)
class NotAuthenticated:
    """Why a re-authentication failed: which ``factor`` ("password", "code", or
    "throttle" when it was not checked), and what to tell the user."""

    factor: str
    message: str


def reauthenticate(
    user: User, *, password: str, code: str, purpose: str
) -> NotAuthenticated | None:
    """Check the user's own password and a fresh two-factor code before a grave step
    (``purpose``, e.g. "to sign"): None when both are right. A user without two-factor
    authentication gives the password alone. Failures count as failed logins."""
    counters = take_slot(user.email)
    if isinstance(counters, str):
        return NotAuthenticated("throttle", counters)
    db = get_session()
    if authenticate(session=db, email=user.email, password=password) is None:
        failed(user.email, f"password, {purpose}")
        return NotAuthenticated("password", str(_("Your password is not right.")))
    if user.has_authenticator and not twofactor.check_code(
        session=db, user=user, code=code, now=utcnow()
    ):
        failed(user.email, f"two-factor code, {purpose}")
        message = _("That code is not right, or it has been used already. Enter the next code.")
        return NotAuthenticated("code", str(message))
    give_back(counters)
    return None
