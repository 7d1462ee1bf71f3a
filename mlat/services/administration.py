"""Who administers whom.

An administrator of a unit (``Role.admin``) manages the users and the settings of their
own unit only; an installation administrator (``Role.installation_admin``), a role held
by few, creates units and manages the users and settings of every unit. Nobody changes
their own unit, roles or active state: another administrator does, so that no
administrator can move into another unit or give themselves a role.

These rules are checked here, by the services that change users and units, whoever
calls them; the pages only choose what to offer.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from mlat.messages import N_
from mlat.models import Role, Unit, User
from mlat.services import Forbidden, NotFound

ADMIN_ROLES = frozenset({Role.admin, Role.installation_admin})
OWN_ACCOUNT = N_(
    "You cannot change your own unit, roles or whether your account is active: another "
    "administrator does that."
)


class OutOfScope(NotFound):
    """A user or unit the administrator may not manage: answered as if it did not exist,
    so that an administrator does not learn of another unit's people."""


def is_installation_admin(user: User) -> bool:
    return user.has_role(Role.installation_admin)


def may_manage_unit(actor: User, unit_id: int | None) -> bool:
    """An installation administrator manages every unit, an administrator their own."""
    if is_installation_admin(actor):
        return True
    return actor.has_role(Role.admin) and unit_id is not None and actor.unit_id == unit_id


def may_manage(actor: User, user: User) -> bool:
    """Whether ``actor`` may change ``user``'s account. An administrator of a unit may
    not change an installation administrator's, even in their own unit: that would give
    them the account of someone who manages every unit."""
    if is_installation_admin(actor):
        return True
    return may_manage_unit(actor, user.unit_id) and not is_installation_admin(user)


def grantable_roles(actor: User) -> frozenset[Role]:
    """The roles ``actor`` may give or take away: every role but the installation
    administrator's, which only an installation administrator gives."""
    if is_installation_admin(actor):
        return frozenset(Role)
    return frozenset(Role) - {Role.installation_admin}


def managed_units(*, session: Session, actor: User) -> list[Unit]:
    query = select(Unit).order_by(col(Unit.name))
    if not is_installation_admin(actor):
        query = query.where(Unit.id == actor.unit_id)
    return list(session.exec(query))


def managed_unit(*, session: Session, actor: User, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(N_("No such unit."))
    if not may_manage_unit(actor, unit.id):
        raise OutOfScope(N_("No such unit."))
    return unit


def visible_users(*, session: Session, actor: User) -> list[User]:
    """The users an administrator sees: their unit's, or everyone for an installation
    administrator."""
    query = select(User).order_by(col(User.name))
    if not is_installation_admin(actor):
        query = query.where(User.unit_id == actor.unit_id)
    return list(session.exec(query))


def visible_user(*, session: Session, actor: User, user_id: int) -> User:
    """A user of the administrator's unit (any user for an installation administrator);
    ``OutOfScope`` for another unit's, ``NotFound`` for an id nobody has."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(N_("No such user."))
    if not (is_installation_admin(actor) or user.unit_id == actor.unit_id):
        raise OutOfScope(N_("No such user."))
    return user


def check_may_manage(actor: User, user: User) -> None:
    if not may_manage(actor, user):
        raise Forbidden(
            N_("Only an installation administrator can change an installation administrator.")
        )


def check_access(
    *, actor: User, user: User | None, unit: Unit, roles: Iterable[Role], active: bool
) -> None:
    """Refuse what ``actor`` may not decide about a new user (``user`` None) or an
    existing one: a unit not theirs, a role they may not give or take, and any change of
    their own unit, roles or active state."""
    wanted = frozenset(roles)
    if user is not None:
        check_may_manage(actor, user)
        if user.id == actor.id and (
            user.unit_id != unit.id or user.roles != wanted or user.active != active
        ):
            raise Forbidden(OWN_ACCOUNT)
    if not may_manage_unit(actor, unit.id):
        raise Forbidden(N_("You can only manage the users of your own unit."))
    changed = wanted.symmetric_difference(user.roles if user is not None else frozenset())
    if not changed <= grantable_roles(actor):
        raise Forbidden(
            N_("Only an installation administrator can give or take the role of installation "
               "administrator.")
        )  # fmt: skip
