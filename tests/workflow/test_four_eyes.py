"""Four eyes and approval pinned to the content approved: nobody approves what they
drafted or edited, and an approval holds only for the content the reviewer read."""

from __future__ import annotations

import pytest
from sqlalchemy import delete
from sqlmodel import Session, select

from mlat.models import MlaRequest, Notification, Role, User
from mlat.services import Conflict, Forbidden, ServiceError
from mlat.services import workflow as workflow_svc
from mlat.services.requests import save_content
from mlat.workflow import BY_ACTION
from tests.conftest import MakeRequest, MakeUser
from tests.workflow.steps import TODAY, S, events, take
from tests.workflow_helpers import put_in_state, submittable_content

# Four eyes --------------------------------------------------------------------------------


def test_the_officer_who_drafted_it_cannot_approve_even_as_reviewer(
    db: Session, make_user: MakeUser, make_request: MakeRequest
) -> None:
    drafter = make_user(Role.officer, Role.reviewer)
    request = make_request(drafter, content=submittable_content(TODAY), today=TODAY)
    take(db, request, drafter, "submit")
    with pytest.raises(Forbidden, match="someone else must approve it"):
        take(db, request, drafter, "approve", seen_digest=request.content_digest)
    db.rollback()
    db.refresh(request)
    assert request.status == S.in_review
    refused = workflow_svc.refusal(
        session=db, request=request, user=drafter, step=BY_ACTION["approve"]
    )
    assert isinstance(refused, Forbidden)  # so the review page offers no approval


def test_an_officer_who_edited_it_cannot_approve_but_another_reviewer_can(
    db: Session, ready: MlaRequest, officer: User, make_user: MakeUser
) -> None:
    editor = make_user(Role.officer, Role.reviewer)
    save_content(
        session=db,
        request=ready,
        editor=editor,
        expected_version=ready.version,
        title="Business e-mail compromise of Al Waha Trading",
    )
    db.commit()
    take(db, ready, officer, "submit")
    assert workflow_svc.editors(session=db, request=ready) == {officer.id, editor.id}

    with pytest.raises(Forbidden, match="someone else must approve it"):
        take(db, ready, editor, "approve", seen_digest=ready.content_digest)
    db.rollback()
    db.refresh(ready)

    colleague = make_user(Role.reviewer)
    take(db, ready, colleague, "approve", seen_digest=ready.content_digest)
    db.refresh(ready)
    assert ready.status == S.approved
    assert ready.approved_digest == ready.content_digest


# Duties kept apart ------------------------------------------------------------------------


def test_who_approved_a_request_cannot_sign_it_where_duties_are_kept_apart(
    db: Session, ready: MlaRequest, officer: User, make_user: MakeUser
) -> None:
    """One user with the reviewer and prosecutor roles approved and signed the same
    request: the unit's separation of duties, on by default, now refuses the second."""
    both = make_user(Role.reviewer, Role.prosecutor)
    assert both.unit.separate_duties
    take(db, ready, officer, "submit")
    take(db, ready, both, "approve", seen_digest=ready.content_digest)
    with pytest.raises(Forbidden, match="You approved this request, so another prosecutor"):
        take(db, ready, both, "sign")
    db.rollback()
    db.refresh(ready)
    assert ready.status == S.approved
    refused = workflow_svc.refusal(session=db, request=ready, user=both, step=BY_ACTION["sign"])
    assert isinstance(refused, Forbidden)  # so the request page offers no Sign
    other = make_user(Role.prosecutor)
    take(db, ready, other, "sign")
    db.refresh(ready)
    assert (ready.status, ready.signed_by_id) == (S.signed, other.id)


def test_who_drafted_or_changed_a_request_cannot_sign_it_where_duties_are_kept_apart(
    db: Session, make_user: MakeUser, make_request: MakeRequest
) -> None:
    drafter = make_user(Role.officer, Role.prosecutor)
    request = make_request(drafter, content=submittable_content(TODAY), today=TODAY)
    take(db, request, drafter, "submit")
    take(db, request, make_user(Role.reviewer), "approve", seen_digest=request.content_digest)
    with pytest.raises(Forbidden, match="You drafted or changed this request, so another"):
        take(db, request, drafter, "sign")
    db.rollback()


def test_a_unit_that_does_not_keep_duties_apart_lets_the_approver_sign(
    db: Session, ready: MlaRequest, officer: User, make_user: MakeUser
) -> None:
    both = make_user(Role.reviewer, Role.prosecutor)
    both.unit.separate_duties = False
    db.add(both.unit)
    db.commit()
    take(db, ready, officer, "submit")
    take(db, ready, both, "approve", seen_digest=ready.content_digest)
    take(db, ready, both, "sign")
    db.refresh(ready)
    assert (ready.status, ready.signed_by_id) == (S.signed, both.id)


# Approval pinned to the content approved ---------------------------------------------------


def test_approval_of_content_that_changed_since_it_was_read_is_refused(
    db: Session, ready: MlaRequest, officer: User, make_user: MakeUser
) -> None:
    reviewer = make_user(Role.reviewer)
    take(db, ready, officer, "submit")
    seen = ready.content_digest
    save_content(
        session=db,
        request=ready,
        editor=officer,
        expected_version=ready.version,
        content={**ready.content, "facts": ready.content["facts"] + " A sixth e-mail followed."},
    )
    db.commit()
    with pytest.raises(Conflict, match="changed while you were reviewing it"):
        take(db, ready, reviewer, "approve", seen_digest=seen)
    db.rollback()
    db.refresh(ready)
    assert (ready.status, ready.approved_digest) == (S.in_review, None)

    take(db, ready, reviewer, "approve", seen_digest=ready.content_digest)
    assert ready.status == S.approved


def test_editing_an_approved_request_sends_it_back_to_review(
    db: Session, ready: MlaRequest, officer: User, make_user: MakeUser
) -> None:
    reviewer, other_reviewer = make_user(Role.reviewer), make_user(Role.reviewer)
    take(db, ready, officer, "submit")
    take(db, ready, reviewer, "approve", seen_digest=ready.content_digest)
    assert ready.approved_digest == ready.content_digest
    db.execute(delete(Notification))
    db.commit()

    save_content(
        session=db,
        request=ready,
        editor=officer,
        expected_version=ready.version,
        content={**ready.content, "nexus": "The account holder's identity is unknown."},
    )
    db.commit()
    db.refresh(ready)
    assert ready.status == S.in_review
    assert ready.approved_digest is None
    assert events(db, ready)[-1].action == "edit_after_approval"
    notified = select(Notification.user_id).where(Notification.kind == "review_needed")
    assert set(db.exec(notified)) == {reviewer.id, other_reviewer.id}  # not the officer
    [change] = workflow_svc.changes_since_review(session=db, request=ready) or []
    assert change.path == "nexus"
    assert change.after == "The account holder's identity is unknown."

    with pytest.raises(ServiceError):  # the old approval does not let it be signed
        take(db, ready, make_user(Role.prosecutor), "sign")
    db.rollback()


def test_saving_an_approved_request_unchanged_keeps_the_approval(
    db: Session, ready: MlaRequest, officer: User, make_user: MakeUser
) -> None:
    take(db, ready, officer, "submit")
    take(db, ready, make_user(Role.reviewer), "approve", seen_digest=ready.content_digest)
    save_content(session=db, request=ready, editor=officer, expected_version=ready.version)
    db.commit()
    db.refresh(ready)
    assert (ready.status, ready.approved_digest) == (S.approved, ready.content_digest)


def test_signing_records_whose_account_signed(
    db: Session, ready: MlaRequest, officer: User, make_user: MakeUser
) -> None:
    take(db, ready, officer, "submit")
    take(db, ready, make_user(Role.reviewer), "approve", seen_digest=ready.content_digest)
    prosecutor = make_user(Role.prosecutor)
    take(db, ready, prosecutor, "sign")
    db.refresh(ready)
    assert (ready.status, ready.signed_by_id) == (S.signed, prosecutor.id)
    assert ready.signed_at is not None


def test_a_request_needing_a_translation_is_signed_only_with_it_among_the_annexes(
    db: Session, ready: MlaRequest, officer: User, make_user: MakeUser
) -> None:
    """Signed packets went out saying 'No translation is enclosed', seven times."""
    import hashlib

    from mlat.models import RequestAnnex, StoredFile

    ready.content = {**ready.content, "language": "ar", "translations": ["en"]}
    db.add(ready)
    db.commit()
    put_in_state(db, ready, S.approved)
    prosecutor = make_user(Role.prosecutor)
    with pytest.raises(ServiceError, match="no translation is among the annexes"):
        take(db, ready, prosecutor, "sign")
    db.rollback()
    db.refresh(ready)
    assert ready.status == S.approved

    data = b"Translation into English"
    stored = StoredFile(sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                        media_type="text/plain")  # fmt: skip
    db.add(stored)
    db.flush()
    assert stored.id is not None and ready.id is not None and officer.id is not None
    db.add(RequestAnnex(request_id=ready.id, file_id=stored.id, kind="translation",
                        title="English translation", language="en", filename="en.txt",
                        uploaded_by=officer.id))  # fmt: skip
    db.commit()
    take(db, ready, prosecutor, "sign")
    assert workflow_svc.history(session=db, request=ready)[-1].action == "sign"
