"""What becomes of evidence once it is kept: which partner units of the case may
download it, how long it is kept, its destruction with a second person's approval,
and the sweep of store objects that no record names.

Nobody deletes evidence. A unit administrator sets how long an item is kept; once that
day has passed, an administrator marks it for destruction with a reason, and another
administrator of the unit approves. Only then is its content removed from the store
(unless another item of the unit still holds the same content); its record stays, with
the SHA-256 of what was destroyed. Each step is a custody event and an audit entry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, or_, select

from mlat.audit_actions import AuditAction
from mlat.evidence_store import EvidenceStore
from mlat.messages import N_
from mlat.models import (
    EvidenceBlob,
    EvidenceGrant,
    EvidenceItem,
    MlaRequest,
    Role,
    Unit,
    User,
    utcnow,
)
from mlat.services import Forbidden, ServiceError, audit
from mlat.services.evidence import CustodyAction, add_custody, case_unit_ids, visible_item

MAX_REASON = 2000


def _lead_item(
    session: Session, user: User, item_id: int, *roles: Role
) -> tuple[EvidenceItem, EvidenceBlob, MlaRequest]:
    item, blob, request = visible_item(session=session, user=user, item_id=item_id)
    if request.unit_id != user.unit_id:
        raise Forbidden(N_("Only the unit that received the evidence can do this."))
    if not user.has_role(*roles):
        raise Forbidden(N_("You do not have permission to do this."))
    return item, blob, request


def _reason(reason: str, message: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ServiceError(message)
    return reason[:MAX_REASON]


# Partner units' access


@dataclass(frozen=True)
class PartnerAccess:
    unit: Unit
    granted: bool


def partner_access(
    *, session: Session, item: EvidenceItem, request: MlaRequest
) -> list[PartnerAccess]:
    """The other units of the request's case (the one that leads it, those it is shared
    with), and whether each may download the item."""
    if request.case_id is None:
        return []
    others = case_unit_ids(session=session, case_id=request.case_id) - {request.unit_id}
    units = session.exec(
        select(Unit).where(col(Unit.id).in_(others)).order_by(col(Unit.name))
    ).all()
    allowed = set(
        session.exec(select(EvidenceGrant.unit_id).where(EvidenceGrant.item_id == item.id)).all()
    )
    return [PartnerAccess(u, u.id in allowed) for u in units]


def change_access(
    *, session: Session, user: User, item_id: int, unit_id: int, grant: bool, reason: str,
    client_addr: str = "",
) -> Unit:  # fmt: skip
    """Allow a partner unit of the case to download the item, or no longer."""
    item, blob, request = _lead_item(session, user, item_id, Role.officer)
    partner = next(
        (p for p in partner_access(session=session, item=item, request=request)
         if p.unit.id == unit_id), None,
    )  # fmt: skip
    if partner is None:
        raise ServiceError(N_("Choose a partner unit of the request's case."))
    if partner.granted == grant:
        return partner.unit
    reason = _reason(reason, N_("Say why: the reason goes into the item's chain of custody."))
    assert item.id is not None and user.id is not None
    if grant:
        session.add(EvidenceGrant(item_id=item.id, unit_id=unit_id, granted_by=user.id))
    else:
        found = session.exec(
            select(EvidenceGrant).where(
                EvidenceGrant.item_id == item.id, EvidenceGrant.unit_id == unit_id
            )
        ).one()
        session.delete(found)
    said = "granted" if grant else "removed"
    add_custody(session, item, blob, user, CustodyAction.access, recipient=partner.unit.name,
                reason=f"{said}: {reason}", client_addr=client_addr)  # fmt: skip
    return partner.unit


def end_partner_access(
    *, session: Session, user: User, case_id: int, unit_id: int, client_addr: str = ""
) -> int:
    """A partner unit removed from a case loses every download it was allowed there,
    and the downloads it allowed others of its own evidence there end (its requests
    leave the case); each is a custody event. How many ended."""
    grants = session.exec(
        select(EvidenceGrant, EvidenceItem, EvidenceBlob, Unit)
        .join(EvidenceItem, col(EvidenceItem.id) == col(EvidenceGrant.item_id))
        .join(EvidenceBlob, col(EvidenceBlob.id) == col(EvidenceItem.blob_id))
        .join(MlaRequest, col(MlaRequest.id) == col(EvidenceItem.request_id))
        .join(Unit, col(Unit.id) == col(EvidenceGrant.unit_id))
        .where(
            MlaRequest.case_id == case_id,
            or_(col(EvidenceGrant.unit_id) == unit_id, col(MlaRequest.unit_id) == unit_id),
        )
    ).all()
    for grant, item, blob, unit in grants:
        session.delete(grant)
        add_custody(session, item, blob, user, CustodyAction.access, recipient=unit.name,
                    reason="removed: the unit no longer shares the case",
                    client_addr=client_addr)  # fmt: skip
    return len(grants)


# Retention and destruction


def set_retention(
    *, session: Session, user: User, item_id: int, until: dt.date, reason: str,
    client_addr: str = "",
) -> EvidenceItem:  # fmt: skip
    """Keep the item at least until ``until``; a unit administrator decides it."""
    item, blob, _request = _lead_item(session, user, item_id, Role.admin)
    if item.destroyed_at is not None:
        raise ServiceError(N_("This file was destroyed: its retention can no longer change."))
    if until < item.created_at.date():
        raise ServiceError(N_("The day it is kept until cannot be before the day it was received."))
    reason = _reason(reason, N_("Say why it is kept that long: a law, a case, a court's order."))
    item.retain_until = until
    item.destruction_asked_by, item.destruction_asked_at = None, None
    item.destruction_reason = ""
    session.add(item)
    add_custody(session, item, blob, user, CustodyAction.retention,
                reason=f"kept until {until.isoformat()}: {reason}",
                client_addr=client_addr)  # fmt: skip
    return item


def ask_destruction(
    *, session: Session, user: User, item_id: int, reason: str, today: dt.date,
    client_addr: str = "",
) -> EvidenceItem:  # fmt: skip
    """Mark the item for destruction, once its retention date has passed; another
    administrator of the unit approves it."""
    item, blob, _request = _lead_item(session, user, item_id, Role.admin)
    if item.destroyed_at is not None or item.destruction_asked_at is not None:
        raise ServiceError(N_("This file is already marked for destruction or destroyed."))
    if item.retain_until is None or item.retain_until >= today:
        raise ServiceError(
            N_("A file is destroyed only after the day it must be kept until has passed.")
        )
    reason = _reason(reason, N_("Say why it is destroyed."))
    item.destruction_asked_by, item.destruction_asked_at = user.id, utcnow()
    item.destruction_reason = reason
    session.add(item)
    add_custody(session, item, blob, user, CustodyAction.retention,
                reason=f"marked for destruction: {reason}", client_addr=client_addr)  # fmt: skip
    return item


def cancel_destruction(
    *, session: Session, user: User, item_id: int, reason: str, client_addr: str = ""
) -> EvidenceItem:
    """Withdraw the mark: the file is kept."""
    item, blob, _request = _lead_item(session, user, item_id, Role.admin)
    if item.destruction_asked_at is None or item.destroyed_at is not None:
        raise ServiceError(N_("This file is not waiting to be destroyed."))
    reason = _reason(reason, N_("Say why it is kept."))
    item.destruction_asked_by, item.destruction_asked_at = None, None
    item.destruction_reason = ""
    session.add(item)
    add_custody(session, item, blob, user, CustodyAction.retention,
                reason=f"destruction withdrawn: {reason}", client_addr=client_addr)  # fmt: skip
    return item


@dataclass(frozen=True)
class Destroyed:
    item: EvidenceItem
    object_name: str
    """the store object to remove once this is committed; empty: the content stays,
    because another item still holds it"""


def approve_destruction(
    *, session: Session, user: User, item_id: int, today: dt.date, client_addr: str = ""
) -> Destroyed:
    """A second administrator approves: the item is destroyed. Its record stays with
    the SHA-256 of what was destroyed; the caller removes the store object after the
    commit (a removal that fails then is left to the store's sweep)."""
    item, blob, _request = _lead_item(session, user, item_id, Role.admin)
    if item.destroyed_at is not None:
        raise ServiceError(N_("This file is already destroyed."))
    if item.destruction_asked_at is None:
        raise ServiceError(N_("This file is not marked for destruction."))
    if item.destruction_asked_by == user.id:
        raise Forbidden(
            N_("Another administrator of the unit approves a destruction, not the one who asked.")
        )
    if item.retain_until is None or item.retain_until >= today:
        raise ServiceError(
            N_("A file is destroyed only after the day it must be kept until has passed.")
        )
    item.destroyed_by, item.destroyed_at = user.id, utcnow()
    session.add(item)
    session.flush()
    add_custody(session, item, blob, user, CustodyAction.destroyed,
                reason=item.destruction_reason, client_addr=client_addr)  # fmt: skip
    audit.record(session=session, action=AuditAction.evidence_destroy, user=user,
                 object_type="evidence", object_id=item.id, client_addr=client_addr,
                 details={"sha256": blob.sha256, "size": blob.size,
                          "asked_by": item.destruction_asked_by,
                          "reason": item.destruction_reason[:500]})  # fmt: skip
    live = session.exec(
        select(EvidenceItem.id).where(
            EvidenceItem.blob_id == blob.id, col(EvidenceItem.destroyed_at).is_(None)
        )
    ).first()
    name = ""
    if live is None and blob.object_name:
        name, blob.object_name = blob.object_name, ""
        session.add(blob)
    return Destroyed(item, name)


# The store's sweep


def sweep_store(
    *, session: Session, store: EvidenceStore, older_than: dt.timedelta, now: dt.datetime
) -> list[str]:
    """Remove the store's objects that no record names (a receipt refused after a file
    was stored, a destruction whose removal failed), and bundles left in the staging
    folder, if older than ``older_than`` so that a file being recorded or a bundle
    being sent right now is left alone. The names removed."""
    named = set(session.exec(select(EvidenceBlob.object_name)).all())
    removed = []
    for name, modified in store.backend.objects():
        if name not in named and now - modified > older_than:
            store.backend.delete(name)
            removed.append(name)
    # bundles are written there while they are made and sent, and removed after; one
    # left by a process that stopped meanwhile goes too
    for path in store.scratch.glob("bundle-*.asice"):
        if now - dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC) > older_than:
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed
