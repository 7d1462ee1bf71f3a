"""Users, units, roles and passwords.

Every change to a user or a unit writes its audit entry here, whoever asks for it (an
administrator's page, the command line): the caller passes who acts, if anyone, and
from which address. The entry's unit is the unit changed, or the changed user's (before
a move), so that the unit's administrators read it whoever acted (``audit.about_unit``).
"""

from __future__ import annotations

import contextlib
import string
from collections.abc import Iterable
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from mlat.audit_actions import AuditAction
from mlat.countries import is_state, is_timezone
from mlat.messages import N_, Np_
from mlat.models import MAX_ID, NotificationKind, Role, Unit, User, UserRole
from mlat.services import Forbidden, NotFound, ServiceError, audit, notifications
from mlat.services.administration import (
    check_access,
    check_may_manage,
    is_installation_admin,
    may_manage_unit,
)

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
MIN_PASSWORD = 12
MAX_PASSWORD = 128
# Verified against when the e-mail is unknown, so timing does not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0000")


class WrongPassword(ServiceError):
    """The current password given to change it is not the user's."""


def check_new_password(password: str) -> None:
    """Refuse a new password that is too short, too long or commonly used.

    No composition rules (NIST SP 800-63B, OWASP ASVS 2.1): length, and a check
    against the 30,000 most common passwords of zxcvbn's lists.
    """
    if len(password) < MIN_PASSWORD:
        raise ServiceError(
            Np_(
                "The password must have at least %(n)d character.",
                "The password must have at least %(n)d characters.",
            ),
            n=MIN_PASSWORD,
        )
    if len(password) > MAX_PASSWORD:
        raise ServiceError(
            Np_(
                "The password must have at most %(n)d character.",
                "The password must have at most %(n)d characters.",
            ),
            n=MAX_PASSWORD,
        )
    if is_common_password(password):
        raise ServiceError(
            N_("This password is one of the most commonly used. Choose another one.")
        )


@cache
def _common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def is_common_password(password: str) -> bool:
    """A common password, also when only repeated or padded with digits and symbols."""
    lowered = password.lower()
    common = _common_passwords()
    if lowered in common or len(set(lowered)) <= 2:
        return True
    core = lowered.strip(string.digits + string.punctuation + " ")
    if len(core) >= 4 and core in common:
        return True
    for size in range(4, len(lowered) // 2 + 1):
        if len(lowered) % size == 0 and lowered == lowered[:size] * (len(lowered) // size):
            return lowered[:size] in common
    return False


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_unit(
    *,
    session: Session,
    name: str,
    code: str,
    state: str,
    timezone: str,
    separate_duties: bool = True,
    actor: User | None = None,
    client_addr: str = "",
) -> Unit:
    """A new unit; ``actor`` is the installation administrator creating it (None on the
    command line)."""
    if actor is not None and not is_installation_admin(actor):
        raise Forbidden(N_("Only an installation administrator can create units."))
    code = code.strip().upper()
    if not is_state(state):
        raise ServiceError(N_("'%(state)s' is not an ISO 3166 state code."), state=state)
    if not is_timezone(timezone):
        raise ServiceError(N_("'%(tz)s' is not a time zone name such as Asia/Qatar."), tz=timezone)
    if session.exec(select(Unit).where((Unit.code == code) | (Unit.name == name))).first():
        raise ServiceError(N_("A unit with this name or code already exists."))
    unit = Unit(name=name.strip(), code=code, state=state.upper(), timezone=timezone,
                separate_duties=separate_duties)  # fmt: skip
    session.add(unit)
    session.flush()
    audit.record(
        session=session,
        action=AuditAction.unit_create,
        user=actor,
        unit_id=unit.id,
        object_type="unit",
        object_id=unit.id,
        details={"name": unit.name, "code": unit.code, "state": unit.state, "timezone": timezone,
                 "separate_duties": separate_duties},
        client_addr=client_addr,
    )  # fmt: skip
    return unit


def update_unit_settings(
    *, session: Session, unit: Unit, separate_duties: bool, actor: User, client_addr: str = ""
) -> Unit:
    """Change how the unit works; only an administrator of the unit itself, or an
    installation administrator, may."""
    if not may_manage_unit(actor, unit.id):
        raise Forbidden(N_("Only an administrator of the unit can change its settings."))
    before = unit.separate_duties
    unit.separate_duties = separate_duties
    session.add(unit)
    session.flush()
    audit.record(
        session=session,
        action=AuditAction.unit_update,
        user=actor,
        unit_id=unit.id,
        object_type="unit",
        object_id=unit.id,
        details={"separate_duties": [before, separate_duties]},
        client_addr=client_addr,
    )
    return unit


def _access(user: User) -> dict[str, Any]:
    """What an administrator decides about a user, as audit details."""
    return {"roles": sorted(user.roles), "unit": user.unit_id, "active": user.active}


def create_user(
    *,
    session: Session,
    email: str,
    name: str,
    password: str,
    unit: Unit,
    roles: Iterable[Role],
    must_change: bool = False,
    active: bool = True,
    actor: User | None = None,
    client_addr: str = "",
) -> User:
    """A new user; ``must_change`` when an administrator chose the password for them.
    ``actor`` is that administrator (None on the command line), who may create users of
    the units they manage, with the roles they may give."""
    if actor is not None:
        check_access(actor=actor, user=None, unit=unit, roles=roles, active=active)
    email = normalise_email(email)
    if session.exec(select(User).where(User.email == email)).first():
        raise ServiceError(N_("A user with this e-mail address already exists."))
    check_new_password(password)
    user = User(email=email, name=name.strip(), password_hash=hash_password(password), unit=unit,
                password_must_change=must_change, active=active)  # fmt: skip
    user.role_rows = [UserRole(role=r) for r in sorted(set(roles))]
    session.add(user)
    session.flush()
    audit.record(session=session, action=AuditAction.user_create, user=actor, unit_id=unit.id,
                 object_type="user", object_id=user.id, client_addr=client_addr,
                 details={"email": user.email, **_access(user)})  # fmt: skip
    return user


def authenticate(*, session: Session, email: str, password: str) -> User | None:
    """The active user with these credentials, or None. Rehashes outdated hashes."""
    user = session.exec(select(User).where(User.email == normalise_email(email))).first()
    if user is None or not user.active:
        with contextlib.suppress(VerificationError):
            _hasher.verify(_DUMMY_HASH, password)
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.flush()
    return user


def update_user(
    *,
    session: Session,
    user: User,
    name: str,
    unit: Unit,
    roles: Iterable[Role],
    active: bool,
    acting_user: User,
    client_addr: str = "",
) -> User:
    """An administrator's change to a user they manage (``check_access``); the user is
    told when their roles or unit change, or their account is deactivated."""
    wanted = set(roles)
    check_access(actor=acting_user, user=user, unit=unit, roles=wanted, active=active)
    before = _access(user)
    deactivated = user.active and not active
    if deactivated:
        user.session_epoch += 1  # ends every open session of the user
    user.name = name.strip()
    user.unit = unit
    user.active = active
    current = {Role(r.role): r for r in user.role_rows}
    user.role_rows = [current.get(r) or UserRole(role=r) for r in sorted(wanted)]
    session.add(user)
    session.flush()
    after = _access(user)
    audit.record(session=session, action=AuditAction.user_update,
                 user=acting_user, unit_id=before["unit"], object_type="user",
                 object_id=user.id, details=after, client_addr=client_addr)  # fmt: skip
    kind = None
    if deactivated:
        kind = NotificationKind.deactivated
    elif (before["roles"], before["unit"]) != (after["roles"], after["unit"]):
        kind = NotificationKind.access_changed
    if kind is not None:
        notifications.account_changed(session=session, user=user, kind=kind, actor=acting_user)
    return user


def grant_role(*, session: Session, user: User, role: Role, client_addr: str = "") -> bool:
    """Give a user a role from the command line (the first installation administrator
    of an installation whose administrators all manage one unit); False when they hold
    it already. Audited with no user, like ``create_user`` there; the user is told."""
    if user.has_role(role):
        return False
    user.role_rows = [*user.role_rows, UserRole(role=role)]
    session.add(user)
    session.flush()
    audit.record(session=session, action=AuditAction.user_update, unit_id=user.unit_id,
                 object_type="user", object_id=user.id, details=_access(user),
                 client_addr=client_addr)  # fmt: skip
    notifications.account_changed(session=session, user=user,
                                  kind=NotificationKind.access_changed, actor=None)  # fmt: skip
    return True


def find_user(*, session: Session, email: str) -> User:
    user = session.exec(select(User).where(User.email == normalise_email(email))).first()
    if user is None:
        raise NotFound(N_("No user has this e-mail address."))
    return user


def has_installation_admin(*, session: Session) -> bool:
    """Whether anyone may create units (``Role.installation_admin``)."""
    found = session.exec(
        select(UserRole.user_id).where(UserRole.role == Role.installation_admin)
    ).first()
    return found is not None


def _store_password(session: Session, user: User, password: str, *, must_change: bool) -> None:
    """A new password, which ends every open session of the user."""
    check_new_password(password)
    user.password_hash = hash_password(password)
    user.password_must_change = must_change
    user.session_epoch += 1
    session.add(user)
    session.flush()


def set_password(
    *,
    session: Session,
    user: User,
    password: str,
    must_change: bool = False,
    actor: User | None = None,
    client_addr: str = "",
) -> None:
    """An administrator's new password for a user who forgot theirs. ``must_change``: the
    user then chooses their own before anything else. ``actor``, the administrator (None
    on the command line), must manage the user, who is told of it."""
    if actor is not None:
        check_may_manage(actor, user)
    _store_password(session, user, password, must_change=must_change)
    audit.record(session=session, action=AuditAction.user_password_reset,
                 user=actor, unit_id=user.unit_id, object_type="user",
                 object_id=user.id, client_addr=client_addr)  # fmt: skip
    notifications.account_changed(session=session, user=user,
                                  kind=NotificationKind.password_reset, actor=actor)  # fmt: skip


def change_password(
    *, session: Session, user: User, current: str, new: str, client_addr: str = ""
) -> None:
    """The user's own change: the current password first, and a new one that differs."""
    try:
        _hasher.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise WrongPassword(N_("Your current password is not right.")) from None
    if new == current:
        raise ServiceError(N_("Choose a new password that differs from the current one."))
    _store_password(session, user, new, must_change=False)
    audit.record(session=session, action=AuditAction.user_password_change,
                 user=user, object_type="user",
                 object_id=user.id, client_addr=client_addr)  # fmt: skip


def get_user(*, session: Session, user_id: int) -> User:
    user = session.get(User, user_id) if 0 < user_id <= MAX_ID else None
    if user is None:
        raise NotFound(N_("No such user."))
    return user


def get_unit(*, session: Session, unit_id: int) -> Unit:
    # An id beyond what the database holds (a tampered form) names no unit; asking the
    # database for it would fail instead.
    unit = session.get(Unit, unit_id) if 0 < unit_id <= MAX_ID else None
    if unit is None:
        raise NotFound(N_("No such unit."))
    return unit


def list_units(*, session: Session) -> list[Unit]:
    return list(session.exec(select(Unit).order_by(col(Unit.name))))
