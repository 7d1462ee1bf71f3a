"""The workflow as people use it in the browser: the review page, the action buttons on the
request page, and what they see when a step is refused or fails."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable
from typing import Any

import pytest
from babel.dates import format_date
from flask import Flask
from markupsafe import escape
from sqlmodel import select

from mlat.models import MlaRequest, RequestEvent, RequestStatus, Role, Unit, User
from mlat.services import audit as audit_svc
from mlat.services.requests import save_content
from mlat.services.workflow import Inputs, transition
from tests.conftest import Client
from tests.test_workflow import put_in_state, submittable_content

S = RequestStatus
APPROVE_BUTTON = re.compile(r'formaction="/requests/\d+/do/approve"')
FOUR_EYES = "You drafted or changed this request, so someone else must approve it."
CHANGED = "The request was changed (perhaps by an earlier click, or by someone else)"


def today() -> dt.date:
    return dt.date.today()


def escaped(text: str) -> str:
    """The text as the page shows it (HTML-escaped, as Jinja does)."""
    return str(escape(text))


def hidden(page: str, name: str) -> str:
    """The value of a hidden field, as the browser would send it back."""
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
    if match is None:
        match = re.search(rf'value="([^"]*)"[^>]*name="{name}"', page)
    assert match, f"no {name} field"
    return html.unescape(match.group(1))


@pytest.fixture
def browser(app: Flask) -> Callable[[User], Client]:
    """A browser of its own, logged in as the user."""

    def open_(user: User) -> Client:
        app.test_client_class = Client
        client: Client = app.test_client()  # type: ignore[assignment]
        assert client.login(user.email).status_code == 302
        return client

    return open_


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    return make_user(Role.officer)


@pytest.fixture
def reviewer(make_user: Callable[..., User]) -> User:
    return make_user(Role.reviewer)


@pytest.fixture
def draft(officer: User, make_request: Callable[..., MlaRequest]) -> MlaRequest:
    """A draft that passes every check today."""
    return make_request(officer, content=submittable_content(today()))


def step(db: Any, request: MlaRequest, actor: User, action: str, **inputs: Any) -> None:
    """Arrange: take a step through the service, as someone else did earlier."""
    db.refresh(request)
    transition(session=db, request=request, actor=actor, action=action,
               expected_version=request.version, inputs=Inputs(**inputs))  # fmt: skip
    db.commit()


@pytest.fixture
def in_review(db: Any, draft: MlaRequest, officer: User) -> MlaRequest:
    step(db, draft, officer, "submit")
    return draft


def reload(db: Any, request: MlaRequest) -> MlaRequest:
    db.expire_all()
    found: MlaRequest = db.get(MlaRequest, request.id)
    return found


def history(db: Any, request: MlaRequest) -> list[str]:
    db.expire_all()
    rows = db.exec(select(RequestEvent.action).where(RequestEvent.request_id == request.id))
    return list(rows)


def review_form(page: str) -> dict[str, str]:
    return {name: hidden(page, name) for name in ("version", "seen_digest")}


# Four eyes ---------------------------------------------------------------------------------


def test_the_drafter_cannot_approve_their_own_request_even_as_reviewer(
    db: Any,
    make_user: Callable[..., User],
    make_request: Callable[..., MlaRequest],
    browser: Callable[[User], Client],
    reviewer: User,
) -> None:
    drafter = make_user(Role.officer, Role.reviewer)
    request = make_request(drafter, content=submittable_content(today()))
    step(db, request, drafter, "submit")
    own = browser(drafter)

    page = own.get(f"/requests/{request.id}/review")
    assert page.status_code == 200
    assert not APPROVE_BUTTON.search(page.text)
    assert FOUR_EYES in page.text
    assert "Return to the officer with these comments" in page.text

    form = {"csrf_token": hidden(page.text, "csrf_token"), **review_form(page.text)}
    forced = own.post(f"/requests/{request.id}/do/approve", data=form)
    assert forced.status_code == 400
    assert escaped(FOUR_EYES) in forced.text
    assert reload(db, request).status == S.in_review

    colleague = browser(reviewer)
    page = colleague.get(f"/requests/{request.id}/review")
    assert APPROVE_BUTTON.search(page.text)
    assert FOUR_EYES not in page.text
    done = colleague.submit(
        f"/requests/{request.id}/do/approve",
        review_form(page.text),
        form_url=f"/requests/{request.id}/review",
        follow_redirects=True,
    )
    assert "Done: Approve." in done.text
    assert reload(db, request).status == S.approved


def test_an_officer_who_edited_it_sees_no_approve_button(
    db: Any,
    in_review: MlaRequest,
    make_user: Callable[..., User],
    browser: Callable[[User], Client],
) -> None:
    editor = make_user(Role.officer, Role.reviewer)
    save_content(
        session=db,
        request=reload(db, in_review),
        editor=editor,
        expected_version=in_review.version,
        title="Business e-mail compromise",
    )
    db.commit()
    page = browser(editor).get(f"/requests/{in_review.id}/review")
    assert not APPROVE_BUTTON.search(page.text)
    assert FOUR_EYES in page.text


def test_only_reviewers_open_the_review_page(
    in_review: MlaRequest, officer: User, browser: Callable[[User], Client]
) -> None:
    own = browser(officer)
    assert own.get(f"/requests/{in_review.id}/review").status_code == 403
    assert "Review this request" not in own.get(f"/requests/{in_review.id}").text


# Approval pinned to the content ------------------------------------------------------------


def test_approving_after_the_officer_changed_the_request_shows_it_again(
    db: Any, in_review: MlaRequest, officer: User, reviewer: User, browser: Callable[[User], Client]
) -> None:
    colleague = browser(reviewer)
    opened = colleague.get(f"/requests/{in_review.id}/review")
    content = {**in_review.content, "nexus": "The account was opened from Lagos."}
    save_content(session=db, request=reload(db, in_review), editor=officer,
                 expected_version=in_review.version, content=content)  # fmt: skip
    db.commit()

    stale = colleague.post(
        f"/requests/{in_review.id}/do/approve",
        data={"csrf_token": hidden(opened.text, "csrf_token"), **review_form(opened.text),
              "comment": "Fine by me.", "note-facts": "Well written."},
    )  # fmt: skip
    assert stale.status_code == 409
    assert escaped(CHANGED) in stale.text
    assert "The account was opened from Lagos." in stale.text  # the request as it is now
    assert "Well written." in stale.text and "Fine by me." in stale.text  # nothing lost
    assert reload(db, in_review).status == S.in_review

    again = colleague.post(
        f"/requests/{in_review.id}/do/approve",
        data={"csrf_token": hidden(stale.text, "csrf_token"), **review_form(stale.text)},
    )
    assert again.status_code == 303
    approved = reload(db, in_review)
    assert (approved.status, approved.approved_digest) == (S.approved, approved.content_digest)


def test_editing_an_approved_request_sends_it_back_with_the_changes_shown(
    db: Any,
    in_review: MlaRequest,
    officer: User,
    reviewer: User,
    make_user: Callable[..., User],
    browser: Callable[[User], Client],
) -> None:
    second_reviewer = make_user(Role.reviewer)
    step(db, in_review, reviewer, "approve", seen_digest=in_review.content_digest)
    own = browser(officer)
    saved = own.submit(
        f"/requests/{in_review.id}/edit",
        {"title": "Business e-mail compromise of Al Waha Trading", "requested_state": "US",
         "version": str(reload(db, in_review).version)},
        follow_redirects=True,
    )  # fmt: skip
    assert "Changes saved." in saved.text
    assert "In review" in saved.text
    request = reload(db, in_review)
    assert (request.status, request.approved_digest) == (S.in_review, None)

    for person in (reviewer, second_reviewer):
        assert request.reference in browser(person).get("/notifications").text

    page = browser(second_reviewer).get(f"/requests/{in_review.id}/review")
    assert "Changed since the last review" in page.text
    diff = page.text.split('<table class="table diff">')[1].split("</table>")[0]
    [row] = re.findall(r"<tr><th scope=\"row\">.*?</tr>", diff)
    assert "<code>title</code>" in row
    assert '<td class="diff-old">Phishing of a bank&#39;s customers</td>' in row
    assert '<td class="diff-new">Business e-mail compromise of Al Waha Trading</td>' in row
    assert APPROVE_BUTTON.search(page.text)


# Returning with comments -------------------------------------------------------------------


def test_comments_on_sections_reach_the_officer(
    db: Any, in_review: MlaRequest, officer: User, reviewer: User, browser: Callable[[User], Client]
) -> None:
    colleague = browser(reviewer)
    review_url = f"/requests/{in_review.id}/review"
    page = colleague.get(review_url)
    for name in ("note-facts", "note-identifiers", "note-measures"):
        assert f'name="{name}"' in page.text
    returned = colleague.submit(
        f"/requests/{in_review.id}/do/return",
        {**review_form(page.text), "comment": "Nearly there.",
         "note-facts": "Say when the account was opened.",
         "note-identifiers": "Add the IP address of the login."},
        form_url=review_url,
    )  # fmt: skip
    assert returned.status_code == 303
    assert reload(db, in_review).status == S.returned

    shown = browser(officer).get(f"/requests/{in_review.id}")
    assert "Returned with comments" in shown.text
    assert "Say when the account was opened." in shown.text
    assert "Add the IP address of the login." in shown.text
    assert "Nearly there." in shown.text
    assert "Submit for review" in shown.text  # and they can send it back when done


def test_return_without_a_comment_is_refused(
    db: Any, in_review: MlaRequest, reviewer: User, browser: Callable[[User], Client]
) -> None:
    colleague = browser(reviewer)
    review_url = f"/requests/{in_review.id}/review"
    page = colleague.get(review_url)
    refused = colleague.submit(
        f"/requests/{in_review.id}/do/return",
        {**review_form(page.text), "comment": "  ", "note-facts": "   "},
        form_url=review_url,
    )
    assert refused.status_code == 400
    assert "Give a reason or a comment." in refused.text
    assert reload(db, in_review).status == S.in_review
    assert history(db, in_review) == ["submit"]


def test_a_refused_return_keeps_what_the_reviewer_typed(
    db: Any, in_review: MlaRequest, reviewer: User, browser: Callable[[User], Client]
) -> None:
    colleague = browser(reviewer)
    review_url = f"/requests/{in_review.id}/review"
    page = colleague.get(review_url)
    too_long = "The dates of the payments do not match the bank statement. " * 90
    refused = colleague.submit(
        f"/requests/{in_review.id}/do/return",
        {**review_form(page.text), "comment": "See my notes.", "note-facts": too_long,
         "note-persons": "Give the suspect's date of birth."},
        form_url=review_url,
    )  # fmt: skip
    assert refused.status_code == 400
    assert "Comments are limited to 5000 characters." in refused.text
    assert escaped(too_long.strip()) in refused.text
    assert escaped("Give the suspect's date of birth.") in refused.text
    assert "See my notes." in refused.text
    assert reload(db, in_review).status == S.in_review


# Double clicks, strangers, forged posts ----------------------------------------------------


def test_submitting_twice_submits_once(
    db: Any, draft: MlaRequest, officer: User, browser: Callable[[User], Client]
) -> None:
    own = browser(officer)
    page = own.get(f"/requests/{draft.id}")
    form = {"csrf_token": hidden(page.text, "csrf_token"), "version": "1"}
    first = own.post(f"/requests/{draft.id}/do/submit", data=form)
    second = own.post(f"/requests/{draft.id}/do/submit", data=form, follow_redirects=True)
    assert first.status_code == 303
    assert second.status_code == 200
    assert escaped(CHANGED) in second.text
    assert "In review" in second.text
    assert history(db, draft) == ["submit"]
    assert reload(db, draft).version == 2


def test_approving_twice_approves_once(
    db: Any, in_review: MlaRequest, reviewer: User, browser: Callable[[User], Client]
) -> None:
    colleague = browser(reviewer)
    page = colleague.get(f"/requests/{in_review.id}/review")
    form = {"csrf_token": hidden(page.text, "csrf_token"), **review_form(page.text)}
    first = colleague.post(f"/requests/{in_review.id}/do/approve", data=form)
    second = colleague.post(f"/requests/{in_review.id}/do/approve", data=form)
    assert first.status_code == 303
    assert second.status_code == 303
    shown = colleague.get(second.location)
    assert escaped(CHANGED) in shown.text
    assert "Approved" in shown.text
    assert history(db, in_review) == ["submit", "approve"]


def test_unknown_action_is_not_found(
    db: Any, draft: MlaRequest, officer: User, browser: Callable[[User], Client]
) -> None:
    own = browser(officer)
    response = own.submit(f"/requests/{draft.id}/do/publish", {"version": "1"},
                          form_url=f"/requests/{draft.id}")  # fmt: skip
    assert response.status_code == 404
    assert reload(db, draft).status == S.draft


def test_another_unit_cannot_act_on_a_request(
    db: Any,
    draft: MlaRequest,
    make_unit: Callable[..., Unit],
    make_user: Callable[..., User],
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
    db: Any, draft: MlaRequest, officer: User, browser: Callable[[User], Client], version: str
) -> None:
    own = browser(officer)
    shown = own.submit(f"/requests/{draft.id}/do/submit", {"version": version},
                       form_url=f"/requests/{draft.id}", follow_redirects=True)  # fmt: skip
    assert shown.status_code == 200
    assert escaped(CHANGED) in shown.text
    assert reload(db, draft).status == S.draft


def test_a_post_without_csrf_token_is_refused(
    db: Any, draft: MlaRequest, officer: User, browser: Callable[[User], Client]
) -> None:
    response = browser(officer).post(f"/requests/{draft.id}/do/submit", data={"version": "1"})
    assert response.status_code == 400
    assert "The request could not be understood." in response.text
    assert reload(db, draft).status == S.draft


def test_a_failure_in_the_middle_of_a_step_changes_nothing(
    db: Any,
    draft: MlaRequest,
    officer: User,
    reviewer: User,
    browser: Callable[[User], Client],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    own = browser(officer)
    page = own.get(f"/requests/{draft.id}")
    head = audit_svc.head(db)

    def fail(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(audit_svc, "record", fail)  # as the service calls it
    form = {"csrf_token": hidden(page.text, "csrf_token"), "version": "1"}
    response = own.post(f"/requests/{draft.id}/do/submit", data=form)
    monkeypatch.undo()

    assert response.status_code == 500
    assert "Something went wrong on our side." in response.text
    request = reload(db, draft)
    assert (request.status, request.version, request.submitted_at) == (S.draft, 1, None)
    assert history(db, draft) == []
    assert audit_svc.head(db) == head
    assert "Nothing needs your attention." in browser(reviewer).get("/notifications").text
    assert "Submit for review" in own.get(f"/requests/{draft.id}").text  # try again


# Recording transmission and what follows ---------------------------------------------------


@pytest.fixture
def signed(db: Any, draft: MlaRequest) -> MlaRequest:
    return put_in_state(db, draft, S.signed)


def test_transmission_is_recorded_and_shown(
    db: Any, signed: MlaRequest, officer: User, browser: Callable[[User], Client]
) -> None:
    own = browser(officer)
    page = own.get(f"/requests/{signed.id}")
    assert "Record transmission" in page.text
    assert 'id="transmit-channel"' in page.text and 'id="transmit-on"' in page.text
    yesterday = today() - dt.timedelta(days=1)
    shown = own.submit(
        f"/requests/{signed.id}/do/transmit",
        {"version": str(signed.version), "on": yesterday.isoformat(),
         "channel": "central_authority", "foreign_reference": "CRM-182-77"},
        form_url=f"/requests/{signed.id}", follow_redirects=True,
    )  # fmt: skip
    assert "Done: Record transmission." in shown.text
    summary = shown.text.split('<dl class="summary">')[1].split("</dl>")[0]
    assert "Transmitted" in summary
    assert format_date(yesterday, "medium", locale="en") in summary
    assert "Central authority to central authority" in summary
    assert "their reference CRM-182-77" in summary
    request = reload(db, signed)
    assert (request.status, request.transmitted_on) == (S.transmitted, yesterday)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"channel": "central_authority"}, "Give the date."),
        ({"on": "{today}"}, "Choose the channel the request was sent through."),
        (
            {"on": "{in_a_week}", "channel": "central_authority"},
            "The date cannot be in the future.",
        ),
        ({"on": "31/12/2026", "channel": "central_authority"}, "Not a valid date value."),
    ],
    ids=["no-date", "no-channel", "future-date", "bad-date"],
)
def test_transmission_without_what_it_needs_is_refused(
    db: Any,
    signed: MlaRequest,
    officer: User,
    browser: Callable[[User], Client],
    form: dict[str, str],
    message: str,
) -> None:
    dates = {"today": today().isoformat(),
             "in_a_week": (today() + dt.timedelta(days=7)).isoformat()}  # fmt: skip
    own = browser(officer)
    shown = own.submit(
        f"/requests/{signed.id}/do/transmit",
        {"version": str(signed.version), **{k: v.format(**dates) for k, v in form.items()}},
        form_url=f"/requests/{signed.id}", follow_redirects=True,
    )  # fmt: skip
    assert message in shown.text
    assert reload(db, signed).status == S.signed
    assert history(db, signed) == []


def test_refusal_needs_a_reason(
    db: Any, draft: MlaRequest, officer: User, browser: Callable[[User], Client]
) -> None:
    put_in_state(db, draft, S.transmitted)
    own = browser(officer)
    url, back = f"/requests/{draft.id}/do/refuse", f"/requests/{draft.id}"
    form = {"version": str(draft.version), "on": today().isoformat()}
    refused = own.submit(url, form, form_url=back, follow_redirects=True)
    assert "Give a reason or a comment." in refused.text
    assert reload(db, draft).status == S.transmitted

    done = own.submit(url, {**form, "comment": "Dual criminality not met."}, form_url=back,
                      follow_redirects=True)  # fmt: skip
    assert "Done: Record refusal." in done.text
    assert "Dual criminality not met." in done.text  # in the history
    assert reload(db, draft).status == S.refused
