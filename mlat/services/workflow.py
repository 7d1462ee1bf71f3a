"""Moving a request through the workflow (``mlat.workflow.TRANSITIONS``).

``transition`` takes the actions users choose. In one transaction it checks the table,
the user's roles and unit, the four-eyes rule and the approved digest (``refusal``);
then ``mlat.services.steps.take`` changes the state with a version check (so a double
click or two reviewers at once make one transition, not two) and writes the history,
the review comments, the notifications and the audit entry. The caller commits once,
or rolls everything back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from mlat.content import Change, changes
from mlat.dates import local_date, local_today
from mlat.messages import N_, Np_
from mlat.models import (
    MlaRequest,
    RequestAnnex,
    RequestEditor,
    RequestEvent,
    RequestStatus,
    ReviewComment,
    Unit,
    User,
    WorkflowAction,
    utcnow,
)
from mlat.request_format import Channel
from mlat.rules.addressee import addressee
from mlat.rules.loader import rulebook
from mlat.rules.words import Words
from mlat.services import (
    Conflict,
    Forbidden,
    NotFound,
    ServiceError,
    packet_jobs,
    steps,
)
from mlat.services.signing import signing_refusal
from mlat.services.steps import CHANGED_MEANWHILE, reviewable
from mlat.services.validation import request_document, validate_request
from mlat.workflow import BY_ACTION, REVIEW_ACTIONS, Transition
from mlat.workflow import may_download as table_may_download

MAX_COMMENT = 5000


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


def editors(*, session: Session, request: MlaRequest) -> set[int]:
    """Everyone who drafted or changed the request."""
    rows = session.exec(select(RequestEditor.user_id).where(RequestEditor.request_id == request.id))
    return set(rows) | {request.owner_id}


def prepare_for_signing(*, session: Session, request: MlaRequest, user: User) -> None:
    """When the user may sign the request now, have its packet rendered as they would
    sign it, while they read it: signing then only adds the signature."""
    if request.status != RequestStatus.approved:
        return
    if refusal(session=session, request=request, user=user, step=BY_ACTION["sign"]) is None:
        packet_jobs.prepare_signature(session=session, request=request, user=user)


def may_download(*, session: Session, user: User, request: MlaRequest) -> bool:
    """Whether the user may download the request's packet, annexes or export
    (``mlat.workflow.may_download``): one rule for the three."""
    return table_may_download(user, editors(session=session, request=request))


def refusal(
    *,
    session: Session,
    request: MlaRequest,
    user: User,
    step: Transition,
    expected_version: int | None = None,
) -> ServiceError | None:
    """Why the action cannot be taken now, or None when it can: the user's unit, the
    version the user saw (when given), the table, the user's roles and the four-eyes rule.
    The order matters: a second click finds the version moved before the state."""
    if request.unit_id != user.unit_id:
        return NotFound(N_("No such request."))
    if expected_version is not None and request.version != expected_version:
        return Conflict(CHANGED_MEANWHILE)  # a second click, or someone else was quicker
    if not user.has_role(*step.roles):
        return Forbidden(N_("Your roles do not allow you to do this."))
    if RequestStatus(request.status) not in step.sources:
        return ServiceError(
            N_("This cannot be done to a request in the state “%(status)s”."),
            status=request.status,
        )
    if step.action == "approve" and user.id in editors(session=session, request=request):
        return Forbidden(
            N_("You drafted or changed this request, so someone else must approve it.")
        )
    if step.action == "sign":
        return _duties_apart(session, request, user)
    return None


def _duties_apart(session: Session, request: MlaRequest, user: User) -> Forbidden | None:
    """Where the unit keeps duties apart (the default), the prosecutor who signs neither
    drafted nor changed the request nor approved it: one person holding several roles
    cannot carry a request alone from draft to signature."""
    unit = session.get(Unit, request.unit_id)
    if unit is None or not unit.separate_duties:
        return None
    if user.id in editors(session=session, request=request):
        return Forbidden(
            N_("You drafted or changed this request, so another prosecutor must sign it.")
        )
    if user.id == approver(session=session, request=request):
        return Forbidden(N_("You approved this request, so another prosecutor must sign it."))
    return None


def approver(*, session: Session, request: MlaRequest) -> int | None:
    """Who gave the request's current approval."""
    return session.exec(
        select(RequestEvent.actor_id)
        .where(
            RequestEvent.request_id == request.id,
            RequestEvent.action == WorkflowAction.approve,
        )
        .order_by(col(RequestEvent.id).desc())
    ).first()


def _check_inputs(step: Transition, inputs: Inputs, today: dt.date) -> None:
    if "comment" in step.needs and not (inputs.comment.strip() or inputs.field_comments):
        raise ServiceError(N_("Give a reason or a comment."))
    if len(inputs.comment) > MAX_COMMENT or any(
        len(body) > MAX_COMMENT for _, body in inputs.field_comments
    ):
        raise ServiceError(
            Np_(
                "Comments are limited to %(n)d character.",
                "Comments are limited to %(n)d characters.",
            ),
            n=MAX_COMMENT,
        )
    if ("date" in step.needs or "transmission" in step.needs) and inputs.on is None:
        raise ServiceError(N_("Give the date."))
    if inputs.on is not None and inputs.on > today + dt.timedelta(days=1):
        raise ServiceError(N_("The date cannot be in the future."))
    if "transmission" in step.needs and inputs.channel not in {c.value for c in Channel}:
        raise ServiceError(N_("Choose the channel the request was sent through."))


def _check_order(step: Transition, request: MlaRequest, on: dt.date | None, timezone: str) -> None:
    """A date given for an action cannot come before the step it follows: a request is
    sent after it is signed, and acknowledged, executed or refused after it is sent."""
    if on is None:
        return
    if step.action == "transmit" and request.signed_at is not None:
        signed = local_date(request.signed_at, timezone)
        if on < signed:
            raise ServiceError(
                N_("The request was signed on %(date)s: it cannot have been sent before."),
                date=signed.isoformat(),
            )
    elif request.transmitted_on is not None and on < request.transmitted_on:
        raise ServiceError(
            N_("The request was sent on %(date)s: give a date on or after it."),
            date=request.transmitted_on.isoformat(),
        )


def _check_translation(session: Session, request: MlaRequest) -> None:
    """A request written in a language the requested state does not accept is signed
    only with its translation among the annexes: otherwise the packet would go out saying
    that none is enclosed."""
    table = rulebook().state(request.requested_state)
    language = (request.content or {}).get("language")
    if table is None or not language or language in table.languages.accepted:
        return
    accepted = set(table.languages.accepted)
    annexes = session.exec(
        select(RequestAnnex).where(
            RequestAnnex.request_id == request.id, RequestAnnex.kind == "translation"
        )
    ).all()
    if any(a.language in accepted or a.language is None for a in annexes):
        return
    raise ServiceError(
        N_(
            "%(state)s accepts requests in %(accepted)s only, and no translation is among the "
            "annexes. Attach the translation before signing: the packet would say that none "
            "is enclosed."
        ),
        state=table.name,
        accepted=Words("language", tuple(sorted(accepted))),
    )


def _check_addressee(session: Session, request: MlaRequest) -> None:
    """A request is signed only when its packet can name whom it goes to and how to reach
    them: the rule table may have changed since the request was approved."""
    unit = session.get(Unit, request.unit_id)
    assert unit is not None
    document = request_document(request=request, unit=unit)
    book = rulebook()
    found = addressee(document, book.state(request.requested_state), book.providers)
    if found.missing():
        raise ServiceError(
            N_(
                "The packet cannot name the authority it goes to in %(state)s, or how to reach "
                "it: the rule table does not give them. Return the request so that the officer "
                "enters them under Addressee on the Route step, then sign."
            ),
            state=Words("state", (request.requested_state,)),
        )


def _check_renderable(session: Session, request: MlaRequest) -> None:
    """A request whose packet failed to render, as approved, is not signed: the signed
    packet would fail the same way, and the request would be left without one."""
    state = packet_jobs.packet_state(session=session, request=request, kind=packet_jobs.DRAFT)
    if state.status == "failed":
        raise ServiceError(
            N_(
                "The packet of this request could not be rendered, so it cannot be signed. "
                "The packet box on this page says why: fix that, render it again, then sign."
            )
        )


def _state_columns(
    step: Transition, request: MlaRequest, inputs: Inputs, actor: User
) -> dict[str, Any]:
    now = utcnow()
    values: dict[str, Any] = {"updated_at": now}
    if step.action == "submit":
        values["submitted_at"] = now
    elif step.action == "approve":
        values |= {"approved_at": now, "approved_digest": request.content_digest}
    elif step.action == "return":
        values["approved_digest"] = None
    elif step.action == "sign":
        values |= {"signed_at": now, "signed_by_id": actor.id}
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
    if step is None or step.by_editing:
        raise ServiceError(N_("There is no such action."))
    refused = refusal(session=session, request=request, user=actor, step=step,
                      expected_version=expected_version)  # fmt: skip
    if refused is not None:
        raise refused
    if step.action == "approve" and inputs.seen_digest != request.content_digest:
        raise Conflict(
            N_("The request changed while you were reviewing it. Review the changes shown.")
        )
    _check_inputs(step, inputs, today)
    _check_order(step, request, inputs.on, actor.unit.timezone)
    if step.action == "sign":
        _check_translation(session, request)
        _check_addressee(session, request)
        _check_renderable(session, request)
        no_certificate = signing_refusal(session=session, user=actor, now=utcnow())
        if no_certificate is not None:
            raise no_certificate
    if step.action == "submit":
        unit = session.get(Unit, request.unit_id)
        assert unit is not None
        findings = validate_request(request=request, unit=unit, today=today)
        errors = [f for f in findings if f.severity == "error"]
        if errors:
            raise ServiceError(
                N_("Fix the problems shown before submitting (%(num)d)."), num=len(errors)
            )
    details: dict[str, Any] = dict(inputs.details)
    if inputs.on is not None:
        details["on"] = inputs.on.isoformat()
    if step.action == "transmit":
        details |= {"channel": inputs.channel, "foreign_reference": inputs.foreign_reference}
    event = steps.take(
        session=session,
        request=request,
        actor=actor,
        step=step,
        expected_version=expected_version,
        values=_state_columns(step, request, inputs, actor),
        comment=inputs.comment,
        field_comments=inputs.field_comments,
        details=details,
        client_addr=client_addr,
    )
    if step.action == "approve":
        # The approved version is rendered at once, so that a packet that cannot be
        # rendered (an annex too large for the limits) is known before anyone signs.
        packet_jobs.request_render(session=session, request=request,
                                   kind=packet_jobs.DRAFT, user=actor)  # fmt: skip
        session.flush()
    if step.action == "sign":
        # The signed packet is rendered once, by a job queued when this commits, and
        # served unchanged ever after.
        packet_jobs.request_render(session=session, request=request,
                                   kind=packet_jobs.SIGNED, user=actor)  # fmt: skip
        session.flush()
    return event


def history(*, session: Session, request: MlaRequest) -> list[RequestEvent]:
    return list(
        session.exec(
            select(RequestEvent)
            .where(RequestEvent.request_id == request.id)
            .order_by(col(RequestEvent.id))
        )
    )


def last_review(*, session: Session, request: MlaRequest) -> RequestEvent | None:
    return session.exec(
        select(RequestEvent)
        .where(
            RequestEvent.request_id == request.id,
            col(RequestEvent.action).in_(REVIEW_ACTIONS),
        )
        .order_by(col(RequestEvent.id).desc())
        .limit(1)
    ).first()


def changes_since_review(*, session: Session, request: MlaRequest) -> list[Change] | None:
    """What changed since the last approval or return; None when never reviewed."""
    event = last_review(session=session, request=request)
    if event is None or event.snapshot is None:
        return None
    return changes(event.snapshot, reviewable(request))


def changes_since_seen(
    *, session: Session, request: MlaRequest, seen_digest: str
) -> list[Change] | None:
    """What changed since the reviewer loaded the version with ``seen_digest``, when a
    change made during review kept that version; None when none did."""
    events = session.exec(
        select(RequestEvent)
        .where(RequestEvent.request_id == request.id, RequestEvent.action == "edit_in_review")
        .order_by(col(RequestEvent.id))
    )
    for event in events:
        if event.details.get("before_digest") == seen_digest and event.details.get("before"):
            return changes(event.details["before"], reviewable(request))
    return None


def open_comments(*, session: Session, request: MlaRequest) -> list[ReviewComment]:
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


def people(*, session: Session, request: MlaRequest, events: list[RequestEvent]) -> dict[int, str]:
    """Names of the owner and of the users who appear in the request's history."""
    ids = {e.actor_id for e in events if e.actor_id} | {request.owner_id}
    return {u.id: u.name for u in session.exec(select(User).where(col(User.id).in_(ids))) if u.id}
