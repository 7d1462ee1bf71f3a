"""Recovery codes: ten one-time codes a user keeps on paper, to log in when their phone
(their authenticator) is lost.

Each code has 25 characters of base32, 125 random bits from ``secrets``; the server keeps
only SHA-256 digests, which ASVS 6.5.2 allows for lookup secrets of 112 bits or more. A
code is used once: one ``UPDATE … WHERE used_at IS NULL`` both checks and spends it, so
two logins racing with the same code cannot both succeed. Making a new set replaces the
old one; resetting a user's two-factor authentication removes them.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, func, update
from sqlmodel import Session, col, select

from mlat.audit_actions import AuditAction
from mlat.models import RecoveryCode, User
from mlat.services import audit

COUNT = 10
LENGTH = 25
GROUP = 5


def _digest(normalised: str) -> str:
    return hashlib.sha256(normalised.encode()).hexdigest()


def normalise(code: str) -> str | None:
    """A code as typed — any case, with spaces or hyphens — in its stored form, or None
    when it cannot be a recovery code."""
    letters = "".join(code.split()).replace("-", "").upper()
    if len(letters) != LENGTH or not all(c in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567" for c in letters):
        return None
    return letters


def looks_like_one(code: str) -> bool:
    return normalise(code) is not None


def _new_code() -> str:
    letters = base64.b32encode(secrets.token_bytes(16)).decode()[:LENGTH]
    return "-".join(letters[i : i + GROUP] for i in range(0, LENGTH, GROUP))


def issue(*, session: Session, user: User, now: dt.datetime, client_addr: str = "") -> list[str]:
    """A new set of codes for the user, replacing any earlier set; the codes are returned
    once, to be shown, and never kept."""
    assert user.id is not None
    codes = [_new_code() for _ in range(COUNT)]
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
    for code in codes:
        normalised = normalise(code)
        assert normalised is not None
        session.add(RecoveryCode(user_id=user.id, code_hash=_digest(normalised), created_at=now))
    session.flush()
    audit.record(session=session, action=AuditAction.user_recovery_codes, user=user,
                 object_type="user", object_id=user.id, client_addr=client_addr)  # fmt: skip
    return codes


def spend(*, session: Session, user: User, code: str, now: dt.datetime) -> bool:
    """Accept one of the user's unused codes, once; refuse it ever after."""
    normalised = normalise(code)
    if normalised is None:
        return False
    spent = session.execute(
        update(RecoveryCode)
        .where(
            col(RecoveryCode.user_id) == user.id,
            col(RecoveryCode.code_hash) == _digest(normalised),
            col(RecoveryCode.used_at).is_(None),
        )
        .values(used_at=now)
    )
    return bool(spent.rowcount == 1)  # type: ignore[attr-defined]


def remaining(*, session: Session, user: User) -> int:
    found = session.exec(
        select(func.count())
        .select_from(RecoveryCode)
        .where(col(RecoveryCode.user_id) == user.id, col(RecoveryCode.used_at).is_(None))
    ).one()
    return int(found)


def remove_all(*, session: Session, user: User) -> None:
    session.execute(delete(RecoveryCode).where(col(RecoveryCode.user_id) == user.id))
