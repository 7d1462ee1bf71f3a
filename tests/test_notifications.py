"""Telling the person who must act next: in-app notifications after each step, preservation
warnings from `flask notify deadlines`, and e-mail when an SMTP server is configured."""

from __future__ import annotations

import datetime as dt
import email
import email.message
import email.policy
import re
import secrets
import smtplib
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from click.testing import Result
from flask import Flask
from flask.cli import FlaskGroup
from sqlmodel import col, select

from mlat import create_app
from mlat.config import Config, SmtpSettings
from mlat.models import MlaRequest, Notification, RequestStatus, Role, Unit, User
from mlat.services import notifications
from mlat.services.requests import save_content
from mlat.services.workflow import Inputs, transition
from tests.conftest import Client
from tests.test_workflow import put_in_state, submittable_content

BASE_URL = "https://mlat.example.qa"


def today() -> dt.date:
    return dt.date.today()


def flask(runner: Any, *args: str) -> Result:
    """Run a command as the `flask` executable does (it pushes an app context)."""
    cli = FlaskGroup(load_dotenv=False, set_debug_flag=False)
    result: Result = runner.invoke(cli, args=list(args))
    return result


@pytest.fixture
def smtp() -> SmtpSettings | None:
    """No SMTP server, unless a test class says otherwise."""
    return None


@pytest.fixture
def app(database_url: str, tmp_path: Path, smtp: SmtpSettings | None) -> Iterator[Flask]:
    config = Config(
        database_url=database_url,
        secret_key="test-" + secrets.token_hex(8),
        instance_path=tmp_path / "instance",
        testing=True,
        smtp=smtp,
        base_url=BASE_URL,
    )
    app = create_app(config)
    yield app
    app.extensions["mlat_engine"].dispose()


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    return make_user(Role.officer)


@pytest.fixture
def draft(officer: User, make_request: Callable[..., MlaRequest]) -> MlaRequest:
    return make_request(officer, content=submittable_content(today()))


def step(db: Any, request: MlaRequest, actor: User, action: str, **inputs: Any) -> None:
    db.refresh(request)
    transition(session=db, request=request, actor=actor, action=action,
               expected_version=request.version, inputs=Inputs(**inputs))  # fmt: skip
    db.commit()


def inbox(db: Any) -> dict[int, list[str]]:
    """Each user's unread notifications, by kind."""
    db.expire_all()
    rows = db.exec(select(Notification).where(col(Notification.read_at).is_(None)))
    found: dict[int, list[str]] = {}
    for n in rows:
        found.setdefault(n.user_id, []).append(n.kind)
    return found


def clear(db: Any) -> None:
    for n in db.exec(select(Notification)):
        db.delete(n)
    db.commit()


# Who hears about a step --------------------------------------------------------------------


def test_each_step_notifies_whoever_must_act_next(
    db: Any,
    draft: MlaRequest,
    officer: User,
    make_user: Callable[..., User],
    make_unit: Callable[..., Unit],
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
    db: Any, make_user: Callable[..., User], make_request: Callable[..., MlaRequest]
) -> None:
    officer_and_prosecutor = make_user(Role.officer, Role.prosecutor)
    request = make_request(officer_and_prosecutor, content=submittable_content(today()))
    put_in_state(db, request, RequestStatus.approved)
    step(db, request, officer_and_prosecutor, "sign")
    assert inbox(db) == {}


def test_steps_after_transmission_notify_nobody(
    db: Any, draft: MlaRequest, officer: User, make_user: Callable[..., User]
) -> None:
    make_user(Role.reviewer)
    make_user(Role.prosecutor)
    put_in_state(db, draft, RequestStatus.transmitted)
    step(db, draft, officer, "acknowledge", on=today())
    assert inbox(db) == {}


# The notifications page --------------------------------------------------------------------


def test_notifications_are_listed_and_can_be_marked_read(
    db: Any,
    client: Client,
    draft: MlaRequest,
    officer: User,
    make_user: Callable[..., User],
) -> None:
    reviewer, colleague = make_user(Role.reviewer), make_user(Role.reviewer)
    step(db, draft, officer, "submit")
    assert client.login(reviewer.email).status_code == 302

    page = client.get("/notifications")
    assert f"{draft.reference} is waiting for your review." in page.text
    assert f'href="/requests/{draft.id}"' in page.text
    done = client.submit("/notifications/read", {}, form_url="/notifications")
    assert done.status_code == 303
    page = client.get(done.location)
    assert "Nothing needs your attention." in page.text
    assert draft.reference not in page.text
    assert inbox(db) == {colleague.id: ["review_needed"]}  # a colleague's stay unread


def test_marking_read_only_touches_the_ones_shown(
    db: Any,
    client: Client,
    draft: MlaRequest,
    officer: User,
    make_user: Callable[..., User],
) -> None:
    reviewer = make_user(Role.reviewer)
    step(db, draft, officer, "submit")
    assert client.login(reviewer.email).status_code == 302
    page = client.get("/notifications")
    step(db, draft, reviewer, "return", comment="Please add the dates.")
    step(db, draft, officer, "submit")  # a new one arrives after the page was shown
    shown = re.findall(r'name="id" value="(\d+)"', page.text)
    assert len(shown) == 1
    client.submit("/notifications/read", {"id": shown}, form_url="/notifications")
    assert inbox(db) == {reviewer.id: ["review_needed"], officer.id: ["returned"]}


# Preservation warnings ---------------------------------------------------------------------


def preserved_until(
    make_request: Callable[..., MlaRequest], owner: User, expires_on: dt.date
) -> MlaRequest:
    content = submittable_content(today())
    content["preservation"]["requested_on"] = (expires_on - dt.timedelta(days=90)).isoformat()
    content["preservation"]["expires_on"] = expires_on.isoformat()
    return make_request(owner, content=content)


def test_preservation_warnings_come_once_at_14_and_once_at_7_days(
    db: Any, officer: User, make_request: Callable[..., MlaRequest]
) -> None:
    lapses = dt.date(2027, 3, 1)
    request = preserved_until(make_request, officer, lapses)
    expected = {20: [], 15: [], 14: ["preservation_lapsing"], 13: [], 8: [],
                7: ["preservation_urgent"], 3: [], 0: [], -1: []}  # fmt: skip
    for days_left, kinds in expected.items():
        before = {n.id for n in db.exec(select(Notification))}
        notifications.preservation_warnings(session=db, today=lapses - dt.timedelta(days_left))
        db.commit()
        new = [n for n in db.exec(select(Notification)) if n.id not in before]
        assert [n.kind for n in new] == kinds, f"{days_left} days left"
        assert all((n.user_id, n.request_id) == (officer.id, request.id) for n in new)


def test_a_preservation_found_late_gets_one_warning_not_two(
    db: Any, officer: User, make_request: Callable[..., MlaRequest]
) -> None:
    lapses = dt.date(2027, 3, 1)
    preserved_until(make_request, officer, lapses)
    sent = notifications.preservation_warnings(session=db, today=lapses - dt.timedelta(days=5))
    db.commit()
    assert sent == 1
    assert inbox(db) == {officer.id: ["preservation_urgent"]}


@pytest.mark.parametrize("status", [RequestStatus.executed, RequestStatus.closed])
def test_no_warning_once_the_evidence_is_in(
    db: Any, officer: User, make_request: Callable[..., MlaRequest], status: RequestStatus
) -> None:
    lapses = dt.date(2027, 3, 1)
    put_in_state(db, preserved_until(make_request, officer, lapses), status)
    assert notifications.preservation_warnings(session=db, today=lapses - dt.timedelta(7)) == 0


def test_notify_deadlines_command_warns_the_owner_once(
    db: Any, runner: Any, client: Client, officer: User, make_request: Callable[..., MlaRequest]
) -> None:
    request = preserved_until(make_request, officer, today() + dt.timedelta(days=14))
    first = flask(runner, "notify", "deadlines")
    assert first.exit_code == 0, first.output
    assert "1 notifications written." in first.output
    again = flask(runner, "notify", "deadlines")
    assert "0 notifications written." in again.output

    client.login(officer.email)
    page = client.get("/notifications")
    assert f"The preservation for {request.reference} lapses within 14 days." in page.text


# E-mail ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class Mailbox:
    """An SMTP server's handler that keeps what it receives and refuses some addresses."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refused: set[str] = set()
        self.port = 0

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:  # fmt: skip
        if address in self.refused:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port
    yield box
    controller.stop()


def submit_in_browser(client: Client, officer: User, request: MlaRequest) -> Any:
    assert client.login(officer.email).status_code == 302
    return client.submit(f"/requests/{request.id}/do/submit", {"version": str(request.version)},
                         form_url=f"/requests/{request.id}")  # fmt: skip


class TestWithAnSmtpServer:
    @pytest.fixture
    def smtp(self, mailbox: Mailbox) -> SmtpSettings:
        return SmtpSettings(host="127.0.0.1", port=mailbox.port, sender="mlat@pp.example.qa")

    def test_submit_emails_each_reviewer_with_the_reference_and_a_link(
        self,
        db: Any,
        client: Client,
        mailbox: Mailbox,
        draft: MlaRequest,
        officer: User,
        make_user: Callable[..., User],
    ) -> None:
        reviewers = [make_user(Role.reviewer), make_user(Role.reviewer)]
        make_user(Role.prosecutor)
        response = submit_in_browser(client, officer, draft)
        assert response.status_code == 303

        assert sorted(m["To"] for m in mailbox.messages) == sorted(r.email for r in reviewers)
        for message in mailbox.messages:
            assert message["Subject"] == f"{draft.reference} is waiting for your review."
            assert message["From"] == "mlat@pp.example.qa"
            assert f"{BASE_URL}/requests/{draft.id}" in message.get_content()
        db.expire_all()
        assert all(n.emailed_at is not None for n in db.exec(select(Notification)))

    def test_an_address_the_server_refuses_does_not_hold_up_the_others(
        self,
        db: Any,
        client: Client,
        mailbox: Mailbox,
        draft: MlaRequest,
        officer: User,
        make_user: Callable[..., User],
    ) -> None:
        gone, present = make_user(Role.reviewer), make_user(Role.reviewer)
        mailbox.refused.add(gone.email)
        response = submit_in_browser(client, officer, draft)
        assert response.status_code == 303
        assert [m["To"] for m in mailbox.messages] == [present.email]
        db.expire_all()
        pending = [n.user_id for n in db.exec(select(Notification)) if n.emailed_at is None]
        assert pending == [gone.id]  # kept for a later attempt, and still shown in the app


class TestWithoutSmtp:
    def test_no_email_is_attempted(
        self,
        db: Any,
        client: Client,
        draft: MlaRequest,
        officer: User,
        make_user: Callable[..., User],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        reviewer = make_user(Role.reviewer)
        attempts: list[Any] = []
        monkeypatch.setattr(smtplib, "SMTP", lambda *a, **k: attempts.append(a))
        assert submit_in_browser(client, officer, draft).status_code == 303
        assert attempts == []
        assert inbox(db) == {reviewer.id: ["review_needed"]}


class TestWithAnSmtpServerThatIsDown:
    @pytest.fixture
    def smtp(self) -> SmtpSettings:
        return SmtpSettings(host="127.0.0.1", port=free_port())  # nothing listens there

    def test_the_step_is_taken_and_the_email_waits(
        self,
        db: Any,
        client: Client,
        draft: MlaRequest,
        officer: User,
        make_user: Callable[..., User],
    ) -> None:
        reviewer = make_user(Role.reviewer)
        response = submit_in_browser(client, officer, draft)
        assert response.status_code == 303
        shown = client.get(response.location)
        assert "Done: Submit for review." in shown.text
        db.expire_all()
        assert db.get(MlaRequest, draft.id).status == RequestStatus.in_review
        [pending] = db.exec(select(Notification)).all()
        assert (pending.user_id, pending.emailed_at) == (reviewer.id, None)
