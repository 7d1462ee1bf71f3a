"""Taking one step of the workflow table (``mlat.workflow.TRANSITIONS``): the state change,
guarded by the version the user saw, and what every step writes (the history entry, the
reviewer's comments, the notifications, the webhook events and the audit entry).

Two callers take steps, each after its own checks: ``mlat.services.workflow.transition``
the actions users choose, and ``mlat.services.requests.save_content`` the table's
``edit_after_approval`` step when a change reaches an approved request. Nothing else
changes a request's state.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col

from mlat.audit_actions import AuditAction
from mlat.messages import N_
from mlat.models import MlaRequest, RequestEvent, RequestStatus, ReviewComment, User
from mlat.services import Conflict, audit, case_news, notifications, webhook_events
from mlat.services.search_index import reindex
from mlat.workflow import REVIEW_ACTIONS, Transition

CHANGED_MEANWHILE = N_(
    "The request was changed (perhaps by an earlier click, or by someone else) "
    "before this could be done. Its current state is shown."
)


def reviewable(request: MlaRequest) -> dict[str, Any]:
    """What a reviewer looks at: the title, the requested state and the content."""
    return {"title": request.title, "requested_state": request.requested_state,
            **request.content}  # fmt: skip


def take(
    *,
    session: Session,
    request: MlaRequest,
    actor: User,
    step: Transition,
    expected_version: int,
    values: dict[str, Any],
    comment: str = "",
    field_comments: Sequence[tuple[str, str]] = (),
    details: dict[str, Any] | None = None,
    client_addr: str = "",
) -> RequestEvent:
    """Move the request to the step's target with the other column ``values``, from the
    version and state the user saw (so a double click or two users at once make one step,
    not two), and write what the step leaves. The caller has checked that the table, the
    user's roles and unit allow it, and commits."""
    from_status = RequestStatus(request.status)
    moved = session.execute(
        update(MlaRequest)
        .where(
            col(MlaRequest.id) == request.id,
            col(MlaRequest.version) == expected_version,
            col(MlaRequest.status) == from_status,
        )
        .values(version=expected_version + 1, status=step.target, **values)
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(CHANGED_MEANWHILE)
    session.refresh(request)
    assert request.id is not None and actor.id is not None
    event = RequestEvent(
        request_id=request.id,
        actor_id=actor.id,
        action=step.action,
        from_status=from_status,
        to_status=step.target,
        comment=comment.strip(),
        details=details or {},
        content_digest=request.content_digest,
        snapshot=reviewable(request) if step.action in REVIEW_ACTIONS else None,
    )
    session.add(event)
    session.flush()
    assert event.id is not None
    for path, body in field_comments:
        if body.strip():
            session.add(
                ReviewComment(request_id=request.id, event_id=event.id, author_id=actor.id,
                              field=path[:100], body=body.strip())
            )  # fmt: skip
    if event.comment or any(body.strip() for _path, body in field_comments):
        reindex(session=session, request=request)  # comments are searched too
    told = notifications.after_transition(session=session, request=request,
                                          action=step.action, actor=actor)  # fmt: skip
    case_news.after_step(session=session, request=request, action=step.action, actor=actor,
                         told=told)  # fmt: skip
    webhook_events.after_step(session=session, request=request, action=step.action,
                              from_status=from_status)  # fmt: skip
    audit.record(session=session, action=AuditAction.of_step(step.action), user=actor,
                 object_type="request", object_id=request.id, client_addr=client_addr)  # fmt: skip
    session.flush()
    return event
