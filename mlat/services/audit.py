"""The audit trail: an append-only, hash-chained log of who did what.

Each entry stores the hash of the entry before it and the HMAC-SHA-256 of its own
canonical content (which includes that previous hash) under a key kept outside the
database (``mlat.services.audit_keys``), so editing, deleting or inserting an entry breaks
the chain at that point, and a chain recomputed without the key does not verify.
``verify`` walks the chain; ``head`` gives the newest hash, which signed checkpoints keep
outside the database (``mlat.services.audit_checkpoints``), so that cutting the newest
entries off or replacing the whole chain shows too.

Entries written before the key existed have an empty ``key_id`` and the plain SHA-256 of
their content; once an entry is keyed, every later one must be.

Appends are ordered by the single ``audit_head`` row: raising its counter takes the
row's write lock, so concurrent transactions append one after the other, and an entry
is part of the chain only if the transaction that wrote it commits.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from mlat.audit_actions import AuditAction, Outcome
from mlat.models import AuditEntry, AuditHead, User, utcnow
from mlat.services.audit_keys import NO_KEYS, Keyring, UnknownKey, appended, trail_for

__all__ = ["AuditAction", "Outcome"]  # re-exported for callers of ``record``

GENESIS = "0" * 64
VERIFY_BATCH = 1000


def canonical(entry: AuditEntry) -> bytes:
    """The bytes an entry's hash covers: every field but the hash itself.

    ``details`` and ``key_id`` are covered when they hold anything. Entries without
    details, among them every entry written before the column existed (migration 0008),
    and entries written before keys (migration 0016) hash exactly as they always did, so
    one chain runs across both changes.
    """
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
    if entry.details:
        fields["details"] = entry.details
    if entry.key_id:
        fields["key_id"] = entry.key_id
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def entry_hash(entry: AuditEntry, keys: Keyring = NO_KEYS) -> str:
    """The HMAC of the entry under the key it names, or the plain SHA-256 of an entry
    written before keys; raises ``UnknownKey`` for a key that is not in ``keys``."""
    if not entry.key_id:
        return hashlib.sha256(canonical(entry)).hexdigest()
    return keys.entry_mac(entry.key_id, canonical(entry))


def _raise_head(session: Session) -> tuple[int, str]:
    """Take the next sequence number, holding the head row's lock until commit."""
    for _attempt in range(3):
        row = session.execute(
            update(AuditHead)
            .where(col(AuditHead.id) == 1)
            .values(seq=col(AuditHead.seq) + 1)
            .returning(col(AuditHead.seq), col(AuditHead.hash))
        ).one_or_none()
        if row is not None:
            return int(row[0]), str(row[1])
        try:
            with session.begin_nested():
                session.add(AuditHead(id=1, seq=1, hash=GENESIS))
            return 1, GENESIS
        except IntegrityError:
            continue  # another transaction created the head first
    raise RuntimeError("could not take the audit chain head")


def record(
    *,
    session: Session,
    action: AuditAction,
    user: User | None = None,
    unit_id: int | None = None,
    object_type: str = "",
    object_id: str | int | None = "",
    outcome: Outcome = Outcome.success,
    reason: str = "",
    details: Mapping[str, Any] | None = None,
    client_addr: str = "",
    at: dt.datetime | None = None,
) -> AuditEntry:
    """Append an entry; it becomes part of the chain when the caller commits.

    ``details`` holds strings, integers, booleans and lists of them (no floats, whose
    text may not survive the database unchanged); ``reason`` is for failures and refusals.
    """
    trail = trail_for(session)
    keys = trail.keyring() if trail is not None else NO_KEYS
    seq, prev_hash = _raise_head(session)
    entry = AuditEntry(
        seq=seq,
        at=(at or utcnow()).astimezone(dt.UTC),
        user_id=user.id if user is not None else None,
        unit_id=unit_id if unit_id is not None else (user.unit_id if user is not None else None),
        action=action[:48],
        object_type=object_type[:32],
        object_id="" if object_id is None else str(object_id)[:64],
        outcome=outcome[:16],
        reason=reason[:500],
        # Stored as it reads back from JSON, so the hash covers what verify will read.
        details=json.loads(json.dumps(dict(details or {}))),
        client_addr=client_addr[:64],
        prev_hash=prev_hash,
        key_id=keys.signing_id,
        hash="",
    )
    entry.hash = entry_hash(entry, keys)
    session.add(entry)
    session.execute(update(AuditHead).where(col(AuditHead.id) == 1).values(hash=entry.hash))
    session.flush()
    if trail is not None:
        appended(session, trail)
    return entry


def head(*, session: Session) -> tuple[int, str]:
    """The sequence number and hash of the newest entry (read from the database, not from
    the session's identity map, which may hold an older head)."""
    row = session.execute(
        select(AuditHead.seq, AuditHead.hash).where(col(AuditHead.id) == 1)
    ).one_or_none()
    return (int(row[0]), str(row[1])) if row is not None else (0, GENESIS)


@dataclass(frozen=True)
class Verification:
    intact: bool
    checked: int
    broken_at: int | None = None
    problem: str = ""


def _entries(session: Session) -> Iterator[AuditEntry]:
    after = 0
    while True:
        batch = list(
            session.exec(
                select(AuditEntry)
                .where(col(AuditEntry.seq) > after)
                .order_by(col(AuditEntry.seq))
                .limit(VERIFY_BATCH)
            )
        )
        if not batch:
            return
        yield from batch
        after = batch[-1].seq
        session.expunge_all()


def _unfit(entry: AuditEntry, keys: Keyring, keyed_before: bool) -> str:
    """What is wrong with the entry's own hash, or ""."""
    if not entry.key_id and keyed_before:
        return "written without the key, after entries written with it"
    try:
        if entry_hash(entry, keys) != entry.hash:
            return "content changed after it was written"
    except UnknownKey:
        return f"hashed with the key {entry.key_id}, which is not configured"
    return ""


def verify(*, session: Session, keys: Keyring | None = None) -> Verification:
    """Walk the whole chain and report the first entry that does not fit.

    ``keys`` defaults to those of the session's engine. The head is read before the
    walk: every entry up to it was committed with it, so it must be there and end with
    the head's hash. Entries appended while the walk goes on are fine, but none may lie
    beyond the head as it is after the walk.
    """
    if keys is None:
        trail = trail_for(session)
        keys = trail.keyring() if trail is not None else NO_KEYS
    head_seq, head_hash = head(session=session)
    expected_seq, prev = 1, GENESIS
    checked, keyed = 0, False
    for entry in _entries(session):
        if entry.seq != expected_seq:
            return Verification(False, checked, expected_seq, "missing entry")
        if entry.prev_hash != prev:
            return Verification(False, checked, entry.seq, "does not follow the entry before")
        problem = _unfit(entry, keys, keyed)
        if problem:
            return Verification(False, checked, entry.seq, problem)
        keyed = keyed or bool(entry.key_id)
        if entry.seq == head_seq and entry.hash != head_hash:
            return Verification(False, checked, entry.seq, "does not match the chain head")
        prev, expected_seq = entry.hash, expected_seq + 1
        checked += 1
    if checked < head_seq:
        return Verification(False, checked, checked + 1, "entries missing at the end of the chain")
    last_seq, last_hash = head(session=session)
    if checked > last_seq:
        return Verification(False, last_seq, last_seq + 1, "not in the chain head: inserted")
    if checked == last_seq and prev != last_hash:
        return Verification(False, checked - 1, checked, "does not match the chain head")
    return Verification(True, checked)


def about_unit(unit_id: int) -> ColumnElement[bool]:
    """The entries a unit's administrator reads: those of the unit's users' actions, and
    those about the unit, its users (whoever acted: an installation administrator, an
    operator on the command line) and failed logins to its users' accounts."""
    return or_(
        col(AuditEntry.unit_id) == unit_id,
        and_(col(AuditEntry.object_type) == "unit", col(AuditEntry.object_id) == str(unit_id)),
        and_(
            col(AuditEntry.object_type) == "user",
            col(AuditEntry.object_id).in_(
                select(cast(col(User.id), String)).where(User.unit_id == unit_id)
            ),
        ),
        and_(
            col(AuditEntry.object_type) == "email",
            col(AuditEntry.object_id).in_(
                select(func.substr(User.email, 1, 64)).where(User.unit_id == unit_id)
            ),
        ),
    )


def search(
    *,
    session: Session,
    unit_id: int | None = None,
    user_id: int | None = None,
    action: str = "",
    object_type: str = "",
    object_id: str = "",
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 100,
    before_seq: int | None = None,
) -> list[AuditEntry]:
    """Entries matching the filters, newest first; ``unit_id``: only those a unit's
    administrator reads (``about_unit``)."""
    query = select(AuditEntry)
    if unit_id is not None:
        query = query.where(about_unit(unit_id))
    if user_id is not None:
        query = query.where(AuditEntry.user_id == user_id)
    if action:
        query = query.where(col(AuditEntry.action).startswith(action))
    if object_type:
        query = query.where(AuditEntry.object_type == object_type)
    if object_id:
        query = query.where(AuditEntry.object_id == object_id)
    if since is not None:
        query = query.where(col(AuditEntry.at) >= since)
    if until is not None:
        query = query.where(col(AuditEntry.at) < until)
    if before_seq is not None:
        query = query.where(col(AuditEntry.seq) < before_seq)
    return list(session.exec(query.order_by(col(AuditEntry.seq).desc()).limit(limit)))


CSV_FIELDS = (
    "seq",
    "at",
    "user_id",
    "unit_id",
    "action",
    "object_type",
    "object_id",
    "outcome",
    "reason",
    "details",
    "client_addr",
    "prev_hash",
    "hash",
)


def to_csv(entries: list[AuditEntry]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    for entry in entries:
        row = [getattr(entry, name) for name in CSV_FIELDS]
        row[CSV_FIELDS.index("details")] = (
            json.dumps(entry.details, sort_keys=True, ensure_ascii=False) if entry.details else ""
        )
        # A cell starting with = + - @ (or a tab or carriage return before one) would be run
        # as a formula by spreadsheets.
        writer.writerow(
            "'" + v if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r") else v
            for v in row
        )
    return out.getvalue()
