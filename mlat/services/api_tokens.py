"""Tokens for the HTTP API: made by a user for themselves, shown once, kept as SHA-256.

A token acts as its user, with the roles and unit the user has at each call (never
more), narrowed to its scopes: ``read`` (every GET), ``write`` (creating and changing
requests and annexes, preparing packets) and ``workflow`` (the workflow's actions).
Users who review, sign or administer may only make tokens once their two-factor
authentication is on, and lose their tokens' use if it is ever reset.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import case, update
from sqlmodel import Session, col, select

from mlat.audit_actions import AuditAction, Outcome
from mlat.dates import utc
from mlat.messages import N_
from mlat.models import ApiToken, Role, User
from mlat.services import Forbidden, NotFound, ServiceError, audit

SCOPES = ("read", "write", "workflow")
TOKEN_PREFIX = "mlat_"
SHOWN_PREFIX = 12
"""How much of a token its list shows, to tell one from another."""
MAX_DAYS = 366
MAX_NAME = 100
MAX_NETWORKS = 20
MAX_TOKENS = 50
TWO_FACTOR_ROLES = (Role.reviewer, Role.prosecutor, Role.admin, Role.installation_admin)


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def needs_two_factor(user: User) -> bool:
    """Whether the user's roles make their tokens depend on two-factor authentication."""
    return user.has_role(*TWO_FACTOR_ROLES)


def scopes_of(token: ApiToken) -> frozenset[str]:
    return frozenset(token.scopes.split())


def state_of(token: ApiToken, now: dt.datetime) -> str:
    """active, expired or revoked."""
    if token.revoked_at is not None:
        return "revoked"
    return "expired" if utc(token.expires_at) <= now else "active"


def last_day(token: ApiToken) -> dt.date:
    """The last day (UTC) the token works: it expires at the end of it."""
    return (utc(token.expires_at) - dt.timedelta(days=1)).date()


def networks_of(text: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    """The networks of an allow list ("192.0.2.0/24 2001:db8::1"), or ServiceError naming
    the first entry that is not one."""
    found = []
    for entry in text.replace(",", " ").split():
        try:
            found.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ServiceError(
                N_("%(entry)s is not an IP address or network (such as 192.0.2.0/24)."),
                entry=entry[:60],
            ) from None
    if len(found) > MAX_NETWORKS:
        raise ServiceError(N_("Give at most %(num)d addresses or networks."), num=MAX_NETWORKS)
    return found


def address_allowed(token: ApiToken, client_addr: str) -> bool:
    networks = networks_of(token.allowed_addrs)
    if not networks:
        return True
    try:
        address = ipaddress.ip_address(client_addr)
    except ValueError:
        return False
    return any(address in network for network in networks)


@dataclass(frozen=True)
class IssuedToken:
    row: ApiToken
    secret: str
    """The token itself, shown this once and never again."""


def create_token(
    *,
    session: Session,
    user: User,
    name: str,
    scopes: Iterable[str],
    expires_on: dt.date,
    allowed_addrs: str = "",
    now: dt.datetime,
    client_addr: str = "",
) -> IssuedToken:
    """A new token of the user's, valid until the end of ``expires_on`` (UTC)."""
    name = " ".join(name.split())
    chosen = sorted(set(scopes))
    if not name or len(name) > MAX_NAME:
        raise ServiceError(N_("Give the token a name of at most %(num)d characters."), num=MAX_NAME)
    if not chosen or not set(chosen) <= set(SCOPES):
        raise ServiceError(N_("Choose what the token may do: read, write or workflow."))
    today = now.date()
    if not today < expires_on <= today + dt.timedelta(days=MAX_DAYS):
        raise ServiceError(
            N_("Choose an expiry date after today and at most %(num)d days ahead."), num=MAX_DAYS
        )
    networks = networks_of(allowed_addrs)
    if needs_two_factor(user) and not user.has_authenticator:
        raise Forbidden(
            N_(
                "Turn on two-factor authentication first: reviewers, prosecutors and "
                "administrators make API tokens only with it."
            )
        )
    mine = session.exec(
        select(ApiToken.id).where(ApiToken.user_id == user.id, col(ApiToken.revoked_at).is_(None))
    ).all()
    if len(mine) >= MAX_TOKENS:
        raise ServiceError(N_("You have %(num)d tokens: revoke one first."), num=MAX_TOKENS)
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    assert user.id is not None
    row = ApiToken(
        user_id=user.id,
        name=name,
        prefix=secret[:SHOWN_PREFIX],
        token_hash=token_hash(secret),
        scopes=" ".join(chosen),
        allowed_addrs=" ".join(str(n) for n in networks),
        expires_at=dt.datetime.combine(expires_on + dt.timedelta(days=1), dt.time(), dt.UTC),
        created_at=now,
    )
    session.add(row)
    session.flush()
    audit.record(
        session=session,
        action=AuditAction.api_token_create,
        user=user,
        object_type="api_token",
        object_id=row.id,
        client_addr=client_addr,
        details={"name": name, "scopes": chosen, "expires_on": expires_on.isoformat()},
    )
    return IssuedToken(row, secret)


def user_tokens(*, session: Session, user: User) -> Sequence[ApiToken]:
    """The user's tokens, newest first, revoked ones included (they say when)."""
    return session.exec(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(col(ApiToken.id).desc())
    ).all()


def revoke_token(
    *, session: Session, user: User, token_id: int, now: dt.datetime, client_addr: str = ""
) -> ApiToken:
    """Revoke one of the user's own tokens; from then on it is refused."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id:
        raise NotFound(N_("No such token."))
    if row.revoked_at is None:
        row.revoked_at = now
        session.add(row)
        audit.record(
            session=session,
            action=AuditAction.api_token_revoke,
            user=user,
            object_type="api_token",
            object_id=row.id,
            client_addr=client_addr,
            details={"name": row.name},
        )
        session.flush()
    return row


class TokenRefused(ServiceError):
    """A token that does not let its bearer in; ``reason`` says why, for the audit trail
    (the caller is told only that the token is not valid, or why when it can act on it)."""

    def __init__(
        self, message: str, reason: str, token: ApiToken | None = None, **params: object
    ) -> None:
        super().__init__(message, **params)
        self.reason = reason
        self.token = token


NOT_VALID = N_("The API token is not valid: it is unknown, expired or revoked.")


def authenticate(
    *, session: Session, secret: str, client_addr: str, now: dt.datetime
) -> tuple[ApiToken, User]:
    """The token and its user, or TokenRefused."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        raise TokenRefused(NOT_VALID, "malformed")
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == token_hash(secret))).first()
    if row is None:
        raise TokenRefused(NOT_VALID, "unknown")
    if row.revoked_at is not None:
        raise TokenRefused(NOT_VALID, "revoked", row)
    if utc(row.expires_at) <= now:
        raise TokenRefused(NOT_VALID, "expired", row)
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        raise TokenRefused(NOT_VALID, "user deactivated", row)
    if needs_two_factor(user) and not user.has_authenticator:
        raise TokenRefused(
            N_(
                "The API token's user no longer has two-factor authentication, which their "
                "roles need: they must turn it on again."
            ),
            "two-factor off",
            row,
        )
    if not address_allowed(row, client_addr):
        raise TokenRefused(
            N_("The API token may not be used from this address (%(addr)s)."),
            "address not allowed",
            row,
            addr=client_addr[:64],
        )
    return row, user


def count_call(
    *, session: Session, token: ApiToken, now: dt.datetime, per_minute: int, client_addr: str
) -> int | None:
    """Count a call in the token's current minute: None when within ``per_minute``,
    otherwise the seconds until the next minute. One conditional update, so that calls at
    the same moment on several app processes are all counted."""
    minute = int(now.timestamp() // 60)
    window = col(ApiToken.rate_window)
    counted = session.execute(
        update(ApiToken)
        .where(col(ApiToken.id) == token.id)
        .values(
            rate_count=case((window == minute, col(ApiToken.rate_count) + 1), else_=1),
            rate_window=minute,
            last_used_at=now,
            last_used_addr=client_addr[:64],
        )
        .returning(col(ApiToken.rate_count))
    ).scalar_one()
    if counted > per_minute:
        return max(1, 60 - int(now.timestamp()) % 60)
    return None


def refused_call(
    *, session: Session, refused: TokenRefused, client_addr: str, method: str, path: str
) -> None:
    """Audit a refused token: with its user and name when it was one of ours."""
    user = session.get(User, refused.token.user_id) if refused.token is not None else None
    details = {"method": method, "path": path[:200]}
    if refused.token is not None:
        details["token"] = refused.token.name
    audit.record(
        session=session,
        action=AuditAction.api_refused,
        user=user,
        object_type="api_token",
        object_id=refused.token.id if refused.token is not None else "",
        outcome=Outcome.denied,
        reason=refused.reason,
        details=details,
        client_addr=client_addr,
    )
