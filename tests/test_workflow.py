"""The workflow through ``mlat.services.workflow.transition``: who may do what in which state,
four eyes, approval pinned to the content approved, the inputs each step asks for, and no
half-done step when something fails in the middle."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import delete
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, func, select

from mlat.db import make_engine
from mlat.migrate import upgrade
from mlat.models import (
    AuditEntry,
    MlaRequest,
    Notification,
    RequestEvent,
    RequestStatus,
    ReviewComment,
    Role,
    Unit,
    User,
)
from mlat.services import Conflict, Forbidden, ServiceError
from mlat.services import audit as audit_svc
from mlat.services import workflow as workflow_svc
from mlat.services.requests import create_request, save_content
from mlat.services.users import create_unit, create_user
from mlat.services.validation import validate_request
from mlat.services.workflow import Inputs, transition
from mlat.workflow import BY_ACTION
from tests.conftest import BACKENDS, PASSWORD, POSTGRES

EXAMPLE = Path(__file__).resolve().parent.parent / "docs/examples/qa-to-us-stored-content.json"
TODAY = dt.date(2026, 11, 22)

S = RequestStatus
OFFICER, REVIEWER, PROSECUTOR, ADMIN = Role.officer, Role.reviewer, Role.prosecutor, Role.admin
UNIT_STAFF = {OFFICER, REVIEWER, PROSECUTOR}
AFTER_TRANSMISSION = (S.transmitted, S.acknowledged, S.partially_executed)

# The workflow as the unit works it, written out by hand: (state, action) -> (new state,
# who may take it). Everything not listed is refused, and administrators take no step.
ALLOWED: dict[tuple[S, str], tuple[S, set[Role]]] = {
    (S.draft, "submit"): (S.in_review, {OFFICER}),
    (S.returned, "submit"): (S.in_review, {OFFICER}),
    (S.in_review, "approve"): (S.approved, {REVIEWER}),
    (S.in_review, "return"): (S.returned, {REVIEWER}),
    (S.approved, "sign"): (S.signed, {PROSECUTOR}),
    (S.signed, "transmit"): (S.transmitted, {OFFICER, PROSECUTOR}),
    (S.transmitted, "acknowledge"): (S.acknowledged, UNIT_STAFF),
    **{(s, "execute_partly"): (S.partially_executed, UNIT_STAFF) for s in AFTER_TRANSMISSION},
    **{(s, "execute"): (S.executed, UNIT_STAFF) for s in AFTER_TRANSMISSION},
    **{(s, "refuse"): (S.refused, UNIT_STAFF) for s in AFTER_TRANSMISSION},
    **{
        (s, "withdraw"): (S.withdrawn, {OFFICER})
        for s in (S.draft, S.returned, S.in_review, S.approved, S.signed, *AFTER_TRANSMISSION)
    },
    **{(s, "close"): (S.closed, UNIT_STAFF) for s in (S.executed, S.refused, S.withdrawn)},
}
ACTIONS = (
    "submit", "approve", "return", "sign", "transmit", "acknowledge",
    "execute_partly", "execute", "refuse", "withdraw", "close",
)  # fmt: skip
EVERYTHING = Inputs(
    comment="The translation of the facts is missing.",
    on=TODAY - dt.timedelta(days=1),
    channel="central_authority",
    foreign_reference="CRM-182-77",
)


def submittable_content(today: dt.date) -> dict[str, Any]:
    """The documented example request, with its preservation dates moved so that it passes
    every check on ``today``."""
    content: dict[str, Any] = json.loads(EXAMPLE.read_text())
    content["preservation"]["requested_on"] = (today - dt.timedelta(days=33)).isoformat()
    content["preservation"]["expires_on"] = (today + dt.timedelta(days=57)).isoformat()
    return content


def put_in_state(db: Any, request: MlaRequest, status: S) -> MlaRequest:
    """Arrange: a request that has reached ``status`` (how it got there is not the point)."""
    request.status = status
    db.add(request)
    db.commit()
    db.refresh(request)
    return request


def events(db: Any, request: MlaRequest) -> list[RequestEvent]:
    return list(db.exec(select(RequestEvent).where(RequestEvent.request_id == request.id)))


def audit_actions(db: Any, request: MlaRequest) -> list[str]:
    entries = db.exec(
        select(AuditEntry.action)
        .where(AuditEntry.object_type == "request", AuditEntry.object_id == str(request.id))
        .order_by(col(AuditEntry.seq))
    )
    return list(entries)


def count(db: Any, model: Any) -> int:
    return int(db.exec(select(func.count()).select_from(model)).one())


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    return make_user(Role.officer)


@pytest.fixture
def ready(
    db: Any, officer: User, make_request: Callable[..., MlaRequest], unit: Unit
) -> MlaRequest:
    """A draft that passes every check, drafted by ``officer``."""
    request = make_request(officer, content=submittable_content(TODAY), today=TODAY)
    assert validate_request(request=request, unit=unit, today=TODAY) == []
    return request


def take(db: Any, request: MlaRequest, actor: User, action: str, **inputs: Any) -> RequestEvent:
    """Take a step as the view does: with the version loaded, then commit."""
    event = transition(
        session=db,
        request=request,
        actor=actor,
        action=action,
        expected_version=request.version,
        inputs=Inputs(**inputs),
        today=TODAY,
    )
    db.commit()
    return event


def test_the_table_covers_every_state() -> None:
    assert {state for state, _action in ALLOWED} | {S.closed} == set(S)


@dataclass
class World:
    """One unit with an officer who drafts, and one colleague in each role who acts."""

    db: Session
    owner: User
    staff: dict[Role, User]


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """A database shared by the cases of the table test: each case drafts its own request,
    so the 528 cases need not each build a database."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("table") / "table.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite:///{path}"
    else:
        assert POSTGRES
        admin = (
            make_url(POSTGRES).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        name = f"mlat_table_{secrets.token_hex(4)}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        upgrade(engine)
        with Session(engine, expire_on_commit=False) as db:
            unit = create_unit(session=db, name="Cybercrime Unit, Doha", code="DOH", state="QA",
                               timezone="Asia/Qatar")  # fmt: skip

            def user(n: int, role: Role) -> User:
                return create_user(session=db, email=f"{role}{n}@example.org", name=f"{role} {n}",
                                   password=PASSWORD, unit=unit, roles=[role])  # fmt: skip

            owner = user(0, OFFICER)
            staff = {role: user(1, role) for role in Role}
            db.commit()
            yield World(db, owner, staff)
    finally:
        engine.dispose()
        if request.param == "postgres":
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.parametrize("role", [OFFICER, REVIEWER, PROSECUTOR, ADMIN], ids=str)
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("state", list(S), ids=str)
def test_transition_table(world: World, state: S, action: str, role: Role) -> None:
    db, actor = world.db, world.staff[role]  # the actor did not draft the request
    request = create_request(session=db, owner=world.owner, title="Business e-mail compromise",
                             requested_state="US", content=submittable_content(TODAY),
                             today=TODAY)  # fmt: skip
    request = put_in_state(db, request, state)
    version = request.version
    target, roles = ALLOWED.get((state, action), (None, set()))
    inputs = replace(EVERYTHING, seen_digest=request.content_digest)

    def attempt() -> RequestEvent:
        return transition(
            session=db,
            request=request,
            actor=actor,
            action=action,
            expected_version=version,
            inputs=inputs,
            today=TODAY,
        )

    if role in roles:
        event = attempt()
        db.commit()
        db.refresh(request)
        assert request.status == target
        assert request.version == version + 1
        [saved] = events(db, request)
        assert (saved.id, saved.action, saved.actor_id) == (event.id, action, actor.id)
        assert (saved.from_status, saved.to_status) == (state, target)
        assert audit_actions(db, request) == ["request.create", f"request.{action}"]
    else:
        with pytest.raises(ServiceError) as refused:
            attempt()
        db.rollback()
        if not isinstance(refused.value, Forbidden):  # the role may, the state does not
            assert "This cannot be done to a request in the state" in str(refused.value)
        if role is ADMIN or target is not None:
            assert isinstance(refused.value, Forbidden)
        db.refresh(request)
        assert (request.status, request.version) == (state, version)
        assert events(db, request) == []
        assert audit_actions(db, request) == ["request.create"]


def test_unknown_action_is_refused(db: Any, ready: MlaRequest, officer: User) -> None:
    with pytest.raises(ServiceError, match="There is no such action"):
        take(db, ready, officer, "publish")
    db.rollback()
    db.refresh(ready)
    assert ready.status == S.draft


def test_another_units_staff_cannot_act(
    db: Any,
    ready: MlaRequest,
    make_user: Callable[..., User],
    make_unit: Callable[..., Unit],
) -> None:
    stranger = make_user(Role.officer, unit_=make_unit(name="Economic Crime Unit, Lagos"))
    with pytest.raises(ServiceError, match="No such request"):
        take(db, ready, stranger, "submit")
    db.rollback()
    db.refresh(ready)
    assert ready.status == S.draft


def test_a_request_with_errors_cannot_be_submitted(
    db: Any, officer: User, make_request: Callable[..., MlaRequest]
) -> None:
    empty = make_request(officer)
    with pytest.raises(ServiceError, match=r"Fix the \d+ problems shown before submitting"):
        take(db, empty, officer, "submit")
    db.rollback()
    db.refresh(empty)
    assert (empty.status, empty.version) == (S.draft, 1)


# Four eyes --------------------------------------------------------------------------------


def test_the_officer_who_drafted_it_cannot_approve_even_as_reviewer(
    db: Any, make_user: Callable[..., User], make_request: Callable[..., MlaRequest]
) -> None:
    drafter = make_user(Role.officer, Role.reviewer)
    request = make_request(drafter, content=submittable_content(TODAY), today=TODAY)
    take(db, request, drafter, "submit")
    with pytest.raises(Forbidden, match="someone else must approve it"):
        take(db, request, drafter, "approve", seen_digest=request.content_digest)
    db.rollback()
    db.refresh(request)
    assert request.status == S.in_review
    assert not workflow_svc.may_take(db, request, drafter, BY_ACTION["approve"])


def test_an_officer_who_edited_it_cannot_approve_but_another_reviewer_can(
    db: Any, ready: MlaRequest, officer: User, make_user: Callable[..., User]
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
    assert workflow_svc.editors(db, ready) == {officer.id, editor.id}

    with pytest.raises(Forbidden, match="someone else must approve it"):
        take(db, ready, editor, "approve", seen_digest=ready.content_digest)
    db.rollback()
    db.refresh(ready)

    colleague = make_user(Role.reviewer)
    take(db, ready, colleague, "approve", seen_digest=ready.content_digest)
    db.refresh(ready)
    assert ready.status == S.approved
    assert ready.approved_digest == ready.content_digest


# Approval pinned to the content approved ---------------------------------------------------


def test_approval_of_content_that_changed_since_it_was_read_is_refused(
    db: Any, ready: MlaRequest, officer: User, make_user: Callable[..., User]
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
    db: Any, ready: MlaRequest, officer: User, make_user: Callable[..., User]
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
    [change] = workflow_svc.changes_since_review(db, ready) or []
    assert change.path == "nexus"
    assert change.after == "The account holder's identity is unknown."

    with pytest.raises(ServiceError):  # the old approval does not let it be signed
        take(db, ready, make_user(Role.prosecutor), "sign")
    db.rollback()


def test_saving_an_approved_request_unchanged_keeps_the_approval(
    db: Any, ready: MlaRequest, officer: User, make_user: Callable[..., User]
) -> None:
    take(db, ready, officer, "submit")
    take(db, ready, make_user(Role.reviewer), "approve", seen_digest=ready.content_digest)
    save_content(session=db, request=ready, editor=officer, expected_version=ready.version)
    db.commit()
    db.refresh(ready)
    assert (ready.status, ready.approved_digest) == (S.approved, ready.content_digest)


# What a step asks for ----------------------------------------------------------------------


@pytest.fixture
def signed(db: Any, ready: MlaRequest) -> MlaRequest:
    return put_in_state(db, ready, S.signed)


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"channel": "central_authority"}, "Give the date"),
        ({"on": TODAY}, "Choose the channel"),
        ({"on": TODAY, "channel": "carrier_pigeon"}, "Choose the channel"),
        (
            {"on": TODAY + dt.timedelta(days=2), "channel": "central_authority"},
            "The date cannot be in the future.",
        ),
    ],
    ids=["no-date", "no-channel", "unknown-channel", "future-date"],
)
def test_transmission_needs_a_date_and_a_channel(
    db: Any, signed: MlaRequest, officer: User, inputs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ServiceError, match=message):
        take(db, signed, officer, "transmit", **inputs)
    db.rollback()
    db.refresh(signed)
    assert (signed.status, signed.transmitted_on) == (S.signed, None)


def test_transmission_is_recorded_with_its_date_channel_and_reference(
    db: Any, signed: MlaRequest, officer: User
) -> None:
    take(
        db, signed, officer, "transmit",
        on=TODAY, channel="central_authority", foreign_reference="  CRM-182-77 ",
    )  # fmt: skip
    db.refresh(signed)
    assert signed.status == S.transmitted
    assert signed.transmitted_on == TODAY
    assert signed.transmission_channel == "central_authority"
    assert signed.foreign_reference == "CRM-182-77"


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"on": TODAY}, "Give a reason or a comment"),
        ({"on": TODAY, "comment": "   "}, "Give a reason or a comment"),
        ({"comment": "Dual criminality not met"}, "Give the date"),
        ({"comment": "x" * 5001, "on": TODAY}, "limited to 5000 characters"),
    ],
    ids=["no-reason", "blank-reason", "no-date", "too-long"],
)
def test_refusal_needs_a_reason_and_a_date(
    db: Any, ready: MlaRequest, officer: User, inputs: dict[str, Any], message: str
) -> None:
    put_in_state(db, ready, S.transmitted)
    with pytest.raises(ServiceError, match=message):
        take(db, ready, officer, "refuse", **inputs)
    db.rollback()
    db.refresh(ready)
    assert ready.status == S.transmitted
    assert events(db, ready) == []


def test_return_needs_a_comment_and_keeps_the_comments_by_section(
    db: Any, ready: MlaRequest, officer: User, make_user: Callable[..., User]
) -> None:
    reviewer = make_user(Role.reviewer)
    take(db, ready, officer, "submit")
    with pytest.raises(ServiceError, match="Give a reason or a comment"):
        take(db, ready, reviewer, "return")
    db.rollback()
    db.refresh(ready)

    take(
        db, ready, reviewer, "return",
        field_comments=[("facts", "Say when the account was opened."),
                        ("identifiers", "Add the IP address of the login.")],
    )  # fmt: skip
    assert ready.status == S.returned
    comments = workflow_svc.open_comments(db, ready)
    assert [(c.field, c.body) for c in comments] == [
        ("facts", "Say when the account was opened."),
        ("identifiers", "Add the IP address of the login."),
    ]


# Double clicks and failures in the middle --------------------------------------------------


def test_the_same_step_taken_twice_with_the_same_version_happens_once(
    db: Any, ready: MlaRequest, officer: User
) -> None:
    version = ready.version
    for _click in range(2):
        try:
            transition(
                session=db, request=ready, actor=officer, action="submit",
                expected_version=version, today=TODAY,
            )  # fmt: skip
        except Conflict:
            db.rollback()
        else:
            db.commit()
    db.refresh(ready)
    assert (ready.status, ready.version) == (S.in_review, version + 1)
    assert [e.action for e in events(db, ready)] == ["submit"]


@pytest.mark.parametrize(
    ("state", "action", "role", "inputs"),
    [
        (S.draft, "submit", OFFICER, {}),
        (S.in_review, "return", REVIEWER, {"field_comments": [("facts", "Too short.")]}),
        (S.in_review, "approve", REVIEWER, {"seen_digest": "current"}),
        (S.signed, "transmit", PROSECUTOR, {"on": TODAY, "channel": "central_authority"}),
    ],
    ids=["submit", "return", "approve", "transmit"],
)
def test_a_failure_after_the_state_changed_leaves_nothing_half_done(
    db: Any,
    ready: MlaRequest,
    make_user: Callable[..., User],
    monkeypatch: pytest.MonkeyPatch,
    state: S,
    action: str,
    role: Role,
    inputs: dict[str, Any],
) -> None:
    make_user(Role.reviewer)  # people who would be notified
    make_user(Role.prosecutor)
    request = put_in_state(db, ready, state)
    if "seen_digest" in inputs:
        inputs = {**inputs, "seen_digest": request.content_digest}
    actor = make_user(role)
    before = (request.status, request.version, audit_svc.head(db))
    seen_mid_step: list[str] = []

    def fail_after_the_update(session: Any, **_kwargs: Any) -> None:
        seen_mid_step.append(session.get(MlaRequest, request.id).status)
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(audit_svc, "record", fail_after_the_update)  # as the service calls it
    with pytest.raises(RuntimeError):
        take(db, request, actor, action, **inputs)
    db.rollback()
    monkeypatch.undo()

    assert seen_mid_step == [ALLOWED[(state, action)][0]]  # it did fail half-way
    db.refresh(request)
    assert (request.status, request.version, audit_svc.head(db)) == before
    assert events(db, request) == []
    assert count(db, Notification) == 0
    assert count(db, ReviewComment) == 0
    assert request.approved_digest is None and request.transmitted_on is None
