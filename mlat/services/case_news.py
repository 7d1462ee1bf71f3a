"""Who hears of a change to a case's requests, and how: the case's members by the
notification centre (and e-mail), its units' webhook endpoints by an event.

Kept apart from ``mlat.services.cases``, which drafts requests through the requests
service: the workflow steps call this module, and it needs nothing above the models.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlmodel import Session, col, select

from mlat.models import (
    CaseFile,
    CasePartner,
    MlaRequest,
    NotificationKind,
    Role,
    User,
    UserRole,
    WorkflowAction,
)
from mlat.services import notifications, webhook_events


def case_units(*, session: Session, case: CaseFile) -> list[int]:
    """The lead unit and the partner units, lead first."""
    partners = session.exec(select(CasePartner.unit_id).where(CasePartner.case_id == case.id))
    return [case.unit_id, *sorted(partners)]


def members(*, session: Session, case: CaseFile) -> list[User]:
    """Who works on the case and hears of its changes: its lead officer, who drafted each
    of its requests, and the officers of its partner units; active users only."""
    units = case_units(session=session, case=case)
    owners = select(MlaRequest.owner_id).where(
        MlaRequest.case_id == case.id, col(MlaRequest.unit_id).in_(units)
    )
    found = {
        u.id: u
        for u in session.exec(
            select(User).where(col(User.id).in_(owners) | (col(User.id) == case.lead_officer_id))
        )
    }
    if len(units) > 1:
        officers = session.exec(
            select(User)
            .join(UserRole, col(UserRole.user_id) == col(User.id))
            .where(col(User.unit_id).in_(units[1:]), UserRole.role == Role.officer)
        )
        found.update((u.id, u) for u in officers)
    return sorted((u for u in found.values() if u.active), key=lambda u: u.id or 0)


def after_step(
    *,
    session: Session,
    request: MlaRequest,
    action: WorkflowAction,
    actor: User,
    told: Collection[int] = (),
) -> None:
    """Tell the case's members that one of its requests took a step (not the actor,
    nor those ``told`` of it already), and its units' endpoints that asked for it."""
    case = session.get(CaseFile, request.case_id) if request.case_id is not None else None
    if case is None:
        return
    units = case_units(session=session, case=case)
    if request.unit_id not in units:
        return
    recipients = [
        u for u in members(session=session, case=case) if u.id != actor.id and u.id not in told
    ]
    notifications.notify(session=session, users=recipients, request=request,
                         kind=NotificationKind.case_changed, case_id=case.id)  # fmt: skip
    webhook_events.emit(
        session=session,
        request=request,
        event=webhook_events.WebhookEvent.case_request_changed,
        data={"case": {"id": case.id}, "action": str(action)},
        unit_ids=units,
    )
