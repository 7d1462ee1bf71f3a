"""Login throttling, counted from the audit trail so that every app instance agrees.

After ``MAX_FAILURES`` failed logins within ``WINDOW`` for one account, or from one
client address, further attempts for that account or from that address are refused
until ``LOCKOUT`` has passed since the last of those failures, even with the right
password. Counting per address as well means one attacker cannot lock every account:
their address is refused after a handful of tries, whichever accounts they aim at.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from mlat.models import AuditEntry

MAX_FAILURES = 5
WINDOW = dt.timedelta(minutes=15)
LOCKOUT = dt.timedelta(minutes=15)
LOGIN_ACTION = "login"


def _recent_failures(
    session: Session, where: ColumnElement[bool], now: dt.datetime
) -> list[dt.datetime]:
    return list(
        session.exec(
            select(AuditEntry.at)
            .where(
                AuditEntry.action == LOGIN_ACTION,
                AuditEntry.outcome == "failure",
                col(AuditEntry.at) > now - WINDOW - LOCKOUT,
                where,
            )
            .order_by(col(AuditEntry.at).desc())
            .limit(MAX_FAILURES)
        )
    )


def _locked(failures: list[dt.datetime], now: dt.datetime) -> bool:
    if len(failures) < MAX_FAILURES:
        return False
    newest, oldest = (_aware(failures[0]), _aware(failures[-1]))
    return newest - oldest <= WINDOW and now - newest < LOCKOUT


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def login_refused(*, session: Session, email: str, client_addr: str, now: dt.datetime) -> bool:
    """Whether a login attempt must be refused without checking the password."""
    by_account = _recent_failures(
        session,
        (col(AuditEntry.object_type) == "email") & (col(AuditEntry.object_id) == email[:64]),
        now,
    )
    by_address = _recent_failures(session, col(AuditEntry.client_addr) == client_addr[:64], now)
    return _locked(by_account, now) or _locked(by_address, now)
