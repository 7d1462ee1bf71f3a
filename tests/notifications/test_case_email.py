"""A step of a case's request is e-mailed to the case's members, each in their own
language, with a link to the case (which a partner unit's member can open)."""

from __future__ import annotations

import re

import pytest
from babel.support import Translations
from sqlmodel import Session

from mlat.config import SmtpSettings
from mlat.models import MlaRequest, Role, User
from mlat.services import cases
from tests.conftest import Client, MakeUnit, MakeUser
from tests.notifications.inbox import BASE_URL
from tests.notifications.mailbox import Mailbox
from tests.notifications.test_email import TRANSLATIONS
from tests.workflow_helpers import submittable_content, today

MESSAGE = "%(reference)s, a request of one of your cases, took a step: see the case."


class TestWithAnSmtpServer:
    @pytest.fixture
    def smtp(self, mailbox: Mailbox) -> SmtpSettings:
        return SmtpSettings(host="127.0.0.1", port=mailbox.port, sender="mlat@pp.example.qa")

    def test_the_partners_officer_reads_it_in_their_language_with_the_cases_address(
        self, db: Session, client: Client, mailbox: Mailbox, draft: MlaRequest, officer: User,
        make_user: MakeUser, make_unit: MakeUnit,
    ) -> None:  # fmt: skip
        partner_unit = make_unit(name="Fraud Unit, Lagos", code="LOS", state="NG")
        partner = make_user(Role.officer, unit_=partner_unit)
        partner.locale = "ar"
        lead_officer = make_user(Role.officer)
        db.add(partner)
        case = cases.create_case(session=db, user=officer, title="Port ransomware",
                                 lead_officer_id=lead_officer.id)  # fmt: skip
        access = cases.CaseAccess(case, None)
        cases.attach(session=db, access=access, user=officer, request_id=draft.id or 0)
        cases.invite(session=db, access=access, user=officer, unit_id=partner_unit.id or 0)
        draft.content = submittable_content(today())
        db.commit()
        assert client.login(officer.email).status_code == 302
        response = client.submit(f"/requests/{draft.id}/do/submit",
                                 {"version": str(draft.version)},
                                 form_url=f"/requests/{draft.id}")  # fmt: skip
        assert response.status_code == 303

        told = {m["To"]: m for m in mailbox.messages if "/cases/" in m.get_content()}
        assert set(told) == {partner.email, lead_officer.email}  # not the officer who acted
        arabic = Translations.load(str(TRANSLATIONS), ["ar"]).gettext(MESSAGE) % {
            "reference": draft.reference
        }
        subjects = {to: " ".join(str(m["Subject"]).split()) for to, m in told.items()}
        assert subjects[partner.email] == arabic
        assert re.search("[\u0600-\u06ff]", arabic)
        assert subjects[lead_officer.email] == MESSAGE % {"reference": draft.reference}
        for message in told.values():
            assert f"{BASE_URL}/cases/{case.id}" in message.get_content()
