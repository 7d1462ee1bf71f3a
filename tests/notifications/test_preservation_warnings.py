"""Preservation warnings: at 14 and at 7 days before a preservation lapses, once each, from
`flask notify deadlines`, and none once the evidence is in."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlmodel import Session, select

from mlat.models import MlaRequest, Notification, RequestStatus, User
from mlat.services import notifications
from tests.conftest import Client, MakeRequest, check_page, texts
from tests.flask_cli import flask
from tests.notifications.inbox import inbox
from tests.workflow_helpers import put_in_state, submittable_content, today

# Preservation warnings ---------------------------------------------------------------------


def preserved_until(make_request: MakeRequest, owner: User, expires_on: dt.date) -> MlaRequest:
    content = submittable_content(today())
    content["preservation"]["requested_on"] = (expires_on - dt.timedelta(days=90)).isoformat()
    content["preservation"]["expires_on"] = expires_on.isoformat()
    return make_request(owner, content=content)


def test_preservation_warnings_come_once_at_14_and_once_at_7_days(
    db: Session, officer: User, make_request: MakeRequest
) -> None:
    lapses = dt.date(2027, 3, 1)
    request = preserved_until(make_request, officer, lapses)
    expected = {20: [], 15: [], 14: ["preservation_lapsing"], 13: [], 8: [],
                7: ["preservation_urgent"], 3: [], 0: [], -1: []}  # fmt: skip
    for days_left, kinds in expected.items():
        before = {n.id for n in db.exec(select(Notification))}
        notifications.preservation_warnings(session=db, today=lapses - dt.timedelta(days_left))
        db.commit()
        new = [n for n in db.exec(select(Notification)) if n.id not in before]
        assert [n.kind for n in new] == kinds, f"{days_left} days left"
        assert all((n.user_id, n.request_id) == (officer.id, request.id) for n in new)


def test_a_preservation_found_late_gets_one_warning_not_two(
    db: Session, officer: User, make_request: MakeRequest
) -> None:
    lapses = dt.date(2027, 3, 1)
    preserved_until(make_request, officer, lapses)
    sent = notifications.preservation_warnings(session=db, today=lapses - dt.timedelta(days=5))
    db.commit()
    assert sent == 1
    assert inbox(db) == {officer.id: ["preservation_urgent"]}


@pytest.mark.parametrize("status", [RequestStatus.executed, RequestStatus.closed])
def test_no_warning_once_the_evidence_is_in(
    db: Session, officer: User, make_request: MakeRequest, status: RequestStatus
) -> None:
    lapses = dt.date(2027, 3, 1)
    put_in_state(db, preserved_until(make_request, officer, lapses), status)
    assert notifications.preservation_warnings(session=db, today=lapses - dt.timedelta(7)) == 0


def test_notify_deadlines_command_warns_the_owner_once(
    db: Session, runner: Any, client: Client, officer: User, make_request: MakeRequest
) -> None:
    request = preserved_until(make_request, officer, today() + dt.timedelta(days=14))
    first = flask(runner, "notify", "deadlines")
    assert first.exit_code == 0, first.output
    assert "1 notifications written." in first.output
    again = flask(runner, "notify", "deadlines")
    assert "0 notifications written." in again.output

    client.login(officer.email)
    page = check_page(client.get("/notifications"))
    assert texts(page, "ul.notifications > li > a") == [
        f"The preservation for {request.reference} lapses within 14 days."
    ]
