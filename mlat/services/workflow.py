"""Moving a request through the workflow (``mlat.workflow.TRANSITIONS``).

``transition`` is the one function that changes a request's state. In one transaction
it checks the table, the user's roles and unit, the four-eyes rule and the approved
digest; changes the state with a version check (so a double click or two reviewers at
once make one transition, not two); and writes the history, the review comments, the
notifications and the audit entry. The caller commits once, or rolls everything back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from mlat.audit_actions import AuditAction
from mlat.content import Change, changes
from mlat.dates import local_today
from mlat.models import (
    MlaRequest,
    RequestEditor,
    RequestEvent,
    RequestStatus,
    ReviewComment,
    Unit,
    User,
    utcnow,
)
from mlat.rules.schema import Channel
from mlat.services import (
    N_,
    Conflict,
    Forbidden,
    NotFound,
    ServiceError,
    audit,
    notifications,
    packet_jobs,
)
from mlat.services.validation import validate_request
from mlat.workflow import BY_ACTION, Transition

REVIEW_ACTIONS = ("approve", "return")
MAX_COMMENT = 5000
CHANGED_MEANWHILE = N_(
    "The request was changed (perhaps by an earlier click, or by someone else) "
    "before this could be done. Its current state is shown."
)


@dataclass(frozen=True)
class Inputs:
    """What an action asks of the user, beyond pressing the button."""

    comment: str = ""
    field_comments: Sequence[tuple[str, str]] = ()
    on: dt.date | None = None
    channel: str = ""
    foreign_reference: str = ""
    seen_digest: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def editors(session: Session, request: MlaRequest) -> set[int]:
    """Everyone who drafted or changed the request."""
    rows = session.exec(select(RequestEditor.user_id).where(RequestEditor.request_id == request.id))
    return set(rows) | {request.owner_id}


def may_take(session: Session, request: MlaRequest, user: User, step: Transition) -> bool:
    """Whether the table, the user's roles and the four-eyes rule allow the action now."""
    if request.unit_id != user.unit_id or not user.has_role(*step.roles):
        return False
    if RequestStatus(request.status) not in step.sources:
        return False
    return not (step.action == "approve" and user.id in editors(session, request))


def _check(
    session: Session,
    request: MlaRequest,
    actor: User,
    step: Transition,
    inputs: Inputs,
    today: dt.date,
    expected_version: int,
) -> None:
    if request.unit_id != actor.unit_id:
        raise NotFound(N_("No such request."))
    if request.version != expected_version:  # a second click, or someone else was quicker
        raise Conflict(CHANGED_MEANWHILE)
    if not actor.has_role(*step.roles):
        raise Forbidden(N_("Your roles do not allow you to do this."))
    if RequestStatus(request.status) not in step.sources:
        raise ServiceError(
            N_("This cannot be done to a request in the state “%(status)s”."),
            status=request.status,
        )
    if step.action == "approve" and actor.id in editors(session, request):
        raise Forbidden(N_("You drafted or changed this request, so someone else must approve it."))
    if step.action == "approve" and inputs.seen_digest != request.content_digest:
        raise Conflict(
            N_("The request changed while you were reviewing it. Review the changes shown.")
        )
    _check_inputs(step, inputs, today)


def _check_inputs(step: Transition, inputs: Inputs, today: dt.date) -> None:
    if "comment" in step.needs and not (inputs.comment.strip() or inputs.field_comments):
        raise ServiceError(N_("Give a reason or a comment."))
    if len(inputs.comment) > MAX_COMMENT or any(
        len(body) > MAX_COMMENT for _, body in inputs.field_comments
    ):
        raise ServiceError(N_("Comments are limited to %(num)d characters."), num=MAX_COMMENT)
    if ("date" in step.needs or "transmission" in step.needs) and inputs.on is None:
        raise ServiceError(N_("Give the date."))
    if inputs.on is not None and inputs.on > today + dt.timedelta(days=1):
        raise ServiceError(N_("The date cannot be in the future."))
    if "transmission" in step.needs and inputs.channel not in {c.value for c in Channel}:
        raise ServiceError(N_("Choose the channel the request was sent through."))


def _state_columns(step: Transition, request: MlaRequest, inputs: Inputs) -> dict[str, Any]:
    now = utcnow()
    values: dict[str, Any] = {"status": step.target, "updated_at": now}
    if step.action == "submit":
        values["submitted_at"] = now
    elif step.action == "approve":
        values |= {"approved_at": now, "approved_digest": request.content_digest}
    elif step.action == "return":
        values["approved_digest"] = None
    elif step.action == "sign":
        values["signed_at"] = now
    elif step.action == "transmit":
        values |= {
            "transmitted_on": inputs.on,
            "transmission_channel": inputs.channel,
            "foreign_reference": inputs.foreign_reference.strip()[:100],
        }
    elif step.action == "execute":
        values["executed_on"] = inputs.on
    return values


def transition(
    *,
    session: Session,
    request: MlaRequest,
    actor: User,
    action: str,
    expected_version: int,
    inputs: Inputs | None = None,
    today: dt.date | None = None,
    client_addr: str = "",
) -> RequestEvent:
    """Take one action of the workflow table, or refuse it with a reason the user can act on."""
    inputs = inputs or Inputs()
    today = today or local_today(actor.unit)
    step = BY_ACTION.get(action)
    if step is None:
        raise ServiceError(N_("There is no such action."))
    _check(session, request, actor, step, inputs, today, expected_version)
    if step.action == "submit":
        unit = session.get(Unit, request.unit_id)
        assert unit is not None
        findings = validate_request(request=request, unit=unit, today=today)
        errors = [f for f in findings if f.severity == "error"]
        if errors:
            raise ServiceError(
                N_("Fix the %(num)d problems shown before submitting."), num=len(errors)
            )
    from_status = RequestStatus(request.status)
    moved = session.execute(
        update(MlaRequest)
        .where(
            col(MlaRequest.id) == request.id,
            col(MlaRequest.version) == expected_version,
            col(MlaRequest.status) == from_status,
        )
        .values(version=expected_version + 1, **_state_columns(step, request, inputs))
    )
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(CHANGED_MEANWHILE)
    session.refresh(request)
    if step.action == "sign":
        # The signed packet is rendered once, by a job queued when this commits, and
        # served unchanged ever after.
        packet_jobs.request_render(session=session, request=request,
                                   kind=packet_jobs.SIGNED, user=actor)  # fmt: skip
    event = _write_history(session, request, actor, step, from_status, inputs)
    notifications.after_transition(session=session, request=request, action=step.action,
                                   actor=actor)  # fmt: skip
    audit.record(session, action=AuditAction.of_step(step.action), user=actor,
                 object_type="request", object_id=request.id, client_addr=client_addr)  # fmt: skip
    session.flush()
    return event


def reviewable(request: MlaRequest) -> dict[str, Any]:
    """What a reviewer looks at: the title, the requested state and the content."""
    return {"title": request.title, "requested_state": request.requested_state,
            **request.content}  # fmt: skip


def _write_history(
    session: Session,
    request: MlaRequest,
    actor: User,
    step: Transition,
    from_status: RequestStatus,
    inputs: Inputs,
) -> RequestEvent:
    assert request.id is not None
    details: dict[str, Any] = dict(inputs.details)
    if inputs.on is not None:
        details["on"] = inputs.on.isoformat()
    if step.action == "transmit":
        details |= {"channel": inputs.channel, "foreign_reference": inputs.foreign_reference}
    event = RequestEvent(
        request_id=request.id,
        actor_id=actor.id,
        action=step.action,
        from_status=from_status,
        to_status=step.target,
        comment=inputs.comment.strip(),
        details=details,
        content_digest=request.content_digest,
        snapshot=reviewable(request) if step.action in REVIEW_ACTIONS else None,
    )
    session.add(event)
    session.flush()
    assert event.id is not None and actor.id is not None and request.id is not None
    for path, body in inputs.field_comments:
        if body.strip():
            session.add(
                ReviewComment(request_id=request.id, event_id=event.id, author_id=actor.id,
                              field=path[:100], body=body.strip())
            )  # fmt: skip
    return event


def history(session: Session, request: MlaRequest) -> list[RequestEvent]:
    return list(
        session.exec(
            select(RequestEvent)
            .where(RequestEvent.request_id == request.id)
            .order_by(col(RequestEvent.id))
        )
    )


def last_review(session: Session, request: MlaRequest) -> RequestEvent | None:
    return session.exec(
        select(RequestEvent)
        .where(
            RequestEvent.request_id == request.id,
            col(RequestEvent.action).in_(REVIEW_ACTIONS),
        )
        .order_by(col(RequestEvent.id).desc())
        .limit(1)
    ).first()


def changes_since_review(session: Session, request: MlaRequest) -> list[Change] | None:
    """What changed since the last approval or return; None when never reviewed."""
    event = last_review(session, request)
    if event is None or event.snapshot is None:
        return None
    return changes(event.snapshot, reviewable(request))


def open_comments(session: Session, request: MlaRequest) -> list[ReviewComment]:
    """The comments of the latest return, which the officer is working through."""
    event = session.exec(
        select(RequestEvent)
        .where(RequestEvent.request_id == request.id, RequestEvent.action == "return")
        .order_by(col(RequestEvent.id).desc())
        .limit(1)
    ).first()
    if event is None:
        return []
    return list(
        session.exec(
            select(ReviewComment)
            .where(ReviewComment.event_id == event.id)
            .order_by(col(ReviewComment.id))
        )
    )


def people(session: Session, request: MlaRequest, events: list[RequestEvent]) -> dict[int, str]:
    """Names of the owner and of the users who appear in the request's history."""
    ids = {e.actor_id for e in events if e.actor_id} | {request.owner_id}
    return {u.id: u.name for u in session.exec(select(User).where(col(User.id).in_(ids))) if u.id}
