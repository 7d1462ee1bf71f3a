"""Posts to the action buttons that must not take a step twice or at all: double clicks,
another unit, unknown actions, tampered versions, no CSRF token, and a failure half-way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import Session

from mlat.models import MlaRequest, Role, User
from mlat.services import audit as audit_svc
from tests.conftest import Client, MakeUnit, MakeUser, text_of
from tests.workflow_views.pages import (
    CHANGED,
    S,
    buttons,
    hidden,
    history,
    notifications,
    read,
    reload,
    review_form,
    says,
    status_of,
)

# Double clicks, strangers, forged posts ----------------------------------------------------


def test_submitting_twice_submits_once(
    db: Session, draft: MlaRequest, officer: User, browser: Callable[[User], Client]
) -> None:
    own = browser(officer)
    page = own.get(f"/requests/{draft.id}")
    form = {"csrf_token": hidden(page.text, "csrf_token"), "version": "1"}
    first = own.post(f"/requests/{draft.id}/do/submit", data=form)
    second = own.post(f"/requests/{draft.id}/do/submit", data=form, follow_redirects=True)
    assert first.status_code == 303
    shown = read(second)
    assert says(shown, CHANGED)
    assert status_of(shown) == "In review"
    assert history(db, draft) == ["submit"]
    assert reload(db, draft).version == 2


def test_approving_twice_approves_once(
    db: Session, in_review: MlaRequest, reviewer: User, browser: Callable[[User], Client]
) -> None:
    colleague = browser(reviewer)
    page = colleague.get(f"/requests/{in_review.id}/review")
    form = {"csrf_token": hidden(page.text, "csrf_token"), **review_form(page.text)}
    first = colleague.post(f"/requests/{in_review.id}/do/approve", data=form)
    second = colleague.post(f"/requests/{in_review.id}/do/approve", data=form)
    assert first.status_code == 303
    assert second.status_code == 303
    shown = read(colleague.get(second.location))
    assert says(shown, CHANGED)
    assert status_of(shown) == "Approved"
    assert history(db, in_review) == ["submit", "approve"]


def test_unknown_action_is_not_found(
    db: Session, draft: MlaRequest, officer: User, browser: Callable[[User], Client]
) -> None:
    own = browser(officer)
    response = own.submit(f"/requests/{draft.id}/do/publish", {"version": "1"},
                          form_url=f"/requests/{draft.id}")  # fmt: skip
    assert response.status_code == 404
    assert reload(db, draft).status == S.draft


def test_another_unit_cannot_act_on_a_request(
    db: Session,
    draft: MlaRequest,
    make_unit: MakeUnit,
    make_user: MakeUser,
    browser: Callable[[User], Client],
) -> None:
    stranger = browser(make_user(Role.officer, unit_=make_unit(name="Economic Crime, Lagos")))
    response = stranger.submit(f"/requests/{draft.id}/do/withdraw",
                               {"version": "1", "comment": "Mine now"}, form_url="/")  # fmt: skip
    assert response.status_code == 404
    assert draft.title not in response.text
    assert reload(db, draft).status == S.draft
    assert history(db, draft) == []


@pytest.mark.parametrize("version", ["abc", "²", "1.0", "-1", "99999999999999999999"])
def test_a_tampered_version_is_a_stale_page_not_a_crash(
    db: Session, draft: MlaRequest, officer: User, browser: Callable[[User], Client], version: str
) -> None:
    own = browser(officer)
    shown = own.submit(f"/requests/{draft.id}/do/submit", {"version": version},
                       form_url=f"/requests/{draft.id}", follow_redirects=True)  # fmt: skip
    assert says(read(shown), CHANGED)
    assert reload(db, draft).status == S.draft


def test_a_post_without_csrf_token_is_refused(
    db: Session, draft: MlaRequest, officer: User, browser: Callable[[User], Client]
) -> None:
    response = browser(officer).post(f"/requests/{draft.id}/do/submit", data={"version": "1"})
    page = read(response, 400)
    assert text_of(page.h1).startswith("The request could not be understood.")
    assert reload(db, draft).status == S.draft


def test_a_failure_in_the_middle_of_a_step_changes_nothing(
    db: Session,
    draft: MlaRequest,
    officer: User,
    reviewer: User,
    browser: Callable[[User], Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    own = browser(officer)
    page = own.get(f"/requests/{draft.id}")
    head = audit_svc.head(session=db)

    def fail(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(audit_svc, "record", fail)  # as the service calls it
    form = {"csrf_token": hidden(page.text, "csrf_token"), "version": "1"}
    response = own.post(f"/requests/{draft.id}/do/submit", data=form)
    monkeypatch.undo()

    failed = read(response, 500)
    assert text_of(failed.h1).startswith("Something went wrong on our side.")
    request = reload(db, draft)
    assert (request.status, request.version, request.submitted_at) == (S.draft, 1, None)
    assert history(db, draft) == []
    assert audit_svc.head(session=db) == head
    assert notifications(read(browser(reviewer).get("/notifications"))) == [
        "Nothing needs your attention."
    ]
    assert "Submit for review" in buttons(read(own.get(f"/requests/{draft.id}")))  # try again
