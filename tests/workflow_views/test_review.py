"""The review page: four eyes, approval of the content the reviewer read, and returning
the request to the officer with comments."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from mlat.models import MlaRequest, Role, User
from mlat.services.requests import save_content
from tests.conftest import Client, MakeRequest, MakeUser, field_value, rows, text_of, texts
from tests.workflow_helpers import step, submittable_content, today
from tests.workflow_views.pages import (
    CHANGED,
    FOUR_EYES,
    S,
    approve_button,
    buttons,
    hidden,
    history,
    messages,
    notifications,
    read,
    reload,
    review_form,
    says,
    status_of,
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

    response = own.get(f"/requests/{request.id}/review")
    page = read(response)
    assert approve_button(page) is None
    assert FOUR_EYES in texts(page, "main form p.muted")
    assert buttons(page) == ["Return to the officer with these comments"]

    form = {"csrf_token": hidden(response.text, "csrf_token"), **review_form(response.text)}
    forced = read(own.post(f"/requests/{request.id}/do/approve", data=form), 400)
    assert says(forced, FOUR_EYES)
    assert reload(db, request).status == S.in_review

    colleague = browser(reviewer)
    response = colleague.get(f"/requests/{request.id}/review")
    page = read(response)
    assert approve_button(page) is not None
    assert FOUR_EYES not in response.text
    done = colleague.submit(
        f"/requests/{request.id}/do/approve",
        review_form(response.text),
        form_url=f"/requests/{request.id}/review",
        follow_redirects=True,
    )
    assert messages(read(done)) == ["Approved. The prosecutors have been told it is ready to sign."]
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
    page = read(browser(editor).get(f"/requests/{in_review.id}/review"))
    assert approve_button(page) is None
    assert FOUR_EYES in texts(page, "main form p.muted")


def test_only_reviewers_open_the_review_page(
    in_review: MlaRequest, officer: User, browser: Callable[[User], Client]
) -> None:
    own = browser(officer)
    assert own.get(f"/requests/{in_review.id}/review").status_code == 403
    shown = own.get(f"/requests/{in_review.id}")
    assert "Review this request" not in shown.text
    assert read(shown).select(f'a[href="/requests/{in_review.id}/review"]') == []


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
    page = read(stale, 409)
    assert says(page, CHANGED)
    # the request as it is now, and what changed since the reviewer opened it
    assert "The account was opened from Lagos." in texts(page, "main form .prose")
    assert texts(page, "#changed-meanwhile h2") == ["Changed while you were reviewing"]
    changed = rows(page, "#changed-meanwhile table.diff")
    assert [row[0] for row in changed] == ["Link between the evidence and the offence"]
    assert texts(page, "#changed-meanwhile ins") != []
    # nothing lost
    assert (field_value(page, "note-facts"), field_value(page, "comment")) == (
        "Well written.",
        "Fine by me.",
    )
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
    shown = read(saved)
    assert messages(shown) == [
        "Saved. The approval is withdrawn: the request is back in review, and its reviewers "
        "have been told."
    ]
    assert status_of(shown) == "In review"
    request = reload(db, in_review)
    assert (request.status, request.approved_digest) == (S.in_review, None)

    for person in (reviewer, second_reviewer):
        listed = notifications(read(browser(person).get("/notifications")))
        assert any(request.reference in notification for notification in listed)

    page = read(browser(second_reviewer).get(f"/requests/{in_review.id}/review"))
    assert "Changed since the last review" in texts(page, "h2")
    assert rows(page, "table.diff") == [
        ["Title", "Phishing of a bank's customers", "Business e-mail compromise of Al Waha Trading"]
    ]
    # what changed is marked word by word; the word both share ("of") is not
    assert texts(page, "table.diff del") == ["Phishing", "a bank's customers"]
    assert texts(page, "table.diff ins") == ["Business e-mail compromise", "Al Waha Trading"]
    assert approve_button(page) is not None


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
        assert field_value(read(page), name) == ""
    returned = colleague.submit(
        f"/requests/{in_review.id}/do/return",
        {**review_form(page.text), "comment": "Nearly there.",
         "note-facts": "Say when the account was opened.",
         "note-identifiers": "Add the IP address of the login."},
        form_url=review_url,
    )  # fmt: skip
    assert returned.status_code == 303
    assert reload(db, in_review).status == S.returned

    shown = read(browser(officer).get(f"/requests/{in_review.id}"))
    assert texts(shown, ".review-comments h2") == ["Returned with comments"]
    comments = texts(shown, ".review-comments li")
    assert any(c.endswith(": Say when the account was opened.") for c in comments), comments
    assert any(c.endswith(": Add the IP address of the login.") for c in comments), comments
    assert "Nearly there." in texts(shown, "ol.history > li")[-1]
    assert "Submit for review" in buttons(shown)  # and they can send it back when done


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
    assert says(read(refused, 400), "Give a reason or a comment.")
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
    shown = read(refused, 400)
    assert says(shown, "Comments are limited to 5000 characters.")
    assert field_value(shown, "note-facts") == too_long
    assert field_value(shown, "note-persons") == "Give the suspect's date of birth."
    assert field_value(shown, "comment") == "See my notes."
    assert reload(db, in_review).status == S.in_review


def test_the_review_page_reads_in_words_not_codes(
    db: Session,
    make_user: MakeUser,
    make_request: MakeRequest,
    browser: Callable[[User], Client],
    reviewer: User,
) -> None:
    """The review page showed "untoc", "en", "investigation", "(ip)", "speciality,
    data_protection", "3.0 years", identifiers numbered from 0, and four comment boxes with
    the same label after Urgency."""
    import re

    officer = make_user(Role.officer)
    request = make_request(officer, content=submittable_content(today()))
    step(db, request, officer, "submit")
    page = read(browser(reviewer).get(f"/requests/{request.id}/review"))
    content = " ".join(texts(page, "section.content-section"))
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", content), content
    for code in ("(ip)", "(email)", "untoc", " en ", "3.0 years"):
        assert code not in content, code
    proceedings = " ".join(texts(page, "section#part-proceedings dd"))
    assert proceedings.startswith("Investigation")
    assert "Reciprocity / comity (execution of MLA requests without a treaty)" in content
    assert "(IP address)" in content and "(UTC+03:00)" in content
    assert page.select("section#part-identifiers ol[start]") == []
    labels = texts(page, ".comment-box label")
    assert len(labels) == len(set(labels)), labels
    assert "Comment on “Preservation” (optional)" in labels
    # every part the reviewer can comment on has a heading of its own, then its box
    for section in page.select("section.content-section"):
        assert len(section.select("h3")) == 1
        assert len(section.select(".comment-box")) == 1, text_of(section.select_one("h3"))


def test_a_changed_paragraph_marks_only_the_words_that_changed() -> None:
    from mlat.content import Change

    change = Change(
        "nexus",
        "The account was used to send the invoices.",
        "The account was used daily to send the false invoices.",
    )
    assert [(kind, text.strip()) for kind, text in change.words if kind != "same"] == [
        ("inserted", "daily"),
        ("inserted", "false"),
    ]
