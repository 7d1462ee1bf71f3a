"""A step happens whole or not at all: a double click takes it once, and a failure in
the middle leaves nothing half done."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from mlat.models import MlaRequest, Notification, ReviewComment, Role, User
from mlat.services import Conflict
from mlat.services import audit as audit_svc
from mlat.services.workflow import transition
from tests.conftest import MakeUser
from tests.workflow.steps import (
    ALLOWED,
    OFFICER,
    PROSECUTOR,
    REVIEWER,
    TODAY,
    S,
    count,
    events,
    take,
)
from tests.workflow_helpers import put_in_state

# Double clicks and failures in the middle --------------------------------------------------


def test_the_same_step_taken_twice_with_the_same_version_happens_once(
    db: Session, ready: MlaRequest, officer: User
) -> None:
    version = ready.version
    for _click in range(2):
        try:
            transition(
                session=db, request=ready, actor=officer, action="submit",
                expected_version=version, today=TODAY,
            )  # fmt: skip
        except Conflict:
            db.rollback()
        else:
            db.commit()
    db.refresh(ready)
    assert (ready.status, ready.version) == (S.in_review, version + 1)
    assert [e.action for e in events(db, ready)] == ["submit"]


@pytest.mark.parametrize(
    ("state", "action", "role", "inputs"),
    [
        (S.draft, "submit", OFFICER, {}),
        (S.in_review, "return", REVIEWER, {"field_comments": [("facts", "Too short.")]}),
        (S.in_review, "approve", REVIEWER, {"seen_digest": "current"}),
        (S.signed, "transmit", PROSECUTOR, {"on": TODAY, "channel": "central_authority"}),
    ],
    ids=["submit", "return", "approve", "transmit"],
)
def test_a_failure_after_the_state_changed_leaves_nothing_half_done(
    db: Session,
    ready: MlaRequest,
    make_user: MakeUser,
    monkeypatch: pytest.MonkeyPatch,
    state: S,
    action: str,
    role: Role,
    inputs: dict[str, Any],
) -> None:
    make_user(Role.reviewer)  # people who would be notified
    make_user(Role.prosecutor)
    request = put_in_state(db, ready, state)
    if "seen_digest" in inputs:
        inputs = {**inputs, "seen_digest": request.content_digest}
    actor = make_user(role)
    before = (request.status, request.version, audit_svc.head(session=db))
    seen_mid_step: list[str] = []

    def fail_after_the_update(session: Any, **_kwargs: Any) -> None:
        seen_mid_step.append(session.get(MlaRequest, request.id).status)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(audit_svc, "record", fail_after_the_update)  # as the service calls it
    with pytest.raises(RuntimeError):
        take(db, request, actor, action, **inputs)
    db.rollback()
    monkeypatch.undo()

    assert seen_mid_step == [ALLOWED[(state, action)][0]]  # it did fail half-way
    db.refresh(request)
    assert (request.status, request.version, audit_svc.head(session=db)) == before
    assert events(db, request) == []
    assert count(db, Notification) == 0
    assert count(db, ReviewComment) == 0
    assert request.approved_digest is None and request.transmitted_on is None
