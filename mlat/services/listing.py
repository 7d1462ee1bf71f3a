"""The request list: filters, sort orders and keyset paging over indexed columns.

Only narrow rows are read (never the content JSON) and a page is one indexed query of
``page_size + 1`` rows. Matches are not counted: a count walks every match, which for a
rare filter means most of the unit's rows; the first page says how many there are when
they all fit on it.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, exists, literal, or_, select, tuple_
from sqlmodel import Session, col

from mlat.messages import N_
from mlat.models import MAX_ID, MlaRequest, RequestStatus, RequestTerm, User
from mlat.rules.loader import RuleBook, rulebook
from mlat.services import ServiceError
from mlat.services.deadlines import AWAITING_EXECUTION, FINISHED, WARNING_DAYS

PAGE_SIZE = 50

Sort = Literal["updated", "created", "reference", "state"]
SORT_COLUMNS: dict[str, Any] = {  # sqlmodel's col() types columns as Mapped
    "updated": col(MlaRequest.updated_at),
    "created": col(MlaRequest.created_at),
    "reference": col(MlaRequest.reference),
    "state": col(MlaRequest.requested_state),
}
DATETIME_SORTS = frozenset({"updated", "created"})
Due = Literal["overdue", "preservation"]


@dataclass(frozen=True)
class RequestRow:
    """What lists show of a request."""

    id: int
    reference: str
    title: str
    requested_state: str
    status: str
    owner_id: int
    created_at: dt.datetime
    updated_at: dt.datetime
    deadline: dt.date | None
    preservation_expires_on: dt.date | None
    transmitted_on: dt.date | None


ROW_COLUMNS = tuple(col(getattr(MlaRequest, name)) for name in RequestRow.__dataclass_fields__)


def rows_of(result: Any) -> list[RequestRow]:
    return [RequestRow(*row) for row in result]


def unit_users(*, session: Session, user: User) -> list[tuple[int, str]]:
    """(id, name) of the users of the user's unit, by name: the owners to filter by."""
    rows = session.execute(
        select(col(User.id), col(User.name))
        .where(col(User.unit_id) == user.unit_id)
        .order_by(col(User.name), col(User.id))
    )
    return [(int(id_), str(name)) for id_, name in rows]


def overdue_condition(*, today: dt.date, book: RuleBook | None = None) -> ColumnElement[bool]:
    """Requests past their deadline, or waiting longer than the requested state's typical
    execution time, and not finished."""
    follow_up = [
        and_(
            col(MlaRequest.requested_state) == code,
            col(MlaRequest.transmitted_on)
            < today - dt.timedelta(days=table.execution.typical_days),
        )
        for code, table in sorted((book or rulebook()).states.items())
        if table.execution.typical_days
    ]
    late = col(MlaRequest.deadline) < today
    if follow_up:
        late = or_(
            late,
            and_(col(MlaRequest.status).in_(sorted(AWAITING_EXECUTION)), or_(*follow_up)),
        )
    return and_(col(MlaRequest.status).not_in(sorted(FINISHED)), late)


def lapsing_condition(*, today: dt.date, days: int = WARNING_DAYS) -> ColumnElement[bool]:
    """Preservation lapsing within ``days`` (today included), for requests not finished."""
    return and_(
        col(MlaRequest.preservation_expires_on).between(today, today + dt.timedelta(days=days)),
        col(MlaRequest.status).not_in(sorted(FINISHED)),
    )


def has_measure(measure: str) -> ColumnElement[bool]:
    return exists().where(
        col(RequestTerm.request_id) == col(MlaRequest.id),
        col(RequestTerm.kind) == "measure",
        col(RequestTerm.value) == measure,
    )


def day_bounds(
    date_from: dt.date | None, date_to: dt.date | None, timezone: str
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """The UTC instants that start ``date_from`` and end ``date_to`` in the unit's zone."""
    try:
        zone: dt.tzinfo = ZoneInfo(timezone)
    except (KeyError, ValueError):
        zone = dt.UTC

    def start(day: dt.date, later: int = 0) -> dt.datetime | None:
        """The day's first instant, ``later`` days on; None (no bound) past the calendar."""
        try:
            moved = day + dt.timedelta(days=later)
            return dt.datetime.combine(moved, dt.time(), zone).astimezone(dt.UTC)
        except OverflowError:
            return None

    return (
        start(date_from) if date_from else None,
        start(date_to, later=1) if date_to else None,
    )


@dataclass(frozen=True)
class ListFilters:
    status: RequestStatus | None = None
    requested_state: str | None = None
    owner_id: int | None = None
    measure: str | None = None
    due: Due | None = None
    date_field: Literal["updated", "created"] = "updated"
    since: dt.datetime | None = None
    """Inclusive lower bound on the date field, in UTC."""
    until: dt.datetime | None = None
    """Exclusive upper bound on the date field, in UTC."""
    sort: Sort = "updated"
    descending: bool = True

    def narrows(self) -> bool:
        """Whether any filter is set (the order aside)."""
        return any(
            (self.status, self.requested_state, self.owner_id is not None, self.measure,
             self.due, self.since, self.until)
        )  # fmt: skip

    def conditions(self, *, unit_id: int | None, today: dt.date) -> list[ColumnElement[bool]]:
        found: list[ColumnElement[bool]] = [col(MlaRequest.unit_id) == unit_id]
        if self.status is not None:
            found.append(col(MlaRequest.status) == self.status.value)
        if self.requested_state:
            found.append(col(MlaRequest.requested_state) == self.requested_state)
        if self.owner_id is not None:
            found.append(col(MlaRequest.owner_id) == self.owner_id)
        if self.measure:
            found.append(has_measure(self.measure))
        if self.due == "overdue":
            found.append(overdue_condition(today=today))
        elif self.due == "preservation":
            found.append(lapsing_condition(today=today))
        field = SORT_COLUMNS[self.date_field]
        if self.since is not None:
            found.append(field >= self.since)
        if self.until is not None:
            found.append(field < self.until)
        return found


class InvalidCursor(ServiceError):
    """A page link that was not made by this list, or for another sort order."""


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: the sort key and id of the row next to it, and which way."""

    sort: str
    descending: bool
    key: str
    id: int
    backwards: bool = False

    def encode(self) -> str:
        raw = json.dumps([self.sort, self.descending, self.key, self.id, self.backwards])
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str) -> Cursor:
        try:
            padded = token + "=" * (-len(token) % 4)
            sort, descending, key, id_, backwards = json.loads(base64.urlsafe_b64decode(padded))
            valid_id = isinstance(id_, int) and 0 <= id_ <= MAX_ID  # what the database holds
            if sort not in SORT_COLUMNS or not valid_id or not isinstance(key, str):
                raise ValueError(sort)
            if sort in DATETIME_SORTS:
                dt.datetime.fromisoformat(key)
            return cls(sort, bool(descending), key, id_, bool(backwards))
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError):
            raise InvalidCursor(N_("The page link is not valid; showing the first page.")) from None

    def key_value(self) -> Any:
        return dt.datetime.fromisoformat(self.key) if self.sort in DATETIME_SORTS else self.key


def _cursor_at(row: RequestRow, filters: ListFilters, *, backwards: bool) -> Cursor:
    value = {
        "updated": row.updated_at,
        "created": row.created_at,
        "reference": row.reference,
        "state": row.requested_state,
    }[filters.sort]
    key = value.isoformat() if isinstance(value, dt.datetime) else str(value)
    return Cursor(filters.sort, filters.descending, key, row.id, backwards)


@dataclass(frozen=True)
class Page:
    rows: list[RequestRow]
    next_cursor: str | None
    previous_cursor: str | None

    @property
    def first(self) -> bool:
        return self.previous_cursor is None

    @property
    def everything(self) -> bool:
        """The page holds every match (so ``len(rows)`` is how many there are)."""
        return self.next_cursor is None and self.previous_cursor is None


def list_requests(
    *,
    session: Session,
    user: User,
    filters: ListFilters,
    cursor: Cursor | None = None,
    today: dt.date,
    page_size: int = PAGE_SIZE,
) -> Page:
    """One page of the requests of the user's unit that match the filters, in order."""
    if cursor is not None and (cursor.sort, cursor.descending) != (
        filters.sort,
        filters.descending,
    ):
        cursor = None  # made for another order: start again
    conditions = filters.conditions(unit_id=user.unit_id, today=today)
    key = SORT_COLUMNS[filters.sort]
    ident = col(MlaRequest.id)
    # Reading backwards (the previous page) walks the index the other way, then flips.
    walk_descending = filters.descending != bool(cursor and cursor.backwards)
    query = select(*ROW_COLUMNS).where(*conditions)
    if cursor is not None:
        position = tuple_(key, ident)
        mark = tuple_(literal(cursor.key_value(), key.type), literal(cursor.id))
        query = query.where(position < mark if walk_descending else position > mark)
    order = (key.desc(), ident.desc()) if walk_descending else (key.asc(), ident.asc())
    rows = rows_of(session.execute(query.order_by(*order).limit(page_size + 1)))
    more = len(rows) > page_size
    rows = rows[:page_size]
    if cursor is not None and cursor.backwards:
        rows.reverse()
        has_next, has_previous = True, more
    else:
        has_next, has_previous = more, cursor is not None
    return Page(
        rows=rows,
        next_cursor=_cursor_at(rows[-1], filters, backwards=False).encode()
        if rows and has_next
        else None,
        previous_cursor=_cursor_at(rows[0], filters, backwards=True).encode()
        if rows and has_previous
        else None,
    )
