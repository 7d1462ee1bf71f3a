"""The dashboard: each role's lists show what they should, and nothing of other units."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import Session

from mlat.models import (
    MlaRequest,
    Notification,
    NotificationKind,
    RequestEditor,
    RequestStatus,
    Role,
    User,
)
from mlat.services.dashboard import dashboard
from tests.conftest import (
    LoginAs,
    MakeRequest,
    MakeUnit,
    MakeUser,
    PageClient,
    rows,
    text_of,
    texts,
)

TODAY = dt.date(2026, 11, 22)
S = RequestStatus


def panels(db: Session, user: User) -> dict[str, list[int]]:
    board = dashboard(session=db, user=user, today=TODAY)
    return {panel.key: [row.id for row in panel.rows] for panel in board.panels}


def arrange(db: Session, request: MlaRequest, **columns: Any) -> MlaRequest:
    for name, value in columns.items():
        setattr(request, name, value)
    db.commit()
    return request


def test_officer_sees_own_drafts_and_returned_requests(
    db: Session,
    make_user: MakeUser,
    make_unit: MakeUnit,
    make_request: MakeRequest,
) -> None:
    me, colleague = make_user(Role.officer), make_user(Role.officer)
    draft = make_request(me)
    returned = arrange(db, make_request(me), status=S.returned)
    arrange(db, make_request(me), status=S.in_review)
    make_request(colleague)
    make_request(make_user(Role.officer, unit_=make_unit()))
    lists = panels(db, me)
    assert lists["drafts"] == [draft.id]
    assert lists["returned"] == [returned.id]
    assert "review" not in lists and "signature" not in lists


def test_reviewer_never_sees_what_they_drafted_or_edited(
    db: Session,
    make_user: MakeUser,
    make_unit: MakeUnit,
    make_request: MakeRequest,
) -> None:
    officer, reviewer = make_user(Role.officer), make_user(Role.reviewer)
    both = make_user(Role.officer, Role.reviewer)
    waiting = arrange(db, make_request(officer), status=S.in_review)
    edited = arrange(db, make_request(officer), status=S.in_review)
    assert edited.id is not None and reviewer.id is not None
    db.add(RequestEditor(request_id=edited.id, user_id=reviewer.id))
    own = arrange(db, make_request(both), status=S.in_review)
    arrange(db, make_request(officer), status=S.draft)
    stranger = make_user(Role.officer, unit_=make_unit())
    arrange(db, make_request(stranger), status=S.in_review)
    db.commit()
    assert panels(db, reviewer)["review"] == [waiting.id, own.id]
    assert panels(db, both)["review"] == [waiting.id, edited.id]  # not the one they drafted
    assert "drafts" not in panels(db, reviewer)


def test_prosecutor_sees_approved_requests_awaiting_signature(
    db: Session,
    make_user: MakeUser,
    make_unit: MakeUnit,
    make_request: MakeRequest,
) -> None:
    officer, prosecutor = make_user(Role.officer), make_user(Role.prosecutor)
    approved = arrange(db, make_request(officer), status=S.approved)
    arrange(db, make_request(officer), status=S.signed)
    arrange(db, make_request(make_user(Role.officer, unit_=make_unit())), status=S.approved)
    assert panels(db, prosecutor)["signature"] == [approved.id]


def test_overdue_by_deadline_or_follow_up_against_typical_days(
    db: Session,
    make_user: MakeUser,
    make_unit: MakeUnit,
    make_request: MakeRequest,
) -> None:
    officer = make_user(Role.officer)
    past_deadline = arrange(db, make_request(officer), deadline=TODAY - dt.timedelta(days=1))
    arrange(db, make_request(officer), deadline=TODAY)  # due today: not overdue yet
    arrange(db, make_request(officer), deadline=TODAY - dt.timedelta(days=9), status=S.executed)
    on = TODAY - dt.timedelta(days=301)  # the United States typically take 300 days
    slow_us = arrange(db, make_request(officer, requested_state="US"),
                      status=S.acknowledged, transmitted_on=on)  # fmt: skip
    arrange(db, make_request(officer, requested_state="US"), status=S.transmitted,
            transmitted_on=TODAY - dt.timedelta(days=300))  # fmt: skip
    arrange(db, make_request(officer, requested_state="US"), status=S.executed,
            transmitted_on=on, executed_on=TODAY)  # fmt: skip
    arrange(db, make_request(officer, requested_state="GB"), status=S.transmitted,
            transmitted_on=TODAY - dt.timedelta(days=900))  # no typical time for GB  # fmt: skip
    elsewhere = make_user(Role.officer, unit_=make_unit())
    arrange(db, make_request(elsewhere), deadline=TODAY - dt.timedelta(days=1))
    assert set(panels(db, officer)["overdue"]) == {past_deadline.id, slow_us.id}


def test_preservation_lapsing_within_14_days(
    db: Session, make_user: MakeUser, make_request: MakeRequest
) -> None:
    officer = make_user(Role.officer)

    def expiring(days: int, status: RequestStatus = S.transmitted) -> MlaRequest:
        return arrange(db, make_request(officer), status=status,
                       preservation_expires_on=TODAY + dt.timedelta(days=days))  # fmt: skip

    soon, today, edge = expiring(3), expiring(0), expiring(14)
    expiring(15), expiring(-1), expiring(5, S.executed)
    assert panels(db, officer)["preservation"] == [today.id, soon.id, edge.id]


def test_lists_are_capped_and_link_to_the_filtered_list(
    db: Session, make_user: MakeUser, make_request: MakeRequest
) -> None:
    officer = make_user(Role.officer)
    for _ in range(4):
        make_request(officer)
    board = dashboard(session=db, user=officer, today=TODAY, limit=3)
    drafts = next(p for p in board.panels if p.key == "drafts")
    assert len(drafts.rows) == 3 and drafts.more
    assert drafts.list_args == {"owner": officer.id, "status": "draft"}


def test_dashboard_page_per_role_with_unread_notifications(
    client_request: PageClient, login_as: LoginAs, make_request: MakeRequest, db: Session
) -> None:
    me = login_as(Role.officer, Role.reviewer)
    request = make_request(me, title="Ransomware attack on a clinic")
    assert me.id is not None
    db.add(Notification(user_id=me.id, request_id=request.id, kind=NotificationKind.returned))
    db.commit()
    page = client_request.get("/dashboard")
    assert texts(page, ".panel h2") == ["Returned to me", "My drafts", "Awaiting my review",
                                        "Overdue", "Preservation lapsing soon"]  # fmt: skip
    assert "Awaiting signature" not in page.text
    [draft] = rows(page, ".panel-drafts table")
    assert draft[:2] == [request.reference, "Ransomware attack on a clinic"]
    link = page.select_one("a.notifications-link")
    assert link is not None and link["href"] == "/notifications"
    assert text_of(link) == "1 unread notification"
    lists = [str(a["href"]) for a in page.select(".panel-drafts p a")]
    assert lists == [f"/?owner={me.id}&status=draft"]
