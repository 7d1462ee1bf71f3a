"""Log-in sessions (Flask-Login) and role checks."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, abort, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from sqlalchemy import bindparam, delete, exists, select, update
from sqlalchemy.orm import joinedload
from sqlmodel import col
from werkzeug.wrappers import Response as BaseResponse

from mlat.audit_actions import AuditAction, Outcome
from mlat.dates import utc
from mlat.db import get_session
from mlat.models import LoginSession, Role, User, utcnow
from mlat.services import throttle

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to see this page.")
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"

# Endpoints anyone may reach without logging in.
PUBLIC_ENDPOINTS = frozenset(
    {"auth.login", "auth.code", "auth.enrol", "language.choose", "static", "health"}
)
# All a user whose password an administrator set may do until they choose their own.
MAY_CHANGE_PASSWORD = frozenset({"auth.account_password", "auth.logout", "language.choose"})


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.before_request(require_login)
    redis_url = app.config["MLAT"].redis_url
    if redis_url:  # the login throttle's counters (mlat.services.throttle) go there too
        from redis import Redis

        app.extensions["mlat_throttle_redis"] = Redis.from_url(redis_url)


def require_login() -> BaseResponse | None:
    """The login gate, in front of every page but the public ones."""
    if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
        return None
    if request.blueprint == "api":  # a token authenticates each call (mlat.views.api)
        return None
    expired = current_user.is_authenticated and session_expired()
    if expired:
        flash(_("Your session has ended. Please log in again."), "info")
    if not current_user.is_authenticated:
        wanted = request.full_path.rstrip("?")
        return redirect(url_for("auth.login", next=wanted))
    if current_user.password_must_change and request.endpoint not in MAY_CHANGE_PASSWORD:
        flash(_("Choose your own password before you go on."), "info")
        return redirect(url_for("auth.account_password"))
    return None


class SessionUser(UserMixin):  # type: ignore[misc]
    """The logged-in user as Flask-Login sees it.

    The id carries the user's session epoch, so raising the epoch (password change,
    deactivation) ends every session that was opened before; and the session's token,
    whose record on the server (``LoginSession``) logging out removes.
    """

    def __init__(self, user: User, token: str) -> None:
        self.user = user
        self.token = token

    def get_id(self) -> str:
        return f"{self.user.id}:{self.user.session_epoch}:{self.token}"

    def __getattr__(self, name: str) -> Any:
        return getattr(self.user, name)


# One query for the user, their unit (its time zone dates every page) and their roles,
# where loading each when first used took three; the options are built once, not on
# every request.
USER_LOAD_OPTIONS = (joinedload(User.unit), joinedload(User.role_rows))  # type: ignore[arg-type]


def token_key(token: str) -> str:
    """What the server keeps of a session's token: its SHA-256, so that reading the
    database does not give anyone a session."""
    return hashlib.sha256(token.encode()).hexdigest()


# The user of an open session, built once: the user's id and the digest of the session's
# token are its parameters.
LOAD_USER = (
    select(User)
    .options(*USER_LOAD_OPTIONS)
    .where(
        col(User.id) == bindparam("user_id"),
        exists().where(
            col(LoginSession.id) == bindparam("token_key"),
            col(LoginSession.user_id) == col(User.id),
        ),
    )
)


@login_manager.user_loader  # type: ignore[untyped-decorator]
def load_user(session_id: str) -> SessionUser | None:
    parts = session_id.split(":")
    if len(parts) != 3 or not all(p.isdecimal() and len(p) < 19 for p in parts[:2]):
        return None
    user_id, epoch, token = int(parts[0]), int(parts[1]), parts[2]
    found = get_session().execute(LOAD_USER, {"user_id": user_id, "token_key": token_key(token)})
    user = found.unique().scalar_one_or_none()
    if user is None or not user.active or user.session_epoch != epoch:
        return None
    return SessionUser(user, token)


IDLE_TIMEOUT = dt.timedelta(minutes=30)
ABSOLUTE_TIMEOUT = dt.timedelta(hours=12)


def start_session(user: User) -> None:
    """A new session at log-in, so that a session id planted before it is worthless,
    recorded on the server (the caller commits). Records of sessions past their
    absolute lifetime are removed on the way."""
    db = get_session()
    now = utcnow()
    db.execute(delete(LoginSession).where(col(LoginSession.started_at) < now - ABSOLUTE_TIMEOUT))
    throttle.forget_old(session=db, now=now)
    token = secrets.token_urlsafe(32)
    assert user.id is not None
    db.add(LoginSession(id=token_key(token), user_id=user.id, started_at=now, seen_at=now))
    db.flush()
    session.clear()
    login_user(SessionUser(user, token))


def end_session() -> None:
    """Log out this browser: its session's record goes (the caller commits), so a copy of
    its cookie no longer works either."""
    if current_user.is_authenticated:
        get_session().execute(
            delete(LoginSession).where(col(LoginSession.id) == token_key(current_user.token))
        )
    logout_user()
    session.clear()


# The last request is written to the session's record at most this often.
SEEN_EVERY = dt.timedelta(minutes=1)


def session_expired() -> bool:
    """True, after ending it, when the session was idle too long or is too old: its
    record on the server says, not the cookie, so that every copy of a cookie shares
    one idle time."""
    db = get_session()
    row = db.get(LoginSession, token_key(cast(SessionUser, current_user).token))
    now = utcnow()
    if row is None or (
        now - utc(row.seen_at) > IDLE_TIMEOUT or now - utc(row.started_at) > ABSOLUTE_TIMEOUT
    ):
        end_session()
        db.commit()
        return True
    if now - utc(row.seen_at) >= SEEN_EVERY:
        db.execute(update(LoginSession).where(col(LoginSession.id) == row.id).values(seen_at=now))
        db.commit()  # on its own: a page that reads only commits nothing
    return False


def the_user() -> User:
    """The logged-in user's row (views only call this behind login_required)."""
    return cast(SessionUser, current_user).user


F = TypeVar("F", bound=Callable[..., Any])


def role_required(*roles: Role) -> Callable[[F], F]:
    """Refuse with 403 unless the logged-in user holds one of the roles."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not the_user().has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapped)

    return decorator


def audit(
    action: AuditAction,
    *,
    object_type: str = "",
    object_id: str | int | None = "",
    outcome: Outcome = Outcome.success,
    reason: str = "",
    details: Mapping[str, Any] | None = None,
    user: User | None = None,
) -> None:
    """Write an audit entry for the current HTTP request; the view commits it."""
    from mlat.services.audit import record

    if user is None and current_user.is_authenticated:
        user = the_user()
    record(
        session=get_session(),
        action=action,
        user=user,
        object_type=object_type,
        object_id=object_id,
        outcome=outcome,
        reason=reason,
        details=details,
        client_addr=request.remote_addr or "",
    )
