"""Shared by the workflow tests: the workflow table written out by hand, the day they
run on, taking a step as the view does, and reading back what a step left."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session, col, func, select

from mlat.models import AuditEntry, MlaRequest, RequestEvent, RequestStatus, Role, User
from mlat.services.workflow import Inputs, transition

TODAY = dt.date(2026, 11, 22)

S = RequestStatus
OFFICER, REVIEWER, PROSECUTOR, ADMIN = Role.officer, Role.reviewer, Role.prosecutor, Role.admin
UNIT_STAFF = {OFFICER, REVIEWER, PROSECUTOR}
AFTER_TRANSMISSION = (S.transmitted, S.acknowledged, S.partially_executed)

# The workflow as the unit works it, written out by hand: (state, action) -> (new state,
# who may take it). Everything not listed is refused, and administrators take no step.
ALLOWED: dict[tuple[S, str], tuple[S, set[Role]]] = {
    (S.draft, "submit"): (S.in_review, {OFFICER}),
    (S.returned, "submit"): (S.in_review, {OFFICER}),
    (S.in_review, "approve"): (S.approved, {REVIEWER}),
    (S.in_review, "return"): (S.returned, {REVIEWER}),
    (S.approved, "sign"): (S.signed, {PROSECUTOR}),
    (S.signed, "transmit"): (S.transmitted, {OFFICER, PROSECUTOR}),
    (S.transmitted, "acknowledge"): (S.acknowledged, UNIT_STAFF),
    **{(s, "execute_partly"): (S.partially_executed, UNIT_STAFF) for s in AFTER_TRANSMISSION},
    **{(s, "execute"): (S.executed, UNIT_STAFF) for s in AFTER_TRANSMISSION},
    **{(s, "refuse"): (S.refused, UNIT_STAFF) for s in AFTER_TRANSMISSION},
    **{
        (s, "withdraw"): (S.withdrawn, {OFFICER})
        for s in (S.draft, S.returned, S.in_review, S.approved, S.signed, *AFTER_TRANSMISSION)
    },
    **{(s, "close"): (S.closed, UNIT_STAFF) for s in (S.executed, S.refused, S.withdrawn)},
}


def events(db: Session, request: MlaRequest) -> list[RequestEvent]:
    return list(db.exec(select(RequestEvent).where(RequestEvent.request_id == request.id)))


def audit_actions(db: Session, request: MlaRequest) -> list[str]:
    entries = db.exec(
        select(AuditEntry.action)
        .where(AuditEntry.object_type == "request", AuditEntry.object_id == str(request.id))
        .order_by(col(AuditEntry.seq))
    )
    return list(entries)


def count(db: Session, model: Any) -> int:
    return int(db.exec(select(func.count()).select_from(model)).one())


def take(db: Session, request: MlaRequest, actor: User, action: str, **inputs: Any) -> RequestEvent:
    """Take a step as the view does: with the version loaded, then commit."""
    event = transition(
        session=db,
        request=request,
        actor=actor,
        action=action,
        expected_version=request.version,
        inputs=Inputs(**inputs),
        today=TODAY,
    )
    db.commit()
    return event
