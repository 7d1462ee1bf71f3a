"""The dashboard: what each user has to act on now, one short indexed query per list."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlmodel import Session, col

from mlat.models import MlaRequest, RequestEditor, RequestStatus, Role, User
from mlat.services import N_, notifications
from mlat.services.listing import (
    ROW_COLUMNS,
    RequestRow,
    lapsing_condition,
    overdue_condition,
    rows_of,
)

LIST_LIMIT = 10


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


def not_edited_by(user: User) -> ColumnElement[bool]:
    """The four-eyes rule: requests the user neither drafted nor changed."""
    return ~exists().where(
        col(RequestEditor.request_id) == col(MlaRequest.id),
        col(RequestEditor.user_id) == user.id,
    )


def dashboard(
    *, session: Session, user: User, today: dt.date, limit: int = LIST_LIMIT
) -> Dashboard:
    """The lists the user's roles make relevant; titles are marked for translation."""
    status = col(MlaRequest.status)
    mine = col(MlaRequest.owner_id) == user.id
    newest = (col(MlaRequest.updated_at).desc(), col(MlaRequest.id).desc())
    oldest = (col(MlaRequest.updated_at).asc(), col(MlaRequest.id).asc())
    lapsing_first = (col(MlaRequest.preservation_expires_on).asc(), col(MlaRequest.id).asc())
    oldest_args = {"sort": "updated", "order": "asc"}
    specs: list[tuple[str, str, str, list[Any], Any, dict[str, Any]]] = []
    if user.has_role(Role.officer):
        specs += [
            ("returned", N_("Returned to me"), N_("Nothing has been returned to you."),
             [mine, status == RequestStatus.returned], newest,
             {"owner": user.id, "status": "returned"}),
            ("drafts", N_("My drafts"), N_("You have no drafts."),
             [mine, status == RequestStatus.draft], newest,
             {"owner": user.id, "status": "draft"}),
        ]  # fmt: skip
    if user.has_role(Role.reviewer):
        specs.append(
            ("review", N_("Awaiting my review"), N_("Nothing is waiting for your review."),
             [status == RequestStatus.in_review, not_edited_by(user)], oldest,
             {"status": "in_review", **oldest_args})
        )  # fmt: skip
    if user.has_role(Role.prosecutor):
        specs.append(
            ("signature", N_("Awaiting signature"), N_("Nothing is waiting for a signature."),
             [status == RequestStatus.approved], oldest, {"status": "approved", **oldest_args})
        )  # fmt: skip
    specs += [
        ("overdue", N_("Overdue"), N_("Nothing is overdue."),
         [overdue_condition(today=today)], newest, {"due": "overdue"}),
        ("preservation", N_("Preservation lapsing soon"),
         N_("No preservation lapses in the next 14 days."),
         [lapsing_condition(today=today)], lapsing_first, {"due": "preservation"}),
    ]  # fmt: skip
    panels = []
    for key, title, empty, where, order, list_args in specs:
        query = (
            select(*ROW_COLUMNS)
            .where(col(MlaRequest.unit_id) == user.unit_id, *where)
            .order_by(*order)
            .limit(limit + 1)
        )
        rows = rows_of(session.execute(query))
        panels.append(Panel(key, title, empty, rows[:limit], len(rows) > limit, list_args))
    return Dashboard(panels, notifications.unread_count(session, user), today)
