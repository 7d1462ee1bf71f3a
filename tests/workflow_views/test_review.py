"""The review page: four eyes, approval of the content the reviewer read, and returning
the request to the officer with comments."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlmodel import Session

from mlat.models import MlaRequest, Role, User
from mlat.services.requests import save_content
from tests.conftest import Client, MakeRequest, MakeUser
from tests.workflow_helpers import step, submittable_content, today
from tests.workflow_views.pages import (
    APPROVE_BUTTON,
    CHANGED,
    FOUR_EYES,
    S,
    escaped,
    hidden,
    history,
    reload,
    review_form,
)

# Four eyes ---------------------------------------------------------------------------------


def test_the_drafter_cannot_approve_their_own_request_even_as_reviewer(
    db: Session,
    make_user: MakeUser,
    make_request: MakeRequest,
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
    db: Session,
    in_review: MlaRequest,
    make_user: MakeUser,
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
    db: Session,
    in_review: MlaRequest,
    officer: User,
    reviewer: User,
    browser: Callable[[User], Client],
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
    db: Session,
    in_review: MlaRequest,
    officer: User,
    reviewer: User,
    make_user: MakeUser,
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
    db: Session,
    in_review: MlaRequest,
    officer: User,
    reviewer: User,
    browser: Callable[[User], Client],
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
    db: Session, in_review: MlaRequest, reviewer: User, browser: Callable[[User], Client]
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
    db: Session, in_review: MlaRequest, reviewer: User, browser: Callable[[User], Client]
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
