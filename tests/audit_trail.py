"""Shared by the audit tests: the trail read back, oldest first."""

from __future__ import annotations

from sqlmodel import Session, col, select

from mlat.models import AuditEntry


def trail(db: Session) -> list[tuple[str, str, int | None, str, str]]:
    db.expire_all()
    rows = db.exec(select(AuditEntry).order_by(col(AuditEntry.seq)))
    return [(e.action, e.outcome, e.user_id, e.object_type, e.object_id) for e in rows]
