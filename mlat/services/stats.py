"""Statistics of a unit's requests over a period: how many per status, per requested
state and per measure, the median days from draft to approval, and per requested state
the median and 90th percentile of the days from transmission to execution, next to the
typical time the state's rule table gives.

Medians of approval are computed in SQL on both engines, with window functions: the middle
row (or the two middle rows) of each requested state's durations, ordered. The execution
times per state are few per unit, and read whole to take their percentiles.

With a unit's whole history (100,000 requests) the figures take the better part of a
second to work out, so the page keeps each unit's figures for a period for
``CACHE_SECONDS`` (``StatisticsCache``) and says when they were worked out.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from cachetools import TTLCache
from sqlalchemy import ColumnElement, Float, and_, cast, func, select
from sqlmodel import Session, col

from mlat.models import MlaRequest, RequestEvent, RequestStatus, RequestTerm, User, utcnow
from mlat.rules.loader import rulebook
from mlat.services.listing import day_bounds


@dataclass(frozen=True)
class Median:
    requested_state: str
    days: float
    count: int
    """How many requests the median is taken over."""


@dataclass(frozen=True)
class Timing:
    """Days from transmission to execution for one requested state."""

    requested_state: str
    count: int
    median: float
    p90: float
    typical_days: int | None  # what the state's rule table gives, if anything


@dataclass(frozen=True)
class Period:
    """The days whose new requests are counted, both included; None is no bound."""

    start: dt.date | None = None
    end: dt.date | None = None

    @classmethod
    def quarter(cls, year: int, number: int) -> Period:
        first = dt.date(year, 3 * number - 2, 1)
        following = dt.date(year + (number == 4), 1 if number == 4 else 3 * number + 1, 1)
        return cls(first, following - dt.timedelta(days=1))


@dataclass(frozen=True)
class Statistics:
    period: Period
    total: int
    by_status: list[tuple[str, int]]
    """Every status in workflow order, with zero counts kept."""
    by_state: list[tuple[str, int]]
    """Requested states, most requests first."""
    by_measure: list[tuple[str, int]]
    """Measures asked for, most requests first."""
    draft_to_approval: list[Median]
    transmission_to_execution: list[Timing]
    execution_by_measure: list[Timing] = field(default_factory=list)
    """Days from transmission to execution per measure asked for (``requested_state``
    holds the measure; no typical time)."""
    by_outcome: list[Timing] = field(default_factory=list)
    """Days from transmission to each outcome, executed or refused (``requested_state``
    holds the outcome)."""


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
    where: Sequence[ColumnElement[bool]] = (),
) -> list[Median]:
    """The median of ``end - start`` in days per requested state, where both are set."""
    state = col(MlaRequest.requested_state)
    durations = (
        select(
            state.label("state"),
            _days_between(session, start, end, dates=dates).label("days"),
        )
        .where(col(MlaRequest.unit_id) == unit_id, start.is_not(None), end.is_not(None), *where)
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


def percentile(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile: the smallest value with ``share`` of the values at or
    below it."""
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def execution_times(
    *, session: Session, unit_id: int | None, where: Sequence[ColumnElement[bool]] = ()
) -> list[Timing]:
    """Per requested state, the days from transmission to execution: median, 90th
    percentile, and the typical time the state's rule table gives."""
    rows = session.execute(
        select(
            col(MlaRequest.requested_state),
            col(MlaRequest.transmitted_on),
            col(MlaRequest.executed_on),
        ).where(
            col(MlaRequest.unit_id) == unit_id,
            col(MlaRequest.transmitted_on).is_not(None),
            col(MlaRequest.executed_on).is_not(None),
            *where,
        )
    )
    days: dict[str, list[float]] = {}
    for state, sent, done in rows:
        days.setdefault(state, []).append(float((done - sent).days))
    book = rulebook()
    return [
        _timing(
            state, values, table.execution.typical_days if (table := book.state(state)) else None
        )
        for state, values in sorted(days.items())
    ]


def _timing(key: str, values: list[float], typical_days: int | None) -> Timing:
    ordered = sorted(values)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return Timing(key, len(values), round(median, 1), round(percentile(values, 0.9), 1),
                  typical_days)  # fmt: skip


def outcome_times(
    *, session: Session, unit_id: int | None, where: Sequence[ColumnElement[bool]] = ()
) -> list[Timing]:
    """Days from transmission to execution, and to refusal (the date recorded with it)."""
    sent_and_done = session.execute(
        select(col(MlaRequest.transmitted_on), col(MlaRequest.executed_on)).where(
            col(MlaRequest.unit_id) == unit_id,
            col(MlaRequest.transmitted_on).is_not(None),
            col(MlaRequest.executed_on).is_not(None),
            *where,
        )
    )
    days: dict[str, list[float]] = {}
    for sent, done in sent_and_done:
        days.setdefault("executed", []).append(float((done - sent).days))
    refusals = session.execute(
        select(col(MlaRequest.transmitted_on), col(RequestEvent.details))
        .join(RequestEvent, col(RequestEvent.request_id) == col(MlaRequest.id))
        .where(
            col(MlaRequest.unit_id) == unit_id,
            col(MlaRequest.transmitted_on).is_not(None),
            col(RequestEvent.action) == "refuse",
            *where,
        )
    )
    for sent, details in refusals:
        try:
            refused = dt.date.fromisoformat(str((details or {}).get("on", "")))
        except ValueError:
            continue
        days.setdefault("refused", []).append(float((refused - sent).days))
    return [_timing(outcome, days[outcome], None) for outcome in ("executed", "refused")
            if outcome in days]  # fmt: skip


def execution_by_measure(
    *, session: Session, unit_id: int | None, where: Sequence[ColumnElement[bool]] = ()
) -> list[Timing]:
    """Days from transmission to execution per measure asked for: a request counts once
    for each measure it includes."""
    rows = session.execute(
        select(
            col(RequestTerm.value),
            col(MlaRequest.transmitted_on),
            col(MlaRequest.executed_on),
        )
        .join(MlaRequest, col(MlaRequest.id) == col(RequestTerm.request_id))
        .where(
            col(MlaRequest.unit_id) == unit_id,
            col(RequestTerm.kind) == "measure",
            col(MlaRequest.transmitted_on).is_not(None),
            col(MlaRequest.executed_on).is_not(None),
            *where,
        )
    )
    days: dict[str, list[float]] = {}
    for kind, sent, done in rows:
        days.setdefault(kind, []).append(float((done - sent).days))
    return [_timing(kind, values, None) for kind, values in sorted(days.items())]


def statistics(*, session: Session, user: User, period: Period = Period()) -> Statistics:
    """The statistics of the user's unit, over the requests created in the period (days
    of the unit's calendar)."""
    unit_id = user.unit_id
    after, before = day_bounds(period.start, period.end, user.unit.timezone)
    when: list[ColumnElement[bool]] = []
    if after is not None:
        when.append(col(MlaRequest.created_at) >= after)
    if before is not None:
        when.append(col(MlaRequest.created_at) < before)
    in_unit = and_(col(MlaRequest.unit_id) == unit_id, *when)
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
    by_measure = [
        (kind, int(n))
        for kind, n in session.execute(
            select(col(RequestTerm.value), func.count(func.distinct(RequestTerm.request_id)))
            .join(MlaRequest, col(MlaRequest.id) == col(RequestTerm.request_id))
            .where(in_unit, col(RequestTerm.kind) == "measure")
            .group_by(RequestTerm.value)
            .order_by(
                func.count(func.distinct(RequestTerm.request_id)).desc(), col(RequestTerm.value)
            )
        )
    ]
    return Statistics(
        period=period,
        total=sum(n for _, n in by_status),
        by_status=by_status,
        by_state=by_state,
        by_measure=by_measure,
        draft_to_approval=medians(
            session=session,
            unit_id=unit_id,
            start=col(MlaRequest.created_at),
            end=col(MlaRequest.approved_at),
            dates=False,
            where=when,
        ),
        transmission_to_execution=execution_times(session=session, unit_id=unit_id, where=when),
        execution_by_measure=execution_by_measure(session=session, unit_id=unit_id, where=when),
        by_outcome=outcome_times(session=session, unit_id=unit_id, where=when),
    )


CACHE_SECONDS = 120
"""How long a unit's statistics are shown before they are worked out again."""


class StatisticsCache:
    """Each unit's statistics for a period, with the time they were worked out, kept for
    ``seconds`` in this process (one per app). The figures describe months and years of
    requests; at most ``seconds`` old, they spare the database a pass over all of a
    unit's requests at every view."""

    def __init__(
        self,
        seconds: float = CACHE_SECONDS,
        size: int = 512,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._kept: TTLCache[tuple[object, ...], tuple[Statistics, dt.datetime]] = TTLCache(
            maxsize=size, ttl=seconds, timer=clock
        )
        self._lock = threading.Lock()

    def get(
        self, *, session: Session, user: User, period: Period = Period()
    ) -> tuple[Statistics, dt.datetime]:
        """The statistics of the user's unit for the period, and when they were worked
        out (UTC)."""
        key = (user.unit_id, user.unit.timezone, period.start, period.end)
        with self._lock:
            kept = self._kept.get(key)
        if kept is None:
            kept = statistics(session=session, user=user, period=period), utcnow()
            with self._lock:
                self._kept[key] = kept
        return kept
