"""The clocks of a request: preservation lapsing, follow-up after transmission, and the
deadline given for urgency; and drafting a preservation extension request.

The clock functions are pure functions of plain values and ``today``, so tests freeze
the date; ``request_clocks`` reads them off a request row and the rule tables.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from sqlmodel import Session

from mlat.content import preservation_expiry
from mlat.messages import N_
from mlat.models import MlaRequest, RequestStatus, User
from mlat.rules.loader import RuleBook, rulebook
from mlat.services import ServiceError
from mlat.services.requests import create_request

WARNING_DAYS = 14
URGENT_DAYS = 7

# A request in one of these states needs nothing more from the requested state.
FINISHED = frozenset(
    {RequestStatus.executed, RequestStatus.refused, RequestStatus.withdrawn, RequestStatus.closed}
)
# Transmitted and still waiting for the evidence.
AWAITING_EXECUTION = frozenset(
    {RequestStatus.transmitted, RequestStatus.acknowledged, RequestStatus.partially_executed}
)

Level = Literal["ok", "warning", "urgent", "lapsed", "unknown"]


@dataclass(frozen=True)
class PreservationClock:
    reference: str
    requested_on: dt.date | None
    expires_on: dt.date | None
    """None when neither the request nor the rule table gives the period."""
    from_rule_table: bool
    """The expiry was computed from the rule table's initial period, not entered."""
    days_left: int | None
    level: Level
    extension_days: int | None


def level_for(days_left: int | None) -> Level:
    if days_left is None:
        return "unknown"
    if days_left < 0:
        return "lapsed"
    if days_left <= URGENT_DAYS:
        return "urgent"
    if days_left <= WARNING_DAYS:
        return "warning"
    return "ok"


def preservation_clock(
    *,
    requested: bool,
    reference: str = "",
    requested_on: dt.date | None,
    expires_on: dt.date | None,
    initial_days: int | None,
    extension_days: int | None = None,
    today: dt.date,
) -> PreservationClock | None:
    """Days left before preserved data may be deleted; None when none was requested."""
    if not requested:
        return None
    expiry = preservation_expiry(
        requested_on=requested_on, expires_on=expires_on, initial_days=initial_days
    )
    days_left = (expiry - today).days if expiry is not None else None
    return PreservationClock(
        reference=reference,
        requested_on=requested_on,
        expires_on=expiry,
        from_rule_table=expires_on is None and expiry is not None,
        days_left=days_left,
        level=level_for(days_left),
        extension_days=extension_days,
    )


@dataclass(frozen=True)
class FollowUpClock:
    transmitted_on: dt.date
    days_since: int
    typical_days: int | None
    """None when the rule table does not say how long execution usually takes."""
    overdue: bool
    days_over: int


def follow_up_clock(
    *,
    status: str,
    transmitted_on: dt.date | None,
    typical_days: int | None,
    today: dt.date,
) -> FollowUpClock | None:
    """Days since transmission against the requested state's typical execution time."""
    if transmitted_on is None:
        return None
    days_since = (today - transmitted_on).days
    days_over = days_since - typical_days if typical_days else 0
    waiting = RequestStatus(status) not in FINISHED
    return FollowUpClock(
        transmitted_on=transmitted_on,
        days_since=days_since,
        typical_days=typical_days,
        overdue=waiting and typical_days is not None and days_over > 0,
        days_over=max(days_over, 0),
    )


@dataclass(frozen=True)
class DeadlineClock:
    deadline: dt.date
    days_left: int
    overdue: bool
    level: Level


def deadline_clock(
    *, status: str, deadline: dt.date | None, today: dt.date
) -> DeadlineClock | None:
    """Days left before the deadline the request gives for urgency."""
    if deadline is None:
        return None
    days_left = (deadline - today).days
    finished = RequestStatus(status) in FINISHED
    return DeadlineClock(
        deadline=deadline,
        days_left=days_left,
        overdue=days_left < 0 and not finished,
        level="ok" if finished else level_for(days_left),
    )


@dataclass(frozen=True)
class Clocks:
    """Everything ``templates/dashboard/_clocks.html`` shows, as plain values."""

    request_id: int
    reference: str
    status: str
    preservation: PreservationClock | None
    follow_up: FollowUpClock | None
    deadline: DeadlineClock | None
    can_extend: bool
    """Preservation was requested and the request is not finished: offer an extension."""

    @property
    def any(self) -> bool:
        return bool(self.preservation or self.follow_up or self.deadline)


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def request_clocks(request: MlaRequest, *, today: dt.date, book: RuleBook | None = None) -> Clocks:
    """The clocks of a request, from its columns, its content and the rule tables."""
    table = (book or rulebook()).state(request.requested_state)
    content = request.content if isinstance(request.content, dict) else {}
    preservation = content.get("preservation") or {}
    if not isinstance(preservation, dict):
        preservation = {}
    status = str(request.status)
    pres_clock = preservation_clock(
        requested=bool(preservation.get("requested")),
        reference=str(preservation.get("reference") or ""),
        requested_on=_date(preservation.get("requested_on")),
        expires_on=request.preservation_expires_on or _date(preservation.get("expires_on")),
        initial_days=table.preservation.initial_days if table else None,
        extension_days=table.preservation.extension_days if table else None,
        today=today,
    )
    assert request.id is not None
    return Clocks(
        request_id=request.id,
        reference=request.reference,
        status=status,
        preservation=pres_clock,
        follow_up=follow_up_clock(
            status=status,
            transmitted_on=request.transmitted_on,
            typical_days=table.execution.typical_days if table else None,
            today=today,
        ),
        deadline=deadline_clock(status=status, deadline=request.deadline, today=today),
        can_extend=pres_clock is not None and RequestStatus(status) not in FINISHED,
    )


def extension_content(original: MlaRequest) -> dict[str, Any]:
    """The content of an extension request: the original's case (offences, facts, persons,
    identifiers, the preservation's reference and dates), marked as an extension of it,
    asking for one thing: that the preservation of the same data go on. The measures of
    the original (stored content, traffic data...) are for the request that follows."""
    content = copy.deepcopy(original.content) if isinstance(original.content, dict) else {}
    earlier = [ref for ref in content.get("related_requests") or [] if ref != original.reference]
    content["status"] = "extension"
    content["related_requests"] = [original.reference, *earlier][:50]
    measures = [m for m in content.get("measures") or [] if isinstance(m, dict)]
    if measures:
        identifiers = sorted({i for m in measures for i in m.get("identifiers") or []})
        starts = [m["date_from"] for m in measures if m.get("date_from")]
        ends = [m["date_to"] for m in measures if m.get("date_to")]
        content["measures"] = [
            {
                "kind": "preservation",
                "identifiers": identifiers,
                "date_from": min(starts) if starts else None,
                "date_to": max(ends) if ends else None,
                "details": "",
            }
        ]
    return content


def draft_extension(
    *, session: Session, original: MlaRequest, owner: User, title: str, today: dt.date
) -> MlaRequest:
    """A new draft asking the requested state to extend the preservation of the original.

    The content is the original's (persons, identifiers, measures, the preservation
    reference), with status "extension" and the original named as a related request.
    """
    preservation = (original.content or {}).get("preservation") or {}
    if not (isinstance(preservation, dict) and preservation.get("requested")):
        raise ServiceError(N_("No preservation was requested in %(reference)s."),
                           reference=original.reference)  # fmt: skip
    if RequestStatus(original.status) in FINISHED:
        raise ServiceError(N_("%(reference)s is finished; its preservation needs no extension."),
                           reference=original.reference)  # fmt: skip
    return create_request(
        session=session,
        owner=owner,
        title=title.strip()[:200],
        requested_state=original.requested_state,
        content=extension_content(original),
        today=today,
    )
