"""The closed sets stored as strings (workflow actions, notification kinds, packet
copies, audit actions) are enums whose values are the strings already in the database."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import Session

from mlat.audit_actions import AuditAction
from mlat.models import (
    Notification,
    NotificationKind,
    PacketKind,
    RequestEvent,
    Role,
    WorkflowAction,
)
from mlat.services.notifications import MESSAGES
from mlat.workflow import TRANSITIONS
from tests.conftest import MakeRequest, MakeUser


def test_the_workflow_table_has_a_step_for_every_action_and_an_audit_action_for_each() -> None:
    assert {t.action for t in TRANSITIONS} == set(WorkflowAction)
    assert {AuditAction.of_step(t.action) for t in TRANSITIONS} <= set(AuditAction)


def test_every_notification_kind_has_its_message() -> None:
    assert set(MESSAGES) == set(NotificationKind)


def test_enums_are_stored_as_the_strings_they_were(
    db: Session, make_user: MakeUser, make_request: MakeRequest
) -> None:
    officer = make_user(Role.officer)
    request = make_request(officer)
    assert request.id is not None and officer.id is not None
    db.add(RequestEvent(request_id=request.id, actor_id=officer.id, action=WorkflowAction.return_,
                        from_status="in_review", to_status="returned"))  # fmt: skip
    db.add(Notification(user_id=officer.id, request_id=request.id, kind=NotificationKind.returned))
    db.commit()
    stored = db.execute(
        text("SELECT e.action, n.kind FROM request_event e, notification n "
             "WHERE e.request_id = :id AND n.request_id = :id"),
        {"id": request.id},
    ).one()  # fmt: skip
    assert tuple(stored) == ("return", "returned")
    assert [k.value for k in PacketKind] == ["signed", "draft", "internal", "ready"]
