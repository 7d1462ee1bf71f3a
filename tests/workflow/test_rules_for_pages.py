"""The rules the pages follow, kept beside the workflow table: when a request can be
submitted, who reviews it, who downloads its packet, and what a refused step says."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from mlat.models import MlaRequest, RequestStatus, Role, User, UserRole
from mlat.services import Conflict, Forbidden, NotFound, ServiceError
from mlat.services.requests import save_content
from mlat.services.workflow import may_download, refusal
from mlat.workflow import BY_ACTION, EDITABLE, Transition, may_review, submittable
from tests.conftest import MakeRequest, MakeUnit, MakeUser
from tests.workflow.steps import ALLOWED, S

SUBMITTABLE_FROM = {state for state, action in ALLOWED if action == "submit"}


@pytest.mark.parametrize("state", list(S), ids=str)
def test_a_request_is_submittable_from_draft_or_returned_without_errors(state: S) -> None:
    assert submittable(state, errors=0) is (state in {S.draft, S.returned})
    assert submittable(state, errors=0) is (state in SUBMITTABLE_FROM)
    assert not submittable(state, errors=1)


@pytest.mark.parametrize("role", list(Role), ids=str)
@pytest.mark.parametrize("state", list(S), ids=str)
def test_only_reviewers_review_and_only_requests_in_review(state: S, role: Role) -> None:
    user = User(email="someone@example.org", name="Someone", password_hash="",
                role_rows=[UserRole(role=role)])  # fmt: skip
    assert may_review(state, user) is (state is S.in_review and role is Role.reviewer)


def test_content_can_change_only_before_signing() -> None:
    assert {S.draft, S.returned, S.in_review, S.approved} == EDITABLE


@pytest.mark.parametrize(
    ("roles", "involved", "allowed"),
    [
        ((Role.prosecutor,), None, True),
        ((Role.reviewer,), None, True),
        ((Role.officer,), "owner", True),
        ((Role.officer,), "editor", True),
        ((Role.officer,), None, False),
        ((Role.admin,), None, False),
    ],
)
def test_who_may_download_a_requests_packet_annexes_and_export(
    db: Session,
    make_user: MakeUser,
    make_request: MakeRequest,
    roles: tuple[Role, ...],
    involved: str | None,
    allowed: bool,
) -> None:
    """One rule for the three: the unit's prosecutors and reviewers, and the officers
    who drafted or changed the request."""
    user = make_user(*roles)
    request = make_request(user if involved == "owner" else make_user(Role.officer))
    if involved == "editor":
        save_content(session=db, request=request, editor=user,
                     expected_version=request.version, title="Changed by a colleague")  # fmt: skip
        db.commit()
    assert may_download(session=db, user=user, request=request) is allowed


def test_a_refusal_names_the_first_reason_in_order(
    db: Session, ready: MlaRequest, officer: User, make_user: MakeUser
) -> None:
    reviewer = make_user(Role.reviewer)
    submit, approve = BY_ACTION["submit"], BY_ACTION["approve"]

    def why(user: User, step: Transition, version: int | None = None) -> ServiceError | None:
        return refusal(session=db, request=ready, user=user, step=step, expected_version=version)

    assert why(officer, submit) is None
    assert why(officer, submit, ready.version) is None
    # A stale page is said before anything else, even when the state would refuse too.
    assert isinstance(why(officer, approve, ready.version - 1), Conflict)
    assert isinstance(why(reviewer, submit), Forbidden)
    refused = why(reviewer, approve)
    assert type(refused) is ServiceError
    assert "in the state" in str(refused)
    assert ready.status == RequestStatus.draft


def test_another_units_request_is_not_found(
    db: Session, ready: MlaRequest, make_user: MakeUser, make_unit: MakeUnit
) -> None:
    stranger = make_user(Role.officer, unit_=make_unit(name="Economic Crime Unit, Lagos"))
    found = refusal(session=db, request=ready, user=stranger, step=BY_ACTION["submit"])
    assert isinstance(found, NotFound)


def test_every_action_says_in_words_what_was_done() -> None:
    """ "Done: Submit for review." read like a button label, not a sentence."""
    from mlat.workflow import DONE, TRANSITIONS

    for transition in TRANSITIONS:
        assert transition.done.endswith("."), transition.action
        assert not transition.done.startswith("Done:"), transition.action
    assert set(DONE) == {t.action for t in TRANSITIONS}
