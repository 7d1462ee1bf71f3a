"""Creating, editing and finding MLA requests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from mlat.models import MlaRequest, ReferenceCounter, RequestStatus, Role, Unit, User, utcnow
from mlat.services import N_, Conflict, NotFound, ServiceError

EDITABLE_STATES = frozenset({RequestStatus.draft, RequestStatus.returned})


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
) -> MlaRequest:
    if not owner.has_role(Role.officer):
        raise ServiceError(N_("Only officers draft requests."))
    year = (today or dt.date.today()).year
    assert owner.id is not None and owner.unit_id is not None
    request = MlaRequest(
        reference=next_reference(session=session, unit=owner.unit, year=year),
        unit_id=owner.unit_id,
        owner_id=owner.id,
        requested_state=requested_state.upper(),
        title=title.strip(),
        content=content or {},
    )
    session.add(request)
    session.flush()
    return request


def update_request(
    *,
    session: Session,
    request: MlaRequest,
    editor: User,
    expected_version: int,
    title: str,
    requested_state: str,
) -> MlaRequest:
    """Save an edit, refusing it when someone else saved the request since it was loaded."""
    if request.status not in EDITABLE_STATES:
        raise ServiceError(N_("This request can no longer be edited in its current state."))
    if not editor.has_role(Role.officer):
        raise ServiceError(N_("Only officers edit requests."))
    saved = session.execute(
        update(MlaRequest)
        .where(col(MlaRequest.id) == request.id, col(MlaRequest.version) == expected_version)
        .values(
            title=title.strip(),
            requested_state=requested_state.upper(),
            version=expected_version + 1,
            updated_at=utcnow(),
        )
    )
    if saved.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(
            N_(
                "Someone else saved this request after you opened it. Your changes were not "
                "saved; they are shown below so you can apply them again."
            )
        )
    session.refresh(request)
    return request


def visible_requests(
    *, session: Session, user: User, limit: int = 50, offset: int = 0
) -> list[MlaRequest]:
    """The requests of the user's unit, most recently changed first."""
    query = (
        select(MlaRequest)
        .where(MlaRequest.unit_id == user.unit_id)
        .order_by(col(MlaRequest.updated_at).desc(), col(MlaRequest.id).desc())
        .limit(limit)
        .offset(offset)
    )
    return list(session.exec(query))


def get_visible_request(*, session: Session, user: User, request_id: int) -> MlaRequest:
    """The request, or NotFound when it does not exist or belongs to another unit."""
    request = session.get(MlaRequest, request_id)
    if request is None or request.unit_id != user.unit_id:
        raise NotFound(N_("No such request."))
    return request
