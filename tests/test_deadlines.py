"""The clocks of a request, with a frozen date, and drafting a preservation extension."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlmodel import Session

from mlat.models import RequestStatus, Role
from mlat.services.deadlines import (
    deadline_clock,
    draft_extension,
    follow_up_clock,
    preservation_clock,
    request_clocks,
)
from tests.conftest import (
    Client,
    LoginAs,
    MakeRequest,
    MakeUser,
    check_page,
    flashes,
    text_of,
    texts,
)

TODAY = dt.date(2026, 11, 22)


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


@pytest.mark.parametrize(
    ("expires_in", "level"),
    [(40, "ok"), (15, "ok"), (14, "warning"), (8, "warning"), (7, "urgent"), (0, "urgent"),
     (-1, "lapsed")],
)  # fmt: skip
def test_preservation_warns_at_14_and_7_days_and_lapses(expires_in: int, level: str) -> None:
    clock = preservation_clock(
        requested=True, requested_on=days(-60), expires_on=days(expires_in),
        initial_days=90, today=TODAY,
    )  # fmt: skip
    assert clock is not None
    assert clock.days_left == expires_in
    assert clock.level == level
    assert not clock.from_rule_table


def test_preservation_expiry_comes_from_the_rule_table_when_not_entered() -> None:
    clock = preservation_clock(
        requested=True, requested_on=days(-80), expires_on=None, initial_days=90,
        extension_days=90, today=TODAY,
    )  # fmt: skip
    assert clock is not None
    assert clock.expires_on == days(10)
    assert clock.level == "warning"
    assert clock.from_rule_table
    assert clock.extension_days == 90


def test_preservation_without_period_is_unknown_and_without_request_absent() -> None:
    unknown = preservation_clock(
        requested=True, requested_on=days(-5), expires_on=None, initial_days=None, today=TODAY
    )
    assert unknown is not None and unknown.level == "unknown" and unknown.days_left is None
    none = preservation_clock(
        requested=False, requested_on=days(-5), expires_on=days(5), initial_days=90, today=TODAY
    )
    assert none is None


def test_follow_up_is_overdue_after_the_typical_execution_time() -> None:
    on_time = follow_up_clock(
        status="transmitted", transmitted_on=days(-300), typical_days=300, today=TODAY
    )
    late = follow_up_clock(
        status="acknowledged", transmitted_on=days(-301), typical_days=300, today=TODAY
    )
    assert on_time is not None and not on_time.overdue and on_time.days_since == 300
    assert late is not None and late.overdue and late.days_over == 1


@pytest.mark.parametrize("status", ["executed", "refused", "withdrawn", "closed"])
def test_finished_requests_are_never_overdue(status: str) -> None:
    clock = follow_up_clock(status=status, transmitted_on=days(-900), typical_days=300, today=TODAY)
    assert clock is not None and not clock.overdue
    deadline = deadline_clock(status=status, deadline=days(-3), today=TODAY)
    assert deadline is not None and not deadline.overdue


def test_follow_up_without_typical_time_is_unknown_not_overdue() -> None:
    clock = follow_up_clock(status="transmitted", transmitted_on=days(-900), typical_days=None,
                            today=TODAY)  # fmt: skip
    assert clock is not None and clock.typical_days is None and not clock.overdue
    assert (
        follow_up_clock(status="draft", transmitted_on=None, typical_days=300, today=TODAY) is None
    )


def test_request_deadline_counts_down_then_is_overdue() -> None:
    ahead = deadline_clock(status="in_review", deadline=days(5), today=TODAY)
    passed = deadline_clock(status="transmitted", deadline=days(-2), today=TODAY)
    assert ahead is not None and ahead.days_left == 5 and not ahead.overdue
    assert ahead.level == "urgent"
    assert passed is not None and passed.overdue and passed.days_left == -2


def preserved(requested_on: dt.date, expires_on: dt.date | None = None) -> dict[str, Any]:
    return {
        "preservation": {
            "requested": True,
            "reference": "US-PRES-2026-1182",
            "requested_on": requested_on.isoformat(),
            "expires_on": expires_on.isoformat() if expires_on else None,
        },
        "identifiers": [{"kind": "email", "value": "finance.alwaha@mailhost.example"}],
        "persons": [{"role": "suspect", "name": "Unknown user"}],
        "measures": [{"kind": "stored_content", "identifiers": [0]}],
        "related_requests": ["DOH-2025-0099"],
    }


def test_request_clocks_read_the_request_and_the_rule_table(
    make_user: MakeUser, make_request: MakeRequest, db: Session
) -> None:
    request = make_request(make_user(Role.officer), requested_state="US",
                           content=preserved(days(-85)))  # fmt: skip
    request.status = RequestStatus.transmitted
    request.transmitted_on = days(-301)
    request.deadline = days(-1)
    db.commit()
    clocks = request_clocks(request, today=TODAY)
    assert clocks.preservation is not None
    assert clocks.preservation.expires_on == days(5)  # US: 90 days from the request
    assert clocks.preservation.level == "urgent"
    assert clocks.follow_up is not None and clocks.follow_up.overdue  # US: typically 300 days
    assert clocks.deadline is not None and clocks.deadline.overdue
    assert clocks.can_extend


def test_extension_draft_copies_the_request_and_names_the_original(
    make_user: MakeUser, make_request: MakeRequest, db: Session
) -> None:
    officer = make_user(Role.officer)
    original = make_request(officer, requested_state="US", content=preserved(days(-85)))
    draft = draft_extension(session=db, original=original, owner=officer,
                            title="Extension", today=TODAY)  # fmt: skip
    db.commit()
    assert draft.id != original.id and draft.status == RequestStatus.draft
    assert draft.requested_state == "US"
    assert draft.content["status"] == "extension"
    assert draft.content["related_requests"] == [original.reference, "DOH-2025-0099"]
    assert draft.content["preservation"]["reference"] == "US-PRES-2026-1182"
    assert draft.content["identifiers"] == original.content["identifiers"]
    # it asks only for the preservation of the same data to go on, not for the data again
    [measure] = draft.content["measures"]
    assert measure["kind"] == "preservation"
    assert measure["identifiers"] == sorted(
        {i for m in original.content["measures"] for i in m["identifiers"]}
    )
    assert measure["date_from"] == min(m["date_from"] for m in original.content["measures"])


def test_officer_drafts_the_extension_from_the_request_page(
    client: Client, login_as: LoginAs, make_request: MakeRequest
) -> None:
    officer = login_as(Role.officer)
    original = make_request(officer, content=preserved(dt.date.today() - dt.timedelta(days=85)))
    page = client.get(f"/requests/{original.id}")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    response = client.post(
        f"/requests/{original.id}/extension",
        data={"csrf_token": token.group(1) if token else ""},
        follow_redirects=True,
    )
    assert response.status_code == 200
    shown = check_page(response)
    assert any(f"drafted from {original.reference}" in message for message in flashes(shown))
    assert "Extension of preservation: Phishing of a bank" in text_of(shown.h1)


def test_no_extension_without_preservation_or_from_another_unit(
    client: Client,
    login_as: LoginAs,
    make_user: MakeUser,
    make_unit: Callable[..., Any],
    make_request: MakeRequest,
) -> None:
    officer = login_as(Role.officer)
    plain = make_request(officer)
    response = client.submit(f"/requests/{plain.id}/extension", {},
                             form_url=f"/requests/{plain.id}", follow_redirects=True)  # fmt: skip
    assert any("No preservation was requested" in m for m in flashes(check_page(response)))
    stranger = make_user(Role.officer, unit_=make_unit())
    theirs = make_request(stranger, content=preserved(TODAY))
    response = client.submit(f"/requests/{theirs.id}/extension", {},
                             form_url=f"/requests/{plain.id}")  # fmt: skip
    assert response.status_code == 404


def test_the_clocks_partial_shows_the_warning_and_the_extension_button(
    app: Any, make_user: MakeUser, make_request: MakeRequest, db: Session
) -> None:
    officer = make_user(Role.officer)
    request = make_request(officer, requested_state="US", content=preserved(days(-85)))
    clocks = request_clocks(request, today=TODAY)
    with app.test_request_context():
        from flask import render_template_string
        from flask_login import login_user

        from mlat.auth import SessionUser

        login_user(SessionUser(officer, "unsaved-token"))
        html = render_template_string('{% include "dashboard/_clocks.html" %}', clocks=clocks)
    clock = BeautifulSoup(html, "html.parser").select_one(".clock-list > li.clock-urgent")
    assert clock is not None
    assert texts(clock, ".clock-level") == ["Urgent:"]
    assert "5 days left" in text_of(clock)
    [form] = clock.select("form")
    assert form["action"] == f"/requests/{request.id}/extension"
    assert texts(form, "button") == ["Draft an extension request"]
