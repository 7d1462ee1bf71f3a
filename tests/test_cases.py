"""Cases: one investigation's requests to several states under one record, with where
each state stands, the preservations that lapse next, the identifiers that recur and one
timeline; opening a case, putting requests in it, drafting a new one from it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlmodel import Session, select

from mlat.audit_actions import AuditAction
from mlat.models import AuditEntry, CaseFile, MlaRequest, RequestStatus, Role, User
from mlat.services import ServiceError, cases
from tests.conftest import (
    Client,
    LoginAs,
    MakeRequest,
    MakeUnit,
    MakeUser,
    check_page,
    flashes,
    text_of,
)
from tests.wizard_helpers import EXAMPLE
from tests.workflow_helpers import put_in_state

TODAY = dt.date.today()


def example() -> dict[str, Any]:
    content: dict[str, Any] = json.loads(EXAMPLE.read_text())
    return content


@pytest.fixture
def officer(make_user: MakeUser) -> User:
    return make_user(Role.officer)


def _state(db: Session, request: MlaRequest, status: RequestStatus, **columns: Any) -> None:
    for name, value in columns.items():
        setattr(request, name, value)
    put_in_state(db, request, status)


@pytest.fixture
def ransomware(db: Session, officer: User, make_request: MakeRequest) -> CaseFile:
    """A case with requests to four states, each at another point of the workflow; the
    account finance.alwaha@mailhost.example appears in two of them."""
    case = cases.create_case(session=db, user=officer, title="Ransomware at the port",
                             case_number="CYB/2026/0099", offences="Extortion")  # fmt: skip
    db.commit()
    us = make_request(officer, "Mailbox in the United States", "US", content=example())
    lapsing = {"requested": True, "requested_on": (TODAY - dt.timedelta(days=85)).isoformat(),
               "expires_on": (TODAY + dt.timedelta(days=5)).isoformat()}  # fmt: skip
    gb_content = example() | {"preservation": lapsing}
    gb = make_request(officer, "Hosting in the United Kingdom", "GB", content=gb_content)
    urgency = {"urgent": True, "reason": "Ongoing extortion",
               "deadline": (TODAY + dt.timedelta(days=20)).isoformat()}  # fmt: skip
    fr = make_request(officer, "Domain in France", "FR", content={"urgency": urgency})
    de = make_request(officer, "Server in Germany", "DE")
    for request in (us, gb, fr, de):
        cases.attach(session=db, access=cases.case_access(session=db, user=officer,
                     case_id=case.id or 0), user=officer, request_id=request.id or 0)  # fmt: skip
    db.commit()
    _state(db, us, RequestStatus.transmitted, transmitted_on=TODAY - dt.timedelta(days=400))
    _state(db, gb, RequestStatus.signed)
    _state(db, de, RequestStatus.executed, transmitted_on=TODAY - dt.timedelta(days=50),
           executed_on=TODAY - dt.timedelta(days=3))  # fmt: skip
    return case


def test_an_officer_opens_a_case_and_finds_it_in_the_list(
    client: Client, db: Session, login_as: LoginAs
) -> None:
    login_as(Role.officer)
    response = client.submit("/cases/new", {"title": "Operation Harbour",
                             "case_number": "CYB/2026/0101", "offences": "Fraud"})  # fmt: skip
    assert response.status_code == 303
    case = db.exec(select(CaseFile)).one()
    page = check_page(client.get(response.location))
    assert text_of(page.select_one("h1")) == "Operation Harbour"
    assert "The case is opened." in " ".join(flashes(page))
    listing = check_page(client.get("/cases/"))
    assert "Operation Harbour" in listing.text and "CYB/2026/0101" in listing.text
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == AuditAction.case_create)).one()
    assert entry.object_id == str(case.id)
    refused = client.submit("/cases/new", {"title": "", "case_number": "x" * 101})
    assert refused.status_code == 400
    assert "Enter a title." in refused.text and "x" * 101 in refused.text  # input kept


def test_the_dashboard_says_where_each_state_stands(
    client: Client, login_as: LoginAs, ransomware: CaseFile
) -> None:
    login_as(Role.reviewer)
    page = check_page(client.get(f"/cases/{ransomware.id}"))
    rows = {tr["data-state"]: text_of(tr) for tr in page.select("#case-states tbody tr")}
    assert set(rows) == {"US", "GB", "FR", "DE"}
    assert "Transmitted" in rows["US"] and "400 days" in rows["US"] and "overdue" in rows["US"]
    assert "usually about 300 days" in rows["US"]
    assert "Signed" in rows["GB"] and "in 5 days" in rows["GB"]
    assert "Draft" in rows["FR"] and "in 20 days" in rows["FR"] and "Not transmitted" in rows["FR"]
    assert "Executed" in rows["DE"] and "None" in rows["DE"]  # nothing ahead once executed
    lapsing = [text_of(li) for li in page.select("#case-lapsing li")]
    assert lapsing[0].startswith("DOH-") and "5 days left" in lapsing[0]
    assert any("lapses on" in item for item in lapsing[1:])  # the US preservation, later
    shared = text_of(page.select_one("#case-shared"))
    assert "finance.alwaha@mailhost.example" in shared


def test_the_timeline_merges_every_requests_history_and_whats_ahead(
    client: Client, db: Session, officer: User, login_as: LoginAs, ransomware: CaseFile
) -> None:
    ahead, past = cases.timeline(session=db, case=ransomware, today=TODAY)
    assert [e.kind for e in ahead][:2] == ["preservation_lapses", "deadline"]
    assert ahead[0].on == TODAY + dt.timedelta(days=5)
    assert [e.kind for e in past].count("created") == 4
    assert past == sorted(past, key=lambda e: e.on, reverse=True)
    login_as(Role.officer)
    page = check_page(client.get(f"/cases/{ransomware.id}"))
    assert "the preservation lapses" in text_of(page.select_one("#case-ahead"))
    assert text_of(page.select_one("#case-past")).count("drafted") == 4


def test_requests_are_put_in_and_taken_out_of_a_case_by_officers(
    client: Client, db: Session, login_as: LoginAs, make_request: MakeRequest,
    make_user: MakeUser, make_unit: MakeUnit, ransomware: CaseFile,
) -> None:  # fmt: skip
    user = login_as(Role.officer)
    loose = make_request(user, "Crypto exchange in Malta", "MT")
    done = client.submit(f"/cases/{ransomware.id}/attach", {"request_id": str(loose.id)},
                         form_url=f"/cases/{ransomware.id}", follow_redirects=True)  # fmt: skip
    assert f"Request {loose.reference} is now in the case." in done.text
    assert "Malta" in text_of(check_page(done).select_one("#case-states"))
    request_page = check_page(client.get(f"/requests/{loose.id}"))
    assert "Ransomware at the port" in request_page.text
    db.expire_all()  # the page put it in the case
    other = cases.create_case(session=db, user=user, title="Another case")
    db.commit()
    with pytest.raises(ServiceError) as refused:
        cases.attach(session=db, access=cases.CaseAccess(other, None), user=user,
                     request_id=loose.id or 0)  # fmt: skip
    db.rollback()
    assert "already in another case" in refused.value.message
    stranger = make_user(Role.officer, unit_=make_unit(state="NG"))
    theirs = make_request(stranger, "Lagos request", "GB")
    wrong = client.submit(f"/cases/{ransomware.id}/attach", {"request_id": str(theirs.id)},
                          form_url=f"/cases/{ransomware.id}", follow_redirects=True)  # fmt: skip
    assert "No such request." in wrong.text
    db.refresh(theirs)
    assert theirs.case_id is None
    out = client.submit(f"/cases/{ransomware.id}/detach", {"request_id": str(loose.id)},
                        form_url=f"/cases/{ransomware.id}", follow_redirects=True)  # fmt: skip
    assert f"Request {loose.reference} is no longer in the case." in out.text
    db.refresh(loose)
    assert loose.case_id is None


def test_a_request_drafted_from_the_case_carries_what_the_officer_ticks(
    client: Client, db: Session, login_as: LoginAs, ransomware: CaseFile
) -> None:
    login_as(Role.officer)
    us = next(
        r for r in cases.case_requests(session=db, case=ransomware) if r.requested_state == "US"
    )
    form = check_page(client.get(f"/cases/{ransomware.id}/draft?source={us.id}"))
    labels = [text_of(label) for label in form.select("#identifiers label")]
    assert labels[0].startswith("finance.alwaha@mailhost.example")
    response = client.submit(
        f"/cases/{ransomware.id}/draft",
        {"title": "The same account, in Ireland", "requested_state": "IE", "source": str(us.id),
         "parts": ["offences", "identifiers", "persons"], "identifiers": ["0"], "persons": ["1"]},
        form_url=f"/cases/{ransomware.id}/draft?source={us.id}",
    )  # fmt: skip
    assert response.status_code == 303, response.text
    created = db.exec(select(MlaRequest).where(MlaRequest.requested_state == "IE")).one()
    assert response.location == f"/requests/{created.id}/wizard/route"
    assert created.case_id == ransomware.id
    assert created.case_number == "CYB/2026/0099"
    content = created.content
    assert [i["value"] for i in content["identifiers"]] == ["finance.alwaha@mailhost.example"]
    assert [p["name"] for p in content["persons"]] == [example()["persons"][1]["name"]]
    assert content["offences"] == example()["offences"]
    assert not content.get("facts")  # not ticked
    board = cases.dashboard(session=db, case=ransomware, today=TODAY)
    shared = {s.value: s.references for s in board.shared}
    assert len(shared["finance.alwaha@mailhost.example"]) == 3


def test_a_case_holds_only_its_units_requests_and_shows_to_its_unit_alone(
    client: Client, db: Session, login_as: LoginAs, make_unit: MakeUnit, ransomware: CaseFile
) -> None:
    login_as(Role.officer, unit_=make_unit(state="NG"))
    assert client.get(f"/cases/{ransomware.id}").status_code == 404
    assert "Ransomware at the port" not in client.get("/cases/").text
