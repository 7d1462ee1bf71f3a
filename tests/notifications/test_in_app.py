"""In-app notifications: who is told after each step, and the page that lists them and
marks them read."""

from __future__ import annotations

from sqlmodel import Session

from mlat.models import MlaRequest, RequestStatus, Role, User
from mlat.services.requests import save_content
from tests.conftest import Client, MakeRequest, MakeUnit, MakeUser, check_page, text_of, texts
from tests.notifications.inbox import clear, inbox
from tests.workflow_helpers import put_in_state, step, submittable_content, today

# Who hears about a step --------------------------------------------------------------------


def test_each_step_notifies_whoever_must_act_next(
    db: Session,
    draft: MlaRequest,
    officer: User,
    make_user: MakeUser,
    make_unit: MakeUnit,
) -> None:
    reviewer = make_user(Role.reviewer)
    editing_reviewer = make_user(Role.officer, Role.reviewer)
    away = make_user(Role.reviewer)
    away.active = False
    db.add(away)
    prosecutor = make_user(Role.prosecutor)
    reviewer_and_prosecutor = make_user(Role.reviewer, Role.prosecutor)
    elsewhere = make_unit(name="Economic Crime Unit, Lagos")
    make_user(Role.reviewer, unit_=elsewhere)
    make_user(Role.prosecutor, unit_=elsewhere)
    save_content(session=db, request=draft, editor=editing_reviewer,
                 expected_version=draft.version, title="Business e-mail compromise")  # fmt: skip
    db.commit()

    step(db, draft, officer, "submit")
    assert inbox(db) == {
        reviewer.id: ["review_needed"],
        reviewer_and_prosecutor.id: ["review_needed"],
    }  # not the drafter, not a reviewer who edited it, not the absent, not another unit
    clear(db)

    step(db, draft, reviewer, "return", comment="Add the IP address of the login.")
    assert inbox(db) == {officer.id: ["returned"]}
    clear(db)

    step(db, draft, editing_reviewer, "submit")  # a colleague resubmits: the owner is told
    clear(db)

    step(db, draft, reviewer_and_prosecutor, "approve", seen_digest=draft.content_digest)
    assert inbox(db) == {prosecutor.id: ["approved"]}  # the approver is not told
    clear(db)

    step(db, draft, prosecutor, "sign")
    assert inbox(db) == {officer.id: ["signed"]}


def test_nobody_is_told_about_their_own_step(
    db: Session, make_user: MakeUser, make_request: MakeRequest
) -> None:
    officer_and_prosecutor = make_user(Role.officer, Role.prosecutor)
    # a unit that lets the officer who drafted a request sign it too
    officer_and_prosecutor.unit.separate_duties = False
    db.add(officer_and_prosecutor.unit)
    request = make_request(officer_and_prosecutor, content=submittable_content(today()))
    put_in_state(db, request, RequestStatus.approved)
    step(db, request, officer_and_prosecutor, "sign")
    assert inbox(db) == {}


def test_steps_after_transmission_notify_nobody(
    db: Session, draft: MlaRequest, officer: User, make_user: MakeUser
) -> None:
    make_user(Role.reviewer)
    make_user(Role.prosecutor)
    put_in_state(db, draft, RequestStatus.transmitted)
    step(db, draft, officer, "acknowledge", on=today())
    assert inbox(db) == {}


# The notifications page --------------------------------------------------------------------


def test_notifications_are_listed_and_can_be_marked_read(
    db: Session,
    client: Client,
    draft: MlaRequest,
    officer: User,
    make_user: MakeUser,
) -> None:
    reviewer, colleague = make_user(Role.reviewer), make_user(Role.reviewer)
    step(db, draft, officer, "submit")
    assert client.login(reviewer.email).status_code == 302

    page = check_page(client.get("/notifications"))
    [link] = page.select("ul.notifications > li > a")
    assert text_of(link) == f"{draft.reference} is waiting for your review."
    assert link["href"] == f"/requests/{draft.id}"
    done = client.submit("/notifications/read", {}, form_url="/notifications")
    assert done.status_code == 303
    response = client.get(done.location)
    assert texts(check_page(response), "main > p") == ["Nothing needs your attention."]
    assert draft.reference not in response.text
    assert inbox(db) == {colleague.id: ["review_needed"]}  # a colleague's stay unread


def test_marking_read_only_touches_the_ones_shown(
    db: Session,
    client: Client,
    draft: MlaRequest,
    officer: User,
    make_user: MakeUser,
) -> None:
    reviewer = make_user(Role.reviewer)
    step(db, draft, officer, "submit")
    assert client.login(reviewer.email).status_code == 302
    page = client.get("/notifications")
    step(db, draft, reviewer, "return", comment="Please add the dates.")
    step(db, draft, officer, "submit")  # a new one arrives after the page was shown
    shown = [str(box["value"]) for box in check_page(page).select('input[name="id"]')]
    assert len(shown) == 1
    client.submit("/notifications/read", {"id": shown}, form_url="/notifications")
    # the new review request stays unread; the return was settled by the resubmission
    assert inbox(db) == {reviewer.id: ["review_needed"]}


def test_a_notification_whose_cause_is_gone_leaves_the_inbox(
    db: Session, draft: MlaRequest, officer: User, make_user: MakeUser
) -> None:
    """A reviewer was still told "DOH-2026-0001 is waiting for your review" after another
    reviewer approved it."""
    first, second = make_user(Role.reviewer), make_user(Role.reviewer)
    prosecutor, other_prosecutor = make_user(Role.prosecutor), make_user(Role.prosecutor)
    step(db, draft, officer, "submit")
    assert inbox(db) == {first.id: ["review_needed"], second.id: ["review_needed"]}

    step(db, draft, first, "approve", seen_digest=draft.content_digest)
    assert inbox(db) == {prosecutor.id: ["approved"], other_prosecutor.id: ["approved"]}

    step(db, draft, prosecutor, "sign")
    assert inbox(db) == {officer.id: ["signed"]}  # the other prosecutor has nothing to do


def test_a_withdrawn_request_leaves_no_one_waiting(
    db: Session, draft: MlaRequest, officer: User, make_user: MakeUser
) -> None:
    reviewer = make_user(Role.reviewer)
    step(db, draft, officer, "submit")
    step(db, draft, officer, "withdraw", comment="Sent through the 24/7 network instead.")
    assert reviewer.id not in inbox(db)


def test_a_change_during_review_is_in_the_history_and_the_reviewers_are_told(
    db: Session, draft: MlaRequest, officer: User, make_user: MakeUser
) -> None:
    """An officer's edit while the request was in review reached the audit log only."""
    from mlat.services.workflow import history

    reviewer = make_user(Role.reviewer)
    step(db, draft, officer, "submit")
    clear(db)
    db.refresh(draft)
    save_content(session=db, request=draft, editor=officer, expected_version=draft.version,
                 content={**draft.content, "nexus": "The account sent every invoice."})  # fmt: skip
    db.commit()
    assert inbox(db) == {reviewer.id: ["changed_in_review"]}
    assert [e.action for e in history(session=db, request=draft)][-1] == "edit_in_review"
    step(db, draft, reviewer, "approve", seen_digest=draft.content_digest)
    assert reviewer.id not in inbox(db)  # settled by the decision
