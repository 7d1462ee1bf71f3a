"""Statistics of a unit's requests: how many per status and per requested state, and the
median days from draft to approval and from transmission to execution.

Medians are computed in SQL on both engines, with window functions: the middle row (or
the two middle rows) of each requested state's durations, ordered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Float, cast, func, select
from sqlmodel import Session, col

from mlat.models import MlaRequest, RequestStatus, User


@dataclass(frozen=True)
class Median:
    requested_state: str
    days: float
    count: int
    """How many requests the median is taken over."""


@dataclass(frozen=True)
class Statistics:
    total: int
    by_status: list[tuple[str, int]]
    """Every status in workflow order, with zero counts kept."""
    by_state: list[tuple[str, int]]
    """Requested states, most requests first."""
    draft_to_approval: list[Median]
    transmission_to_execution: list[Median]


def _days_between(session: Session, start: Any, end: Any, *, dates: bool) -> ColumnElement[Any]:
    """Days from ``start`` to ``end`` as a number, in the engine's own date arithmetic."""
    if session.get_bind().dialect.name == "postgresql":
        if dates:
            return cast(end - start, Float)  # date - date is a number of days
        return func.extract("epoch", end - start) / 86400.0
    return func.julianday(end) - func.julianday(start)


def medians(
    *,
    session: Session,
    unit_id: int | None,
    start: Any,
    end: Any,
    dates: bool,
) -> list[Median]:
    """The median of ``end - start`` in days per requested state, where both are set."""
    state = col(MlaRequest.requested_state)
    durations = (
        select(
            state.label("state"),
            _days_between(session, start, end, dates=dates).label("days"),
        )
        .where(col(MlaRequest.unit_id) == unit_id, start.is_not(None), end.is_not(None))
        .subquery()
    )
    ranked = select(
        durations.c.state,
        durations.c.days,
        func.row_number()
        .over(partition_by=durations.c.state, order_by=durations.c.days)
        .label("position"),
        func.count().over(partition_by=durations.c.state).label("n"),
    ).subquery()
    # The middle row when n is odd; the two middle rows, averaged, when n is even.
    middle = ranked.c.position.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])
    rows = session.execute(
        select(ranked.c.state, func.avg(ranked.c.days), func.max(ranked.c.n))
        .where(middle)
        .group_by(ranked.c.state)
        .order_by(ranked.c.state)
    )
    return [Median(state, round(float(days), 1), int(n)) for state, days, n in rows]


def statistics(*, session: Session, user: User) -> Statistics:
    """The statistics of the user's unit."""
    unit_id = user.unit_id
    in_unit = col(MlaRequest.unit_id) == unit_id
    status_counts = dict(
        session.execute(
            select(col(MlaRequest.status), func.count()).where(in_unit).group_by(MlaRequest.status)
        ).all()
    )
    by_status = [(s.value, int(status_counts.get(s.value, 0))) for s in RequestStatus]
    by_state = [
        (state, int(n))
        for state, n in session.execute(
            select(col(MlaRequest.requested_state), func.count().label("n"))
            .where(in_unit)
            .group_by(MlaRequest.requested_state)
            .order_by(func.count().desc(), col(MlaRequest.requested_state))
        )
    ]
    return Statistics(
        total=sum(n for _, n in by_status),
        by_status=by_status,
        by_state=by_state,
        draft_to_approval=medians(
            session=session,
            unit_id=unit_id,
            start=col(MlaRequest.created_at),
            end=col(MlaRequest.approved_at),
            dates=False,
        ),
        transmission_to_execution=medians(
            session=session,
            unit_id=unit_id,
            start=col(MlaRequest.transmitted_on),
            end=col(MlaRequest.executed_on),
            dates=True,
        ),
    )
