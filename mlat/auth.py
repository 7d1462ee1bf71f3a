"""Log-in sessions (Flask-Login) and role checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, request, session
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from sqlalchemy.orm import joinedload

from mlat.db import get_session
from mlat.models import Role, User, utcnow

login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to see this page.")
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"


class SessionUser(UserMixin):  # type: ignore[misc]
    """The logged-in user as Flask-Login sees it.

    The id carries the user's session epoch, so raising the epoch (password change,
    deactivation) ends every session that was opened before.
    """

    def __init__(self, user: User) -> None:
        self.user = user

    def get_id(self) -> str:
        return f"{self.user.id}:{self.user.session_epoch}"

    def __getattr__(self, name: str) -> Any:
        return getattr(self.user, name)


# One query for the user, their unit (its time zone dates every page) and their roles,
# where loading each when first used took three; the options are built once, not on
# every request.
USER_LOAD_OPTIONS = (joinedload(User.unit), joinedload(User.role_rows))  # type: ignore[arg-type]


@login_manager.user_loader  # type: ignore[untyped-decorator]
def load_user(session_id: str) -> SessionUser | None:
    try:
        user_id, epoch = (int(part) for part in session_id.split(":"))
    except ValueError:
        return None
    user = get_session().get(User, user_id, options=USER_LOAD_OPTIONS)
    if user is None or not user.active or user.session_epoch != epoch:
        return None
    return SessionUser(user)


IDLE_TIMEOUT = dt.timedelta(minutes=30)
ABSOLUTE_TIMEOUT = dt.timedelta(hours=12)


def start_session(user: User) -> None:
    """A new session at log-in, so that a session id planted before it is worthless."""
    session.clear()
    login_user(SessionUser(user))
    now = utcnow().timestamp()
    session["login_at"] = now
    session["seen_at"] = now


def session_expired() -> bool:
    """True, after ending it, when the session was idle too long or is too old."""
    now = utcnow().timestamp()
    login_at = float(session.get("login_at", 0))
    seen_at = float(session.get("seen_at", 0))
    if (
        now - seen_at > IDLE_TIMEOUT.total_seconds()
        or now - login_at > ABSOLUTE_TIMEOUT.total_seconds()
    ):
        logout_user()
        session.clear()
        return True
    session["seen_at"] = now
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
    action: str,
    *,
    object_type: str = "",
    object_id: str | int | None = "",
    outcome: str = "success",
    reason: str = "",
    user: User | None = None,
) -> None:
    """Write an audit entry for the current HTTP request; the view commits it."""
    from mlat.services.audit import record

    if user is None and current_user.is_authenticated:
        user = the_user()
    record(
        get_session(),
        action=action,
        user=user,
        object_type=object_type,
        object_id=object_id,
        outcome=outcome,
        reason=reason,
        client_addr=request.remote_addr or "",
    )
