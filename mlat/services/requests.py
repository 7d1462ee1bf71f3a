"""Creating, editing and finding MLA requests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from mlat.audit_actions import AuditAction
from mlat.content import digest, preservation_expiry, stored_content, terms
from mlat.dates import local_today
from mlat.messages import N_
from mlat.models import (
    MlaRequest,
    ReferenceCounter,
    RequestEditor,
    RequestStatus,
    RequestTerm,
    Role,
    Unit,
    User,
    utcnow,
)
from mlat.request_format import RequestDocument
from mlat.rules.loader import rulebook
from mlat.services import (
    Conflict,
    Forbidden,
    InvalidContent,
    NotFound,
    ServiceError,
    audit,
    steps,
)
from mlat.services.format_errors import in_words
from mlat.services.search_index import reindex
from mlat.workflow import EDITABLE, TRANSITIONS

NOT_A_REQUEST = N_("The request content is not in the request format.")


def next_reference(*, session: Session, unit: Unit, year: int) -> str:
    """The unit's next reference for the year, e.g. ``DOH-2026-0007``.

    The counter row is raised with one UPDATE, which both engines serialise, so two
    officers creating requests at once never get the same number.
    """
    assert unit.id is not None
    for _attempt in range(3):
        raised = session.execute(
            update(ReferenceCounter)
            .where(col(ReferenceCounter.unit_id) == unit.id, col(ReferenceCounter.year) == year)
            .values(last=col(ReferenceCounter.last) + 1)
            .returning(col(ReferenceCounter.last))
        ).scalar_one_or_none()
        if raised is not None:
            return f"{unit.code}-{year}-{raised:04d}"
        try:
            with session.begin_nested():
                session.add(ReferenceCounter(unit_id=unit.id, year=year, last=1))
            return f"{unit.code}-{year}-0001"
        except IntegrityError:
            continue  # another transaction created the row first; raise it instead
    raise ServiceError(N_("Could not allocate a reference number; please try again."))


def create_request(
    *,
    session: Session,
    owner: User,
    title: str,
    requested_state: str,
    content: dict[str, Any] | None = None,
    today: dt.date | None = None,
    client_addr: str = "",
) -> MlaRequest:
    if not owner.has_role(Role.officer):
        raise Forbidden(N_("Only officers draft requests."))
    document = parse_content(content or {})
    year = (today or local_today(owner.unit)).year
    assert owner.id is not None and owner.unit_id is not None
    request = MlaRequest(
        reference=next_reference(session=session, unit=owner.unit, year=year),
        unit_id=owner.unit_id,
        owner_id=owner.id,
        requested_state=requested_state.upper(),
        title=title.strip(),
        content=stored_content(document),
    )
    _copy_out(request, document)
    session.add(request)
    session.flush()
    assert request.id is not None
    session.add(RequestEditor(request_id=request.id, user_id=owner.id))
    _write_terms(session, request.id, document)
    reindex(session=session, request=request)
    audit.record(session=session, action=AuditAction.request_create, user=owner,
                 object_type="request", object_id=request.id, client_addr=client_addr)  # fmt: skip
    session.flush()
    return request


def parse_content(content: dict[str, Any]) -> RequestDocument:
    """The content as a request document, or InvalidContent listing what does not fit."""
    try:
        return RequestDocument.model_validate(content)
    except ValidationError as exc:
        raise InvalidContent(NOT_A_REQUEST, in_words(exc.errors())) from exc
    except (TypeError, ValueError) as exc:
        raise InvalidContent(NOT_A_REQUEST) from exc


def _copy_out(request: MlaRequest, document: RequestDocument) -> None:
    """Copy what lists, search and clocks query into indexed columns."""
    request.case_number = document.proceedings.case_number
    request.deadline = document.urgency.deadline
    preservation = document.preservation
    table = rulebook().states.get(request.requested_state)
    request.preservation_expires_on = (
        preservation_expiry(
            requested_on=preservation.requested_on,
            expires_on=preservation.expires_on,
            initial_days=table.preservation.initial_days if table else None,
        )
        if preservation.requested
        else None
    )
    request.content_digest = digest(
        title=request.title, requested_state=request.requested_state, content=request.content
    )


def _write_terms(session: Session, request_id: int, document: RequestDocument) -> None:
    session.execute(delete(RequestTerm).where(col(RequestTerm.request_id) == request_id))
    for kind, value in sorted(terms(document)):
        session.add(RequestTerm(request_id=request_id, kind=kind, value=value))


def save_content(
    *,
    session: Session,
    request: MlaRequest,
    editor: User,
    expected_version: int,
    content: dict[str, Any] | None = None,
    title: str | None = None,
    requested_state: str | None = None,
    client_addr: str = "",
) -> MlaRequest:
    """Save an edit, refusing it when someone else saved the request since it was loaded.

    A change to an approved request sends it back to review, by the workflow table's
    ``edit_after_approval`` step: the approval covered the exact content that was
    approved, not what it became.
    """
    if request.status not in EDITABLE:
        raise ServiceError(N_("This request can no longer be edited in its current state."))
    if not editor.has_role(Role.officer):
        raise Forbidden(N_("Only officers edit requests."))
    document = parse_content(request.content if content is None else content)
    new_title = request.title if title is None else title.strip()
    new_state = request.requested_state if requested_state is None else requested_state.upper()
    new_content = stored_content(document)
    new_digest = digest(title=new_title, requested_state=new_state, content=new_content)
    if expected_version != request.version:
        raise _stale()
    if new_digest == request.content_digest:
        return request  # nothing changed: no new version, no second review
    # What a reviewer may be looking at: kept with a change made during review, so that a
    # refused approval can show what changed since (``changes_since_seen``).
    seen = {"before_digest": request.content_digest, "before": steps.reviewable(request)}
    # A change after submission is a step of the history: after approval it withdraws
    # the approval, during review the reviewers are told.
    reopen = next(
        (t for t in TRANSITIONS if t.by_editing and RequestStatus(request.status) in t.sources),
        None,
    )
    if reopen is None:
        saved = session.execute(
            update(MlaRequest)
            .where(col(MlaRequest.id) == request.id, col(MlaRequest.version) == expected_version)
            .values(version=expected_version + 1, updated_at=utcnow())
        )
        if saved.rowcount != 1:  # type: ignore[attr-defined]
            raise _stale()
        session.refresh(request)
    request.title, request.requested_state, request.content = new_title, new_state, new_content
    assert request.id is not None and editor.id is not None
    _copy_out(request, document)
    if reopen is not None:
        session.flush()  # the new content, which the step's history entry records
        try:
            steps.take(session=session, request=request, actor=editor, step=reopen,
                       expected_version=expected_version, client_addr=client_addr,
                       values={"updated_at": utcnow(), "approved_digest": None},
                       details=seen if reopen.action == "edit_in_review" else None)  # fmt: skip
        except Conflict as exc:
            raise _stale() from exc
    if session.get(RequestEditor, (request.id, editor.id)) is None:
        session.add(RequestEditor(request_id=request.id, user_id=editor.id))
    _write_terms(session, request.id, document)
    reindex(session=session, request=request)
    audit.record(session=session, action=AuditAction.request_edit, user=editor,
                 object_type="request", object_id=request.id, client_addr=client_addr)  # fmt: skip
    session.flush()
    return request


def _stale() -> Conflict:
    return Conflict(
        N_(
            "Someone else saved this request after you opened it. Your changes were not "
            "saved; they are shown below so you can apply them again."
        )
    )


def update_request(
    *,
    session: Session,
    request: MlaRequest,
    editor: User,
    expected_version: int,
    title: str,
    requested_state: str,
    client_addr: str = "",
) -> MlaRequest:
    """Change the title and requested state, keeping the content."""
    return save_content(
        session=session,
        request=request,
        editor=editor,
        expected_version=expected_version,
        title=title,
        requested_state=requested_state,
        client_addr=client_addr,
    )


def get_visible_request(*, session: Session, user: User, request_id: int) -> MlaRequest:
    """The request, or NotFound when it does not exist or belongs to another unit."""
    request = session.get(MlaRequest, request_id)
    if request is None or request.unit_id != user.unit_id:
        raise NotFound(N_("No such request."))
    return request
