"""Cases: one investigation's requests, to any number of states, under one record.

A case belongs to the unit that opened it (its lead unit); its requests are requests of
that unit. It gathers what the officer needs to see across them: where each requested
state stands, the preservations that lapse soonest, the identifiers that appear in more
than one request, and one timeline of every request's history and clocks. A new request
can be drafted from the case, carrying over what the officer chooses of an earlier one.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from mlat.audit_actions import AuditAction
from mlat.messages import N_
from mlat.models import (
    CaseFile,
    MlaRequest,
    RequestEvent,
    RequestTerm,
    Role,
    User,
    utcnow,
)
from mlat.rules.loader import RuleBook, rulebook
from mlat.services import Forbidden, NotFound, ServiceError, audit
from mlat.services.deadlines import FINISHED, Clocks, request_clocks
from mlat.services.requests import create_request

MAX_TITLE = 200
MAX_CASE_NUMBER = 100
MAX_OFFENCES = 5000
# What a new request may carry over from one of the case's requests.
CARRIED = ("offences", "facts", "nexus", "persons", "identifiers")


def _may_manage(user: User) -> None:
    if not user.has_role(Role.officer):
        raise Forbidden(N_("Only officers open cases and change which requests they hold."))


def _clean(title: str, case_number: str, offences: str) -> tuple[str, str, str]:
    title = " ".join(title.split())
    case_number = case_number.strip()
    if not title or len(title) > MAX_TITLE:
        raise ServiceError(
            N_("Give the case a title of at most %(num)d characters."), num=MAX_TITLE
        )
    if len(case_number) > MAX_CASE_NUMBER:
        raise ServiceError(
            N_("Give a case number of at most %(num)d characters."), num=MAX_CASE_NUMBER
        )
    if len(offences) > MAX_OFFENCES:
        raise ServiceError(
            N_("Describe the offences in at most %(num)d characters."), num=MAX_OFFENCES
        )
    return title, case_number, offences.strip()


def _lead_officer(session: Session, user: User, lead_officer_id: int | None) -> int | None:
    if lead_officer_id is None:
        return None
    lead = session.get(User, lead_officer_id)
    if lead is None or lead.unit_id != user.unit_id or not lead.active:
        raise ServiceError(N_("Choose the lead officer among the unit's members."))
    return lead_officer_id


def create_case(
    *,
    session: Session,
    user: User,
    title: str,
    case_number: str = "",
    offences: str = "",
    lead_officer_id: int | None = None,
    client_addr: str = "",
) -> CaseFile:
    _may_manage(user)
    title, case_number, offences = _clean(title, case_number, offences)
    assert user.id is not None and user.unit_id is not None
    case = CaseFile(
        unit_id=user.unit_id,
        title=title,
        case_number=case_number,
        offences=offences,
        lead_officer_id=_lead_officer(session, user, lead_officer_id),
        created_by=user.id,
    )
    session.add(case)
    session.flush()
    audit.record(
        session=session,
        action=AuditAction.case_create,
        user=user,
        object_type="case",
        object_id=case.id,
        client_addr=client_addr,
        details={"title": title},
    )
    return case


def update_case(
    *,
    session: Session,
    case: CaseFile,
    user: User,
    title: str,
    case_number: str,
    offences: str,
    lead_officer_id: int | None,
    client_addr: str = "",
) -> CaseFile:
    _may_manage(user)
    case.title, case.case_number, case.offences = _clean(title, case_number, offences)
    case.lead_officer_id = _lead_officer(session, user, lead_officer_id)
    case.updated_at = utcnow()
    session.add(case)
    audit.record(
        session=session,
        action=AuditAction.case_update,
        user=user,
        object_type="case",
        object_id=case.id,
        client_addr=client_addr,
    )
    session.flush()
    return case


def visible_case(*, session: Session, user: User, case_id: int) -> CaseFile:
    """The case, or NotFound when it does not exist or is another unit's."""
    case = session.get(CaseFile, case_id)
    if case is None or case.unit_id != user.unit_id:
        raise NotFound(N_("No such case."))
    return case


@dataclass(frozen=True)
class CaseRow:
    case: CaseFile
    requests: int
    states: tuple[str, ...]


def unit_cases(*, session: Session, user: User) -> list[CaseRow]:
    """The unit's cases, most recently changed first, with their requests' states."""
    cases = session.exec(
        select(CaseFile)
        .where(CaseFile.unit_id == user.unit_id)
        .order_by(col(CaseFile.updated_at).desc(), col(CaseFile.id).desc())
    ).all()
    held: dict[int, list[str]] = defaultdict(list)
    rows = session.exec(
        select(MlaRequest.case_id, MlaRequest.requested_state).where(
            col(MlaRequest.case_id).in_([c.id for c in cases]),
            MlaRequest.unit_id == user.unit_id,
        )
    )
    for case_id, state in rows:
        if case_id is not None:
            held[case_id].append(state)
    return [CaseRow(c, len(held[c.id or 0]), tuple(sorted(set(held[c.id or 0])))) for c in cases]


def case_requests(*, session: Session, case: CaseFile) -> list[MlaRequest]:
    """The case's requests, oldest first (only its lead unit's: a case holds no other)."""
    return list(
        session.exec(
            select(MlaRequest)
            .where(MlaRequest.case_id == case.id, MlaRequest.unit_id == case.unit_id)
            .order_by(col(MlaRequest.created_at), col(MlaRequest.id))
        )
    )


def attachable(*, session: Session, case: CaseFile) -> list[MlaRequest]:
    """The unit's requests in no case, newest first, that can be put in this one."""
    return list(
        session.exec(
            select(MlaRequest)
            .where(MlaRequest.unit_id == case.unit_id, col(MlaRequest.case_id).is_(None))
            .order_by(col(MlaRequest.updated_at).desc(), col(MlaRequest.id).desc())
            .limit(500)
        )
    )


def attach(
    *, session: Session, case: CaseFile, user: User, request_id: int, client_addr: str = ""
) -> MlaRequest:
    """Put a request of the unit, in no other case, in this one."""
    _may_manage(user)
    request = session.get(MlaRequest, request_id)
    if request is None or request.unit_id != case.unit_id:
        raise NotFound(N_("No such request."))
    if request.case_id == case.id:
        return request
    if request.case_id is not None:
        raise ServiceError(
            N_("Request %(ref)s is already in another case: take it out of that case first."),
            ref=request.reference,
        )
    return _move(session, case, request, user, into=True, client_addr=client_addr)


def detach(
    *, session: Session, case: CaseFile, user: User, request_id: int, client_addr: str = ""
) -> MlaRequest:
    _may_manage(user)
    request = session.get(MlaRequest, request_id)
    if request is None or request.unit_id != case.unit_id or request.case_id != case.id:
        raise NotFound(N_("No such request in this case."))
    return _move(session, case, request, user, into=False, client_addr=client_addr)


def _move(
    session: Session, case: CaseFile, request: MlaRequest, user: User, *, into: bool,
    client_addr: str,
) -> MlaRequest:  # fmt: skip
    """Put the request in the case, or take it out, and record which."""
    request.case_id = case.id if into else None
    case.updated_at = utcnow()
    session.add_all([request, case])
    action = AuditAction.case_attach if into else AuditAction.case_detach
    audit.record(session=session, action=action, user=user, object_type="case",
                 object_id=case.id, client_addr=client_addr,
                 details={"request": request.reference})  # fmt: skip
    session.flush()
    return request


def carried_content(
    source: MlaRequest, parts: Iterable[str], persons: Iterable[int], identifiers: Iterable[int]
) -> dict[str, Any]:
    """What a new request takes over from ``source``: the parts chosen, and of its persons
    and identifiers only those chosen, by their position."""
    chosen = set(parts)
    content = source.content if isinstance(source.content, dict) else {}
    carried: dict[str, Any] = {}
    for part in ("offences", "facts", "nexus"):
        if part in chosen and content.get(part):
            carried[part] = content[part]
    for part, picked in (("persons", set(persons)), ("identifiers", set(identifiers))):
        items = content.get(part) or []
        if part in chosen and isinstance(items, list):
            carried[part] = [item for i, item in enumerate(items) if i in picked]
    return carried


def draft_from_case(
    *,
    session: Session,
    case: CaseFile,
    user: User,
    title: str,
    requested_state: str,
    source_id: int | None = None,
    parts: Sequence[str] = (),
    persons: Sequence[int] = (),
    identifiers: Sequence[int] = (),
    client_addr: str = "",
) -> MlaRequest:
    """A new draft in the case, to ``requested_state``, with the case's number and what
    the officer chose of one of the case's requests."""
    _may_manage(user)
    content: dict[str, Any] = {}
    if source_id is not None:
        source = session.get(MlaRequest, source_id)
        if source is None or source.unit_id != case.unit_id or source.case_id != case.id:
            raise NotFound(N_("No such request in this case."))
        content = carried_content(source, parts, persons, identifiers)
    if case.case_number:
        content["proceedings"] = {"case_number": case.case_number}
    created = create_request(
        session=session,
        owner=user,
        title=title,
        requested_state=requested_state,
        content=content,
        client_addr=client_addr,
    )
    attach(
        session=session, case=case, user=user, request_id=created.id or 0, client_addr=client_addr
    )
    return created


# The case as a whole: where each state stands, what lapses next, what recurs.


@dataclass(frozen=True)
class StateRow:
    """One requested state of the case, with its requests and the nearest date."""

    state: str
    clocks: tuple[Clocks, ...]
    next_date: dt.date | None
    """the soonest preservation expiry or deadline still ahead of a request not finished"""
    waiting_days: int | None
    """days since the longest-waiting transmission not yet executed"""
    typical_days: int | None


@dataclass(frozen=True)
class SharedIdentifier:
    value: str
    references: tuple[str, ...]


@dataclass(frozen=True)
class CaseDashboard:
    states: tuple[StateRow, ...]
    lapsing: tuple[Clocks, ...]
    """requests with a preservation, soonest to lapse first"""
    shared: tuple[SharedIdentifier, ...]


def _next_date(clocks: Clocks) -> dt.date | None:
    if clocks.status in FINISHED:
        return None
    dates = []
    if clocks.preservation and clocks.preservation.expires_on:
        dates.append(clocks.preservation.expires_on)
    if clocks.deadline:
        dates.append(clocks.deadline.deadline)
    return min(dates) if dates else None


def dashboard(
    *,
    session: Session,
    case: CaseFile,
    today: dt.date,
    requests: Sequence[MlaRequest] | None = None,
    book: RuleBook | None = None,
) -> CaseDashboard:
    book = book or rulebook()
    found = list(requests) if requests is not None else case_requests(session=session, case=case)
    by_state: dict[str, list[Clocks]] = defaultdict(list)
    for request in found:
        by_state[request.requested_state].append(request_clocks(request, today=today, book=book))
    states = []
    for state, clocks in sorted(by_state.items()):
        upcoming = [d for d in (_next_date(c) for c in clocks) if d is not None]
        waiting = [
            c.follow_up.days_since for c in clocks if c.follow_up and c.status not in FINISHED
        ]
        table = book.state(state)
        states.append(
            StateRow(
                state,
                tuple(clocks),
                min(upcoming) if upcoming else None,
                max(waiting) if waiting else None,
                table.execution.typical_days if table else None,
            )
        )
    lapsing = sorted(
        (
            c
            for row in states
            for c in row.clocks
            if c.preservation and c.preservation.days_left is not None and c.status not in FINISHED
        ),
        key=lambda c: (c.preservation.days_left or 0) if c.preservation else 0,
    )
    return CaseDashboard(tuple(states), tuple(lapsing), _shared(session, found))


def _shared(session: Session, requests: Sequence[MlaRequest]) -> tuple[SharedIdentifier, ...]:
    """Identifiers named by two or more of the requests (as the search index folds them)."""
    references = {r.id: r.reference for r in requests}
    if len(references) < 2:
        return ()
    recurring = session.execute(
        select(RequestTerm.value)
        .where(RequestTerm.kind == "identifier", col(RequestTerm.request_id).in_(references))
        .group_by(col(RequestTerm.value))
        .having(func.count(func.distinct(RequestTerm.request_id)) > 1)
        .order_by(col(RequestTerm.value))
    ).scalars()
    values = list(recurring)
    if not values:
        return ()
    holders: dict[str, set[str]] = defaultdict(set)
    for value, request_id in session.execute(
        select(RequestTerm.value, RequestTerm.request_id).where(
            RequestTerm.kind == "identifier",
            col(RequestTerm.request_id).in_(references),
            col(RequestTerm.value).in_(values),
        )
    ):
        holders[value].add(references[request_id])
    return tuple(SharedIdentifier(v, tuple(sorted(holders[v]))) for v in values)


@dataclass(frozen=True)
class TimelineEntry:
    """A step of one of the case's requests, or a date ahead: a preservation that lapses,
    a deadline."""

    on: dt.datetime | dt.date
    reference: str
    request_id: int
    kind: str
    """a workflow action, or preservation_lapses, deadline"""
    actor_id: int | None = None
    comment: str = ""


def timeline(
    *,
    session: Session,
    case: CaseFile,
    today: dt.date,
    requests: Sequence[MlaRequest] | None = None,
) -> tuple[list[TimelineEntry], list[TimelineEntry]]:
    """What lies ahead (soonest first) and what happened (newest first), across the case."""
    found = list(requests) if requests is not None else case_requests(session=session, case=case)
    by_id = {r.id: r for r in found}
    past = [
        TimelineEntry(
            e.at, by_id[e.request_id].reference, e.request_id, str(e.action), e.actor_id, e.comment
        )
        for e in session.exec(
            select(RequestEvent)
            .where(col(RequestEvent.request_id).in_(by_id))
            .order_by(col(RequestEvent.at).desc(), col(RequestEvent.id).desc())
        )
    ]
    past += [
        TimelineEntry(r.created_at, r.reference, r.id or 0, "created", r.owner_id) for r in found
    ]
    past.sort(key=lambda e: e.on, reverse=True)
    ahead = []
    for request in found:
        if request.status in FINISHED:
            continue
        if request.preservation_expires_on and request.preservation_expires_on >= today:
            ahead.append(
                TimelineEntry(
                    request.preservation_expires_on,
                    request.reference,
                    request.id or 0,
                    "preservation_lapses",
                )
            )
        if request.deadline and request.deadline >= today:
            ahead.append(
                TimelineEntry(request.deadline, request.reference, request.id or 0, "deadline")
            )
    ahead.sort(key=lambda e: e.on)
    return ahead, past
