"""Who may take which step in which state: every state, action and role against the table
written out by hand, and the steps refused to everyone."""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, replace

import psycopg
import pytest
from sqlalchemy.engine import make_url
from sqlmodel import Session

from mlat.db import make_engine
from mlat.migrate import upgrade
from mlat.models import MlaRequest, RequestEvent, Role, User
from mlat.services import Forbidden, ServiceError
from mlat.services.requests import create_request, save_content
from mlat.services.signing import issue_demo_credential
from mlat.services.users import create_unit, create_user
from mlat.services.workflow import Inputs, transition
from mlat.workflow import EDITABLE, TRANSITIONS
from tests.conftest import BACKENDS, PASSWORD, POSTGRES, MakeRequest, MakeUnit, MakeUser
from tests.packet_jobs import KEYS
from tests.workflow.steps import (
    ADMIN,
    ALLOWED,
    OFFICER,
    PROSECUTOR,
    REVIEWER,
    TODAY,
    S,
    audit_actions,
    events,
    take,
)
from tests.workflow_helpers import put_in_state, submittable_content

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


def test_the_table_covers_every_state() -> None:
    assert {state for state, _action in ALLOWED} | {S.closed} == set(S)


def test_the_table_holds_the_actions_and_the_step_a_saved_change_takes() -> None:
    assert [t.action for t in TRANSITIONS if not t.by_editing] == list(ACTIONS)
    edits = {str(t.action): (set(t.sources), t.target, set(t.roles))
             for t in TRANSITIONS if t.by_editing}  # fmt: skip
    assert edits == {
        "edit_after_approval": ({S.approved}, S.in_review, {OFFICER}),
        "edit_in_review": ({S.in_review}, S.in_review, {OFFICER}),
    }


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
            issue_demo_credential(session=db, user=staff[Role.prosecutor], keys=KEYS)
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


def test_unknown_action_is_refused(db: Session, ready: MlaRequest, officer: User) -> None:
    with pytest.raises(ServiceError, match="There is no such action"):
        take(db, ready, officer, "publish")
    db.rollback()
    db.refresh(ready)
    assert ready.status == S.draft


def test_another_units_staff_cannot_act(
    db: Session,
    ready: MlaRequest,
    make_user: MakeUser,
    make_unit: MakeUnit,
) -> None:
    stranger = make_user(Role.officer, unit_=make_unit(name="Economic Crime Unit, Lagos"))
    with pytest.raises(ServiceError, match="No such request"):
        take(db, ready, stranger, "submit")
    db.rollback()
    db.refresh(ready)
    assert ready.status == S.draft


def test_a_request_with_errors_cannot_be_submitted(
    db: Session, officer: User, make_request: MakeRequest
) -> None:
    empty = make_request(officer)
    with pytest.raises(ServiceError, match=r"Fix the problems shown before submitting \(\d+\)"):
        take(db, empty, officer, "submit")
    db.rollback()
    db.refresh(empty)
    assert (empty.status, empty.version) == (S.draft, 1)


@pytest.mark.parametrize("role", list(Role), ids=str)
def test_the_step_a_saved_change_takes_is_no_action_of_its_own(world: World, role: Role) -> None:
    db, actor = world.db, world.staff[role]
    request = create_request(session=db, owner=world.owner, title="Business e-mail compromise",
                             requested_state="US", content=submittable_content(TODAY),
                             today=TODAY)  # fmt: skip
    request = put_in_state(db, request, S.approved)
    version = request.version
    with pytest.raises(ServiceError, match="There is no such action"):
        transition(session=db, request=request, actor=actor, action="edit_after_approval",
                   expected_version=version, today=TODAY)  # fmt: skip
    db.rollback()
    db.refresh(request)
    assert (request.status, request.version) == (S.approved, version)
    assert events(db, request) == []


@pytest.mark.parametrize("state", sorted(EDITABLE), ids=str)
def test_a_saved_change_sends_only_an_approved_request_back_to_review(
    world: World, state: S
) -> None:
    db, officer = world.db, world.staff[OFFICER]
    request = create_request(session=db, owner=world.owner, title="Business e-mail compromise",
                             requested_state="US", content=submittable_content(TODAY),
                             today=TODAY)  # fmt: skip
    request = put_in_state(db, request, state)
    version = request.version
    changed = {**request.content, "nexus": "The account holder is unknown."}
    save_content(session=db, request=request, editor=officer, expected_version=version,
                 content=changed)  # fmt: skip
    db.commit()
    db.refresh(request)
    assert request.version == version + 1
    if state is S.approved:
        assert request.status == S.in_review
        [saved] = events(db, request)
        assert (saved.action, saved.actor_id) == ("edit_after_approval", officer.id)
        assert (saved.from_status, saved.to_status) == (S.approved, S.in_review)
        assert saved.content_digest == request.content_digest
        assert audit_actions(db, request) == [
            "request.create", "request.edit_after_approval", "request.edit"
        ]  # fmt: skip
    elif state is S.in_review:
        # an officer may correct a request in review: it stays there, and the change is
        # in the history for the reviewers to see
        assert request.status == S.in_review
        [saved] = events(db, request)
        assert (saved.action, saved.from_status, saved.to_status) == (
            "edit_in_review", S.in_review, S.in_review
        )  # fmt: skip
        assert audit_actions(db, request) == [
            "request.create", "request.edit_in_review", "request.edit"
        ]  # fmt: skip
    else:
        assert request.status == state
        assert events(db, request) == []
        assert audit_actions(db, request) == ["request.create", "request.edit"]
