"""Users, units, roles and passwords."""

from __future__ import annotations

import contextlib
import string
from collections.abc import Iterable
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from mlat.countries import is_state, is_timezone
from mlat.messages import N_
from mlat.models import Role, Unit, User, UserRole
from mlat.services import NotFound, ServiceError

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
        raise ServiceError(N_("The password must have at least %(n)d characters."), n=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise ServiceError(N_("The password must have at most %(n)d characters."), n=MAX_PASSWORD)
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


def create_unit(*, session: Session, name: str, code: str, state: str, timezone: str) -> Unit:
    code = code.strip().upper()
    if not is_state(state):
        raise ServiceError(N_("'%(state)s' is not an ISO 3166 state code."), state=state)
    if not is_timezone(timezone):
        raise ServiceError(N_("'%(tz)s' is not a time zone name such as Asia/Qatar."), tz=timezone)
    if session.exec(select(Unit).where((Unit.code == code) | (Unit.name == name))).first():
        raise ServiceError(N_("A unit with this name or code already exists."))
    unit = Unit(name=name.strip(), code=code, state=state.upper(), timezone=timezone)
    session.add(unit)
    session.flush()
    return unit


def create_user(
    *,
    session: Session,
    email: str,
    name: str,
    password: str,
    unit: Unit,
    roles: Iterable[Role],
    must_change: bool = False,
) -> User:
    """A new user; ``must_change`` when an administrator chose the password for them."""
    email = normalise_email(email)
    if session.exec(select(User).where(User.email == email)).first():
        raise ServiceError(N_("A user with this e-mail address already exists."))
    check_new_password(password)
    user = User(email=email, name=name.strip(), password_hash=hash_password(password), unit=unit,
                password_must_change=must_change)  # fmt: skip
    user.role_rows = [UserRole(role=r) for r in sorted(set(roles))]
    session.add(user)
    session.flush()
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
) -> User:
    wanted = set(roles)
    if user.id == acting_user.id and (not active or Role.admin not in wanted):
        raise ServiceError(N_("You cannot remove your own admin role or deactivate yourself."))
    if not active and user.active:
        user.session_epoch += 1  # ends every open session of the user
    user.name = name.strip()
    user.unit = unit
    user.active = active
    current = {Role(r.role): r for r in user.role_rows}
    user.role_rows = [current.get(r) or UserRole(role=r) for r in sorted(wanted)]
    session.add(user)
    session.flush()
    return user


def set_password(*, session: Session, user: User, password: str, must_change: bool = False) -> None:
    """A new password, which ends every open session of the user. ``must_change`` when an
    administrator sets it: the user then chooses their own before anything else."""
    check_new_password(password)
    user.password_hash = hash_password(password)
    user.password_must_change = must_change
    user.session_epoch += 1
    session.add(user)
    session.flush()


def change_password(*, session: Session, user: User, current: str, new: str) -> None:
    """The user's own change: the current password first, and a new one that differs."""
    try:
        _hasher.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise WrongPassword(N_("Your current password is not right.")) from None
    if new == current:
        raise ServiceError(N_("Choose a new password that differs from the current one."))
    set_password(session=session, user=user, password=new)


def get_user(*, session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("No such user."))
    return user


def get_unit(*, session: Session, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(N_("No such unit."))
    return unit


def list_users(*, session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.name))))


def list_units(*, session: Session) -> list[Unit]:
    return list(session.exec(select(Unit).order_by(col(Unit.name))))
