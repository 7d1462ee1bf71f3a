"""The dashboard: what each user has to act on now, one short indexed query per list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Integer, Select, bindparam, exists, select
from sqlmodel import Session, col

from mlat.messages import N_
from mlat.models import MlaRequest, RequestEditor, RequestStatus, Role, User
from mlat.services import notifications
from mlat.services.listing import (
    ROW_COLUMNS,
    RequestRow,
    lapsing_condition,
    overdue_condition,
    rows_of,
)

LIST_LIMIT = 10
# The roles that have lists of their own.
LIST_ROLES = frozenset({Role.officer, Role.reviewer, Role.prosecutor})


@dataclass(frozen=True)
class Panel:
    """One list on the dashboard, with the filters that show all of it on the request list."""

    key: str
    title: str
    empty: str
    rows: list[RequestRow]
    more: bool
    """More requests match than are shown."""
    list_args: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Dashboard:
    panels: list[Panel]
    unread_notifications: int
    today: dt.date


USER_ID = bindparam("user_id", type_=Integer)
UNIT_ID = bindparam("unit_id", type_=Integer)


def not_edited_by(user_id: ColumnElement[int]) -> ColumnElement[bool]:
    """The four-eyes rule: requests the user neither drafted nor changed."""
    return ~exists().where(
        col(RequestEditor.request_id) == col(MlaRequest.id),
        col(RequestEditor.user_id) == user_id,
    )


@dataclass(frozen=True)
class PanelSpec:
    key: str
    title: str
    empty: str
    query: Select[Any]


@lru_cache(maxsize=64)
def panel_specs(roles: frozenset[Role], today: dt.date, limit: int) -> tuple[PanelSpec, ...]:
    """The lists for these roles on this day, their queries built once with the user and
    unit as bound parameters (``USER_ID``, ``UNIT_ID``): building them took more time than
    running them."""
    status = col(MlaRequest.status)
    mine = col(MlaRequest.owner_id) == USER_ID
    newest = (col(MlaRequest.updated_at).desc(), col(MlaRequest.id).desc())
    oldest = (col(MlaRequest.updated_at).asc(), col(MlaRequest.id).asc())
    lapsing_first = (col(MlaRequest.preservation_expires_on).asc(), col(MlaRequest.id).asc())
    specs: list[tuple[str, str, str, list[Any], Any]] = []
    if Role.officer in roles:
        specs += [
            ("returned", N_("Returned to me"), N_("Nothing has been returned to you."),
             [mine, status == RequestStatus.returned], newest),
            ("drafts", N_("My drafts"), N_("You have no drafts."),
             [mine, status == RequestStatus.draft], newest),
        ]  # fmt: skip
    if Role.reviewer in roles:
        specs.append(
            ("review", N_("Awaiting my review"), N_("Nothing is waiting for your review."),
             [status == RequestStatus.in_review, not_edited_by(USER_ID)], oldest)
        )  # fmt: skip
    if Role.prosecutor in roles:
        specs.append(
            ("signature", N_("Awaiting signature"), N_("Nothing is waiting for a signature."),
             [status == RequestStatus.approved], oldest)
        )  # fmt: skip
    specs += [
        ("overdue", N_("Overdue"), N_("Nothing is overdue."),
         [overdue_condition(today=today)], newest),
        ("preservation", N_("Preservation lapsing soon"),
         N_("No preservation lapses in the next 14 days."),
         [lapsing_condition(today=today)], lapsing_first),
    ]  # fmt: skip
    return tuple(
        PanelSpec(
            key,
            title,
            empty,
            select(*ROW_COLUMNS)
            .where(col(MlaRequest.unit_id) == UNIT_ID, *where)
            .order_by(*order)
            .limit(limit + 1),
        )
        for key, title, empty, where, order in specs
    )


def list_args(key: str, user: User) -> dict[str, Any]:
    """The request list's filters that show all of a panel."""
    oldest = {"sort": "updated", "order": "asc"}
    args: dict[str, dict[str, Any]] = {
        "returned": {"owner": user.id, "status": "returned"},
        "drafts": {"owner": user.id, "status": "draft"},
        "review": {"status": "in_review", **oldest},
        "signature": {"status": "approved", **oldest},
        "overdue": {"due": "overdue"},
        "preservation": {"due": "preservation"},
    }
    return args[key]


def dashboard(
    *, session: Session, user: User, today: dt.date, limit: int = LIST_LIMIT
) -> Dashboard:
    """The lists the user's roles make relevant; titles are marked for translation."""
    params = {USER_ID.key: user.id, UNIT_ID.key: user.unit_id}
    panels = []
    for spec in panel_specs(user.roles & LIST_ROLES, today, limit):
        rows = rows_of(session.execute(spec.query, params))
        panels.append(
            Panel(
                spec.key,
                spec.title,
                spec.empty,
                rows[:limit],
                len(rows) > limit,
                list_args(spec.key, user),
            )
        )
    return Dashboard(panels, notifications.unread_count(session=session, user=user), today)
