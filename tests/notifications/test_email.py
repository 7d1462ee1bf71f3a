"""E-mail when an SMTP server is configured: each person told gets one, an address the
server refuses holds up nobody else, and a server that is down holds up no step."""

from __future__ import annotations

import re
import smtplib
from pathlib import Path

import pytest
from babel.support import Translations
from sqlmodel import Session, select
from werkzeug.test import TestResponse

from mlat.config import SmtpSettings
from mlat.models import MlaRequest, Notification, RequestStatus, Role, User
from tests.conftest import Client, MakeUser, PageClient, check_page, flashes
from tests.notifications.inbox import BASE_URL, clear, inbox
from tests.notifications.mailbox import Mailbox, free_port
from tests.wizard_helpers import step_data, wizard_url
from tests.workflow_helpers import step

TRANSLATIONS = Path(__file__).resolve().parents[2] / "mlat" / "translations"

# E-mail ------------------------------------------------------------------------------------


def submit_in_browser(client: Client, officer: User, request: MlaRequest) -> TestResponse:
    assert client.login(officer.email).status_code == 302
    return client.submit(f"/requests/{request.id}/do/submit", {"version": str(request.version)},
                         form_url=f"/requests/{request.id}")  # fmt: skip


class TestWithAnSmtpServer:
    @pytest.fixture
    def smtp(self, mailbox: Mailbox) -> SmtpSettings:
        return SmtpSettings(host="127.0.0.1", port=mailbox.port, sender="mlat@pp.example.qa")

    def test_submit_emails_each_reviewer_with_the_reference_and_a_link(
        self,
        db: Session,
        client: Client,
        mailbox: Mailbox,
        draft: MlaRequest,
        officer: User,
        make_user: MakeUser,
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

    def test_each_reviewer_reads_the_email_in_their_own_language(
        self,
        db: Session,
        client: Client,
        mailbox: Mailbox,
        draft: MlaRequest,
        officer: User,
        make_user: MakeUser,
    ) -> None:
        """A French-speaking officer submits: the reviewer who chose Arabic gets Arabic,
        the one who chose nothing gets the installation's default, English."""
        officer.locale = "fr"
        arabic, undecided = make_user(Role.reviewer), make_user(Role.reviewer)
        arabic.locale = "ar"
        db.add_all([officer, arabic])
        db.commit()
        assert submit_in_browser(client, officer, draft).status_code == 303

        subjects = {m["To"]: m["Subject"] for m in mailbox.messages}
        arabic_subject = Translations.load(str(TRANSLATIONS), ["ar"]).gettext(
            "%(reference)s is waiting for your review."
        ) % {"reference": draft.reference}
        assert subjects[arabic.email] == arabic_subject
        assert re.search("[\u0600-\u06ff]", arabic_subject) and draft.reference in arabic_subject
        assert subjects[undecided.email] == f"{draft.reference} is waiting for your review."

    def test_changing_an_approved_request_emails_the_reviewers(
        self,
        db: Session,
        client: Client,
        client_request: PageClient,
        mailbox: Mailbox,
        draft: MlaRequest,
        officer: User,
        make_user: MakeUser,
    ) -> None:
        reviewer = make_user(Role.reviewer)
        step(db, draft, officer, "submit")
        step(db, draft, reviewer, "approve", seen_digest=draft.content_digest)
        clear(db)
        assert client.login(officer.email).status_code == 302
        facts = {**step_data("facts"), "nexus": "The account holder's identity is unknown.",
                 "version": str(draft.version)}  # fmt: skip
        client_request.post_redirect(wizard_url(draft.id, "facts"), facts)

        [message] = mailbox.messages
        assert message["To"] == reviewer.email
        assert message["Subject"] == f"{draft.reference} is waiting for your review."
        db.expire_all()
        assert db.get_one(MlaRequest, draft.id).status == RequestStatus.in_review

    def test_an_address_the_server_refuses_does_not_hold_up_the_others(
        self,
        db: Session,
        client: Client,
        mailbox: Mailbox,
        draft: MlaRequest,
        officer: User,
        make_user: MakeUser,
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
        db: Session,
        client: Client,
        draft: MlaRequest,
        officer: User,
        make_user: MakeUser,
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        reviewer = make_user(Role.reviewer)
        attempts: list[tuple[object, ...]] = []
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
        db: Session,
        client: Client,
        draft: MlaRequest,
        officer: User,
        make_user: MakeUser,
    ) -> None:
        reviewer = make_user(Role.reviewer)
        response = submit_in_browser(client, officer, draft)
        assert response.status_code == 303
        shown = check_page(client.get(response.location))
        assert flashes(shown) == ["Submitted for review. The reviewers have been told."]
        db.expire_all()
        assert db.get_one(MlaRequest, draft.id).status == RequestStatus.in_review
        [pending] = db.exec(select(Notification)).all()
        assert (pending.user_id, pending.emailed_at) == (reviewer.id, None)
