"""A reported rule is e-mailed to the administrators of the reporter's unit, with the rule,
its source and what the reporter said, when an SMTP server is configured."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from mlat.config import SmtpSettings
from mlat.models import Notification, Role, User
from mlat.rules.loader import rulebook
from tests.conftest import Client, MakeUnit, MakeUser
from tests.notifications.inbox import BASE_URL
from tests.notifications.mailbox import Mailbox


class TestWithAnSmtpServer:
    @pytest.fixture
    def smtp(self, mailbox: Mailbox) -> SmtpSettings:
        return SmtpSettings(host="127.0.0.1", port=mailbox.port, sender="mlat@pp.example.qa")

    def test_the_units_administrators_get_the_rule_its_source_and_the_comment(
        self,
        db: Session,
        client: Client,
        mailbox: Mailbox,
        officer: User,
        make_user: MakeUser,
        make_unit: MakeUnit,
    ) -> None:
        admins = [make_user(Role.admin), make_user(Role.admin)]
        make_user(Role.reviewer)
        make_user(Role.admin, unit_=make_unit(name="Lagos", state="NG"))
        assert client.login(officer.email).status_code == 302
        table = rulebook().states["GB"]
        source = table.sources[table.languages.cite]
        comment = "Welsh is accepted too.\nSee the 2026 guidelines."
        response = client.submit("/rules/report/GB:languages", {"comment": comment})
        assert response.status_code == 302

        assert sorted(m["To"] for m in mailbox.messages) == sorted(a.email for a in admins)
        for message in mailbox.messages:
            assert message["Subject"] == "The rule GB:languages was reported as wrong."
            body = message.get_content().replace("\r\n", "\n")
            assert f"Source: {source.title}, {source.url}" in body
            assert f"What is wrong, according to {officer.name}:\n{comment}" in body
            assert f"{BASE_URL}/admin/rule-reports" in body
        db.expire_all()
        assert all(n.emailed_at is not None for n in db.exec(select(Notification)))
