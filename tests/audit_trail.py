"""Shared by the audit tests: the trail read back, oldest first, and a trail as it was
written before entries had details."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import sqlalchemy as sa
from sqlalchemy import Connection
from sqlmodel import Session, col, select

from mlat.models import AuditEntry
from mlat.services.audit import GENESIS


def trail(db: Session) -> list[tuple[str, str, int | None, str, str]]:
    db.expire_all()
    rows = db.exec(select(AuditEntry).order_by(col(AuditEntry.seq)))
    return [(e.action, e.outcome, e.user_id, e.object_type, e.object_id) for e in rows]


def legacy_hash(entry: AuditEntry) -> str:
    """The hash of an entry as written before entries had details (migration 0008), kept
    here as it was so that the chain's formula cannot drift away from it unnoticed."""
    at = entry.at if entry.at.tzinfo else entry.at.replace(tzinfo=dt.UTC)
    fields = {
        "seq": entry.seq,
        "at": at.astimezone(dt.UTC).isoformat(timespec="microseconds"),
        "user_id": entry.user_id,
        "unit_id": entry.unit_id,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "outcome": entry.outcome,
        "reason": entry.reason,
        "client_addr": entry.client_addr,
        "prev_hash": entry.prev_hash,
    }
    return hashlib.sha256(
        json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()


def write_legacy_chain(conn: Connection, count: int) -> str:
    """Start an empty trail with ``count`` entries written as before migration 0008, with
    reasons in words and no details or key id column; returns the newest hash."""
    table_columns = AuditEntry.__table__.columns  # type: ignore[attr-defined]
    columns = [c for c in table_columns if c.name not in ("details", "key_id")]
    table = sa.table("audit_entry", *(sa.column(c.name, c.type) for c in columns))
    prev = GENESIS
    for seq in range(1, count + 1):
        entry = AuditEntry(
            seq=seq,
            at=dt.datetime(2026, 11, 1, 9, seq, tzinfo=dt.UTC),
            action="packet.download",
            object_type="request",
            object_id="7",
            reason=f"stored packet, sha256 {'ab' * 32}",
            prev_hash=prev,
            hash="",
        )
        entry.hash = legacy_hash(entry)
        conn.execute(sa.insert(table).values({c.name: getattr(entry, c.name) for c in columns}))
        prev = entry.hash
    conn.execute(sa.text("DELETE FROM audit_head"))
    conn.execute(sa.text("INSERT INTO audit_head (id, seq, hash) VALUES (1, :seq, :hash)"),
                 {"seq": count, "hash": prev})  # fmt: skip
    return prev
