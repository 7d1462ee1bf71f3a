"""Cases: one investigation's requests, to any number of states, under one record.

A case belongs to the unit that opened it (its lead unit). The lead unit may share it
with other units of the installation (its partners): their members read the case and
its requests; a partner given the right drafts its own requests in the case, which its
own unit reviews and signs. A case's requests are those of the lead unit and of its
current partners that name it; nothing of a request outside the case is shown to a
partner. The case gathers what the officer needs to see across them: where each requested
state stands, the preservations that lapse soonest, the identifiers that appear in more
than one request, and one timeline of every request's history and clocks. A new request
can be drafted from the case, carrying over what the officer chooses of an earlier one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
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
    CasePartner,
    MlaRequest,
    RequestEvent,
    RequestTerm,
    Role,
    Unit,
    User,
    utcnow,
)
from mlat.rules.loader import RuleBook, rulebook
from mlat.services import Forbidden, NotFound, ServiceError, audit
from mlat.services.case_news import case_units
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


@dataclass(frozen=True)
class CaseAccess:
    """A case as one user reaches it: through the lead unit, or as a partner."""

    case: CaseFile
    partner: CasePartner | None
    """the user's unit's partnership; None when the user's unit leads the case"""

    @property
    def leads(self) -> bool:
        return self.partner is None

    def may_draft(self, user: User) -> bool:
        """Whether the user may draft requests in the case and put the unit's in it."""
        shared = self.partner is None or self.partner.may_draft
        return shared and user.has_role(Role.officer)


def case_access(*, session: Session, user: User, case_id: int) -> CaseAccess:
    """The case as the user's unit reaches it; NotFound when it does not exist, or is
    another unit's and not shared with the user's."""
    case = session.get(CaseFile, case_id)
    if case is not None and case.unit_id == user.unit_id:
        return CaseAccess(case, None)
    if case is not None:
        partner = session.exec(
            select(CasePartner).where(
                CasePartner.case_id == case.id, CasePartner.unit_id == user.unit_id
            )
        ).first()
        if partner is not None:
            return CaseAccess(case, partner)
    raise NotFound(N_("No such case."))


def leading(access: CaseAccess, user: User) -> None:
    """Only the lead unit's officers change the case, its partners and its team."""
    _may_manage(user)
    if not access.leads:
        raise Forbidden(N_("Only the unit that leads the case can change it or share it."))


def _drafting(access: CaseAccess, user: User) -> None:
    _may_manage(user)
    if not access.may_draft(user):
        raise Forbidden(
            N_("Your unit reads this case but may not draft in it: the lead unit can allow it.")
        )


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
    access: CaseAccess,
    user: User,
    title: str,
    case_number: str,
    offences: str,
    lead_officer_id: int | None,
    client_addr: str = "",
) -> CaseFile:
    leading(access, user)
    case = access.case
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
    """The case, or NotFound when the user's unit neither leads it nor is its partner."""
    return case_access(session=session, user=user, case_id=case_id).case


@dataclass(frozen=True)
class CaseRow:
    case: CaseFile
    requests: int
    states: tuple[str, ...]
    lead_unit: str = ""
    """the lead unit's name, for a case shared with the user's unit"""


def unit_cases(*, session: Session, user: User) -> list[CaseRow]:
    """The cases the user's unit leads or is a partner of, most recently changed first,
    with their requests' states."""
    shared = select(CasePartner.case_id).where(CasePartner.unit_id == user.unit_id)
    found = session.exec(
        select(CaseFile, Unit.name)
        .join(Unit, col(Unit.id) == col(CaseFile.unit_id))
        .where((col(CaseFile.unit_id) == user.unit_id) | col(CaseFile.id).in_(shared))
        .order_by(col(CaseFile.updated_at).desc(), col(CaseFile.id).desc())
    ).all()
    held: dict[int, list[str]] = defaultdict(list)
    for case_id, state in session.exec(
        select(MlaRequest.case_id, MlaRequest.requested_state).where(
            col(MlaRequest.case_id).in_([c.id for c, _name in found]), _of_the_case()
        )
    ):
        if case_id is not None:
            held[case_id].append(state)
    return [
        CaseRow(
            c,
            len(held[c.id or 0]),
            tuple(sorted(set(held[c.id or 0]))),
            "" if c.unit_id == user.unit_id else name,
        )
        for c, name in found
    ]


def _of_the_case() -> Any:
    """Of a request that names a case: that it is the case's lead unit's or a current
    partner's (a removed partner's requests have left the case; this holds even so)."""
    lead = select(CaseFile.unit_id).where(col(CaseFile.id) == col(MlaRequest.case_id))
    partners = select(CasePartner.unit_id).where(
        col(CasePartner.case_id) == col(MlaRequest.case_id)
    )
    return col(MlaRequest.unit_id).in_(lead.scalar_subquery()) | col(MlaRequest.unit_id).in_(
        partners.scalar_subquery()
    )


def case_requests(*, session: Session, case: CaseFile) -> list[MlaRequest]:
    """The case's requests, of the lead unit and of its partners, oldest first."""
    return list(
        session.exec(
            select(MlaRequest)
            .where(
                MlaRequest.case_id == case.id,
                col(MlaRequest.unit_id).in_(case_units(session=session, case=case)),
            )
            .order_by(col(MlaRequest.created_at), col(MlaRequest.id))
        )
    )


def case_request(*, session: Session, case: CaseFile, request_id: int) -> MlaRequest:
    """One of the case's requests; NotFound for any other, whoever's it is."""
    request = session.get(MlaRequest, request_id)
    if (
        request is None
        or request.case_id != case.id
        or request.unit_id not in case_units(session=session, case=case)
    ):
        raise NotFound(N_("No such request in this case."))
    return request


def attachable(*, session: Session, user: User) -> list[MlaRequest]:
    """The user's unit's requests in no case, newest first, that can be put in one."""
    return list(
        session.exec(
            select(MlaRequest)
            .where(MlaRequest.unit_id == user.unit_id, col(MlaRequest.case_id).is_(None))
            .order_by(col(MlaRequest.updated_at).desc(), col(MlaRequest.id).desc())
            .limit(500)
        )
    )


def attach(
    *, session: Session, access: CaseAccess, user: User, request_id: int, client_addr: str = ""
) -> MlaRequest:
    """Put a request of the user's unit, in no other case, in this one."""
    _drafting(access, user)
    case = access.case
    request = session.get(MlaRequest, request_id)
    if request is None or request.unit_id != user.unit_id:
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
    *, session: Session, access: CaseAccess, user: User, request_id: int, client_addr: str = ""
) -> MlaRequest:
    """Take a request of the user's unit out of the case."""
    _drafting(access, user)
    case = access.case
    request = session.get(MlaRequest, request_id)
    if request is None or request.unit_id != user.unit_id or request.case_id != case.id:
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
    access: CaseAccess,
    user: User,
    title: str,
    requested_state: str,
    source_id: int | None = None,
    parts: Sequence[str] = (),
    persons: Sequence[int] = (),
    identifiers: Sequence[int] = (),
    client_addr: str = "",
) -> MlaRequest:
    """A new draft of the user's unit in the case, to ``requested_state``, with the case's
    number and what the officer chose of one of the case's requests."""
    _drafting(access, user)
    case = access.case
    content: dict[str, Any] = {}
    if source_id is not None:
        source = case_request(session=session, case=case, request_id=source_id)
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
    attach(session=session, access=access, user=user, request_id=created.id or 0,
           client_addr=client_addr)  # fmt: skip
    return created


# Sharing with partner units.


@dataclass(frozen=True)
class PartnerRow:
    partner: CasePartner
    unit: Unit
    requests: int
    """how many of the case's requests are that unit's"""


def partners(*, session: Session, case: CaseFile) -> list[PartnerRow]:
    """The units the case is shared with, by name, with how many requests each has in it."""
    rows = session.exec(
        select(CasePartner, Unit)
        .join(Unit, col(Unit.id) == col(CasePartner.unit_id))
        .where(CasePartner.case_id == case.id)
        .order_by(col(Unit.name))
    ).all()
    counts: dict[int, int] = {
        unit_id: count
        for unit_id, count in session.execute(
            select(MlaRequest.unit_id, func.count())
            .where(MlaRequest.case_id == case.id)
            .group_by(col(MlaRequest.unit_id))
        )
    }
    return [PartnerRow(p, u, counts.get(u.id or 0, 0)) for p, u in rows]


def invitable_units(*, session: Session, case: CaseFile) -> list[Unit]:
    """The installation's other units, not yet partners of the case, by name."""
    taken = select(CasePartner.unit_id).where(CasePartner.case_id == case.id)
    return list(
        session.exec(
            select(Unit)
            .where(Unit.id != case.unit_id, col(Unit.id).not_in(taken))
            .order_by(col(Unit.name))
        )
    )


def _partner(session: Session, case: CaseFile, unit_id: int) -> tuple[CasePartner, Unit]:
    found = session.exec(
        select(CasePartner, Unit)
        .join(Unit, col(Unit.id) == col(CasePartner.unit_id))
        .where(CasePartner.case_id == case.id, CasePartner.unit_id == unit_id)
    ).first()
    if found is None:
        raise NotFound(N_("That unit is not a partner of this case."))
    return found


def invite(
    *,
    session: Session,
    access: CaseAccess,
    user: User,
    unit_id: int,
    may_draft: bool = False,
    client_addr: str = "",
) -> CasePartner:
    """Share the case with another unit of the installation: its members read the case
    and its requests; with ``may_draft`` its officers draft their own requests in it."""
    leading(access, user)
    case = access.case
    unit = session.get(Unit, unit_id)
    if unit is None or unit.id == case.unit_id:
        raise ServiceError(N_("Choose one of the installation's other units."))
    if session.exec(
        select(CasePartner.id).where(CasePartner.case_id == case.id, CasePartner.unit_id == unit_id)
    ).first():
        raise ServiceError(N_("The case is already shared with %(unit)s."), unit=unit.name)
    assert user.id is not None
    partner = CasePartner(case_id=case.id or 0, unit_id=unit_id, may_draft=may_draft,
                          invited_by=user.id)  # fmt: skip
    case.updated_at = utcnow()
    session.add_all([partner, case])
    session.flush()
    audit.record(session=session, action=AuditAction.case_share, user=user, object_type="case",
                 object_id=case.id, client_addr=client_addr,
                 details={"unit": unit.name, "may_draft": may_draft})  # fmt: skip
    return partner


def change_partner(
    *,
    session: Session,
    access: CaseAccess,
    user: User,
    unit_id: int,
    may_draft: bool,
    client_addr: str = "",
) -> CasePartner:
    """Give a partner unit the right to draft in the case, or take it back. Requests it
    has already drafted stay in the case."""
    leading(access, user)
    partner, unit = _partner(session, access.case, unit_id)
    if partner.may_draft != may_draft:
        partner.may_draft = may_draft
        session.add(partner)
        audit.record(session=session, action=AuditAction.case_grant, user=user,
                     object_type="case", object_id=access.case.id, client_addr=client_addr,
                     details={"unit": unit.name, "may_draft": may_draft})  # fmt: skip
        session.flush()
    return partner


def remove_partner(
    *, session: Session, access: CaseAccess, user: User, unit_id: int, client_addr: str = ""
) -> list[str]:
    """Stop sharing the case with a unit. The requests that unit drafted in it leave the
    case with it (they stay that unit's): the references of those that left."""
    leading(access, user)
    case = access.case
    partner, unit = _partner(session, case, unit_id)
    theirs = session.exec(
        select(MlaRequest).where(MlaRequest.case_id == case.id, MlaRequest.unit_id == unit_id)
    ).all()
    for request in theirs:
        request.case_id = None
        session.add(request)
    case.updated_at = utcnow()
    session.add(case)
    session.delete(partner)
    references = sorted(r.reference for r in theirs)
    audit.record(session=session, action=AuditAction.case_unshare, user=user, object_type="case",
                 object_id=case.id, client_addr=client_addr,
                 details={"unit": unit.name, "requests": references})  # fmt: skip
    session.flush()
    return references


def people(*, session: Session, case: CaseFile, reader: User) -> dict[int, str]:
    """Who may appear on the case's pages, by id: the users of its units, those of
    another unit than the reader's named with their unit."""
    rows = session.execute(
        select(User.id, User.name, User.unit_id, Unit.name)
        .join(Unit, col(Unit.id) == col(User.unit_id))
        .where(col(User.unit_id).in_(case_units(session=session, case=case)))
    )
    return {
        int(uid): name if unit_id == reader.unit_id else f"{name} ({unit})"
        for uid, name, unit_id, unit in rows
    }


def stamp(*, session: Session, case: CaseFile, team_changed: dt.datetime | None) -> str:
    """What changes whenever anything the case's page shows changes: its record, its
    requests (each step changes a request's version), its partners and its team."""
    units = case_units(session=session, case=case)
    versions = session.execute(
        select(func.count(), func.coalesce(func.sum(MlaRequest.version), 0),
               func.max(MlaRequest.updated_at))
        .where(MlaRequest.case_id == case.id, col(MlaRequest.unit_id).in_(units))
    ).one()  # fmt: skip
    seen = (case.updated_at, tuple(versions), tuple(units), team_changed)
    return hashlib.sha256(repr(seen).encode()).hexdigest()[:20]


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
