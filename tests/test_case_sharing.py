"""Cases shared with partner units, and a case's joint investigation team: what every role
of a partner reads and may do, that nothing outside the case reaches a partner (pages,
search, statistics, exports, the API), the team's advice when it applies and when not,
and who hears of a change to one of the case's requests."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import pytest
from sqlmodel import Session, select

from mlat.audit_actions import AuditAction
from mlat.models import (
    AuditEntry,
    CaseFile,
    MlaRequest,
    Notification,
    NotificationKind,
    RequestStatus,
    Role,
    Unit,
    User,
    WebhookDelivery,
)
from mlat.request_format import MeasureKind
from mlat.rules.loader import rulebook
from mlat.rules.teams import Team, team_advice
from mlat.services import ServiceError, case_teams, cases
from tests.api_helpers import Api, make_token
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
from tests.webhook_helpers import register
from tests.workflow_helpers import step, today

TODAY = dt.date.today()
PARTNER_ROLES = (Role.officer, Role.reviewer, Role.prosecutor, Role.admin)


@dataclass(frozen=True)
class Shared:
    """A case of the Doha unit, shared read-only with the Lagos unit; one of the lead's
    requests is in it, another is not."""

    case: CaseFile
    lead: User
    partner_unit: Unit
    inside: MlaRequest
    outside: MlaRequest


@pytest.fixture
def shared(
    db: Session, client: Client, login_as: LoginAs, make_unit: MakeUnit, make_request: MakeRequest
) -> Shared:
    lead = login_as(Role.officer)
    partner_unit = make_unit(name="Fraud Unit, Lagos", code="LOS", state="NG")
    case = cases.create_case(session=db, user=lead, title="Ransomware at the port")
    db.commit()
    inside = make_request(lead, "Mailbox of the extortionist", "US")
    outside = make_request(lead, "Unrelated embezzlement inquiry", "FR")
    cases.attach(session=db, access=cases.CaseAccess(case, None), user=lead,
                 request_id=inside.id or 0)  # fmt: skip
    db.commit()
    response = client.submit(f"/cases/{case.id}/partners", {"unit_id": str(partner_unit.id)},
                             form_url=f"/cases/{case.id}", follow_redirects=True)  # fmt: skip
    assert "The case is shared with Fraud Unit, Lagos." in " ".join(flashes(check_page(response)))
    return Shared(case, lead, partner_unit, inside, outside)


def _audited(db: Session, action: AuditAction) -> list[AuditEntry]:
    return list(db.exec(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.mark.parametrize("role", PARTNER_ROLES)
def test_every_role_of_a_partner_unit_reads_the_case_and_changes_nothing(
    client: Client, db: Session, login_as: LoginAs, shared: Shared, role: Role
) -> None:
    login_as(role, unit_=shared.partner_unit)
    case_id = shared.case.id
    listing = check_page(client.get("/cases/"))
    assert "Ransomware at the port" in listing.text and "shared with your unit" in listing.text
    page = check_page(client.get(f"/cases/{case_id}"))
    assert "shares this case with your unit" in text_of(page.select_one("#case-shared-notice"))
    link = page.select_one("#case-requests a")
    assert link is not None and link["href"] == f"/cases/{case_id}/requests/{shared.inside.id}"
    assert not page.select(f"form[action='/cases/{case_id}/detach']")  # nothing to change
    assert not page.select("#case-invite") and "Draft a request" not in page.text
    read = check_page(client.get(link["href"]))
    assert "Mailbox of the extortionist" in read.text and "read-only" in read.text
    for url in (f"/cases/{case_id}/edit", f"/cases/{case_id}/team"):
        assert client.get(url).status_code == 403
    assert client.get(f"/cases/{case_id}/draft").status_code == 403
    refused = client.submit(f"/cases/{case_id}/partners/remove",
                            {"unit_id": str(shared.partner_unit.id)},
                            form_url=f"/cases/{case_id}")  # fmt: skip
    assert refused.status_code == 403
    views = _audited(db, AuditAction.case_request_view)
    assert [e.details["request"] for e in views] == [shared.inside.reference]


def test_a_partner_officer_without_the_right_cannot_put_requests_in_the_case(
    client: Client, db: Session, login_as: LoginAs, make_request: MakeRequest, shared: Shared
) -> None:
    officer = login_as(Role.officer, unit_=shared.partner_unit)
    theirs = make_request(officer, "Lagos side of the case", "GB")
    done = client.submit(f"/cases/{shared.case.id}/attach", {"request_id": str(theirs.id)},
                         form_url=f"/cases/{shared.case.id}")  # fmt: skip
    assert done.status_code == 403
    access = cases.case_access(session=db, user=officer, case_id=shared.case.id or 0)
    with pytest.raises(ServiceError) as refused:  # the service says why, too
        cases.attach(session=db, access=access, user=officer, request_id=theirs.id or 0)
    assert "may not draft in it" in refused.value.message
    db.rollback()
    db.refresh(theirs)
    assert theirs.case_id is None


def test_a_partner_allowed_to_draft_adds_its_own_request_which_its_own_unit_reviews(
    client: Client, db: Session, login_as: LoginAs, make_user: MakeUser, shared: Shared
) -> None:
    client.submit(f"/cases/{shared.case.id}/partners/change",
                  {"unit_id": str(shared.partner_unit.id), "may_draft": "y"},
                  form_url=f"/cases/{shared.case.id}")  # fmt: skip
    granted = _audited(db, AuditAction.case_grant)
    assert [(e.details["unit"], e.details["may_draft"]) for e in granted] == [
        ("Fraud Unit, Lagos", True)
    ]
    officer = login_as(Role.officer, unit_=shared.partner_unit)
    page = check_page(client.get(f"/cases/{shared.case.id}"))
    assert "may also draft requests" in text_of(page.select_one("#case-shared-notice"))
    response = client.submit(
        f"/cases/{shared.case.id}/draft",
        {"title": "Same mailbox, Lagos leg", "requested_state": "GB",
         "source": str(shared.inside.id), "parts": ["offences"]},
        form_url=f"/cases/{shared.case.id}/draft?source={shared.inside.id}",
    )  # fmt: skip
    assert response.status_code == 303, response.text
    created = db.exec(select(MlaRequest).where(MlaRequest.title == "Same mailbox, Lagos leg")).one()
    assert (created.unit_id, created.owner_id, created.case_id) == (
        shared.partner_unit.id, officer.id, shared.case.id
    )  # fmt: skip
    assert created.reference.startswith("LOS-")  # numbered, reviewed and signed in Lagos
    lead_reviewer = make_user(Role.reviewer, unit_=shared.lead.unit)
    client.login(lead_reviewer.email)
    assert client.get(f"/requests/{created.id}").status_code == 404
    lead_page = check_page(client.get(f"/cases/{shared.case.id}"))
    assert created.reference in text_of(lead_page.select_one("#case-requests"))
    read = check_page(client.get(f"/cases/{shared.case.id}/requests/{created.id}"))
    assert "Fraud Unit, Lagos" in read.text and "Same mailbox, Lagos leg" in read.text


def test_removing_a_partner_ends_its_access_and_takes_its_requests_out(
    client: Client, db: Session, login_as: LoginAs, make_request: MakeRequest, shared: Shared
) -> None:
    access = cases.case_access(session=db, user=shared.lead, case_id=shared.case.id or 0)
    cases.change_partner(session=db, access=access, user=shared.lead,
                         unit_id=shared.partner_unit.id or 0, may_draft=True)  # fmt: skip
    db.commit()
    partner_officer = login_as(Role.officer, unit_=shared.partner_unit)
    theirs = make_request(partner_officer, "Lagos leg", "GB")
    partner_access = cases.case_access(session=db, user=partner_officer,
                                       case_id=shared.case.id or 0)  # fmt: skip
    cases.attach(session=db, access=partner_access, user=partner_officer,
                 request_id=theirs.id or 0)  # fmt: skip
    db.commit()
    client.login(shared.lead.email)
    done = client.submit(f"/cases/{shared.case.id}/partners/remove",
                         {"unit_id": str(shared.partner_unit.id)},
                         form_url=f"/cases/{shared.case.id}", follow_redirects=True)  # fmt: skip
    said = " ".join(flashes(check_page(done)))
    assert "no longer shared with Fraud Unit, Lagos" in said and theirs.reference in said
    db.refresh(theirs)
    assert theirs.case_id is None
    (removed,) = _audited(db, AuditAction.case_unshare)
    assert removed.details == {"unit": "Fraud Unit, Lagos", "requests": [theirs.reference]}
    client.login(partner_officer.email)
    assert client.get(f"/cases/{shared.case.id}").status_code == 404
    assert client.get(f"/cases/{shared.case.id}/requests/{shared.inside.id}").status_code == 404
    assert "Ransomware at the port" not in client.get("/cases/").text


def test_a_partner_never_sees_a_request_outside_the_case_anywhere(
    client: Client, db: Session, login_as: LoginAs, shared: Shared
) -> None:
    partner = login_as(Role.officer, unit_=shared.partner_unit)
    case_id = shared.case.id
    assert client.get(f"/cases/{case_id}/requests/{shared.outside.id}").status_code == 404
    for request in (shared.inside, shared.outside):  # the lead's own pages stay the lead's
        assert client.get(f"/requests/{request.id}").status_code == 404
        assert client.get(f"/requests/{request.id}/export.json").status_code == 404
    for page in ("/", "/search?q=embezzlement", "/search?q=extortionist", "/dashboard",
                 "/statistics", "/statistics.csv"):  # fmt: skip
        response = client.get(page)
        assert response.status_code == 200, page
        for request in (shared.inside, shared.outside):  # found only through the case
            assert request.title not in response.text, page
            assert request.reference not in response.text, page
    api = Api(client, make_token(db, partner))
    listed = api.get("/requests").get_json()
    assert [r["reference"] for r in listed["items"]] == []
    for request in (shared.inside, shared.outside):
        assert api.get(f"/requests/{request.id}").status_code == 404


def test_the_lead_cannot_share_twice_nor_with_itself(db: Session, shared: Shared) -> None:
    access = cases.case_access(session=db, user=shared.lead, case_id=shared.case.id or 0)
    for unit_id in (shared.partner_unit.id or 0, shared.lead.unit_id or 0, 987_654):
        with pytest.raises(ServiceError):
            cases.invite(session=db, access=access, user=shared.lead, unit_id=unit_id)
        db.rollback()


# ------------------------------------------------------------------ who hears of a change


def test_a_step_of_a_case_request_notifies_the_case_members_and_their_endpoints(
    client: Client, db: Session, login_as: LoginAs, make_user: MakeUser, shared: Shared
) -> None:
    partner_officer = make_user(Role.officer, unit_=shared.partner_unit)
    partner_reviewer = make_user(Role.reviewer, unit_=shared.partner_unit)
    partner_admin = make_user(Role.admin, unit_=shared.partner_unit)
    endpoint, _secret = register(db, partner_admin, events=["case.request_changed"])
    colleague = make_user(Role.officer, unit_=shared.lead.unit)
    case = db.get_one(CaseFile, shared.case.id)
    case.lead_officer_id = colleague.id
    db.commit()
    client.login(partner_officer.email)
    stamp = client.get(f"/cases/{case.id}/live").get_json()["stamp"]
    put = db.get_one(MlaRequest, shared.inside.id)
    put.status = RequestStatus.transmitted
    db.commit()
    step(db, put, shared.lead, "acknowledge", on=today())
    told = db.exec(
        select(Notification.user_id).where(Notification.kind == NotificationKind.case_changed)
    ).all()
    assert set(told) == {partner_officer.id, colleague.id}  # not the actor
    assert partner_reviewer.id not in told
    page = check_page(client.get("/notifications"))
    link = page.select_one(".notifications a")
    assert link is not None and link["href"] == f"/cases/{case.id}"
    assert "a request of one of your cases, took a step" in text_of(link)
    (delivery,) = db.exec(
        select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    ).all()
    assert delivery.payload["data"]["case"] == {"id": case.id}
    assert delivery.payload["data"]["action"] == "acknowledge"
    assert client.get(f"/cases/{case.id}/live").get_json()["stamp"] != stamp


def test_a_request_outside_any_case_notifies_no_case_member(
    db: Session, shared: Shared, make_user: MakeUser
) -> None:
    make_user(Role.officer, unit_=shared.partner_unit)
    outside = db.get_one(MlaRequest, shared.outside.id)
    outside.status = RequestStatus.transmitted
    db.commit()
    step(db, outside, shared.lead, "acknowledge", on=today())
    kinds = db.exec(select(Notification.kind)).all()
    assert NotificationKind.case_changed not in kinds


# ------------------------------------------------------------------ the joint team

TEAM = Team(
    name="JIT Harbour",
    framework="eu-fd-2002-465",
    members=frozenset({"NL", "BE"}),
    starts_on=TODAY - dt.timedelta(days=30),
    ends_on=TODAY + dt.timedelta(days=300),
    measures=frozenset({MeasureKind.subscriber_info, MeasureKind.traffic_data}),
)


def test_the_team_serves_a_request_to_a_member_within_its_period_and_measures() -> None:
    frameworks = rulebook().joint_teams
    advice = team_advice(frameworks, TEAM, "NL", frozenset({MeasureKind.traffic_data}), TODAY)
    assert advice is not None and advice.applies
    assert advice.framework is not None and advice.framework.article == "Art. 1"
    assert advice.citation is not None and advice.citation.status == "verified"
    assert "specific purpose and a limited period" in advice.citation.quote


@pytest.mark.parametrize(
    ("state", "measures", "today", "reason"),
    [
        ("US", {MeasureKind.traffic_data}, TODAY, None),  # not a member: nothing to say
        ("NL", {MeasureKind.traffic_data}, TODAY + dt.timedelta(days=301), "ran until"),
        ("BE", {MeasureKind.traffic_data}, TODAY - dt.timedelta(days=31), "applies only from"),
        ("BE", {MeasureKind.stored_content}, TODAY, "does not cover every measure"),
    ],
)
def test_the_team_does_not_serve_a_request_outside_its_members_period_or_measures(
    state: str, measures: set[MeasureKind], today: dt.date, reason: str | None
) -> None:
    advice = team_advice(rulebook().joint_teams, TEAM, state, frozenset(measures), today)
    if reason is None:
        assert advice is None
    else:
        assert advice is not None and not advice.applies and reason in advice.reason


def test_every_framework_cites_a_source_and_says_how_far_it_was_checked() -> None:
    frameworks = rulebook().joint_teams
    assert frameworks is not None
    assert {"eu-fd-2002-465", "ets-182", "untoc", "uncac"} <= set(frameworks.frameworks)
    for key, framework in frameworks.frameworks.items():
        source = frameworks.sources[framework.cite]
        assert framework.verified_on is not None and framework.locator, key
        assert framework.quote and source.url, key
    assert frameworks.sources[frameworks.frameworks["ets-182"].cite].kind == "secondary"


def test_the_lead_records_a_team_and_its_requests_say_what_it_means(
    client: Client, db: Session, shared: Shared, make_request: MakeRequest
) -> None:
    nl = make_request(shared.lead, "Hosting in the Netherlands", "NL",
                      content={"measures": [{"kind": "stored_content"}]})  # fmt: skip
    be = make_request(shared.lead, "Exchange in Belgium", "BE",
                      content={"measures": [{"kind": "subscriber_info"}]})  # fmt: skip
    access = cases.CaseAccess(db.get_one(CaseFile, shared.case.id), None)
    for request in (nl, be):
        cases.attach(session=db, access=access, user=shared.lead, request_id=request.id or 0)
    db.commit()
    url = f"/cases/{shared.case.id}/team"
    wrong = client.submit(url, {"name": "JIT Harbour", "framework": "eu-fd-2002-465",
                                "members": ["NL", "BE"], "starts_on": "2026-13-01",
                                "ends_on": TODAY.isoformat()})  # fmt: skip
    assert wrong.status_code == 400 and "YYYY-MM-DD" in wrong.text
    assert 'value="JIT Harbour"' in wrong.text  # the input is kept
    team = {"name": "JIT Harbour", "framework": "eu-fd-2002-465", "members": ["NL", "BE"],
            "scope": "The port ransomware group",
            "starts_on": (TODAY - dt.timedelta(days=10)).isoformat(),
            "ends_on": (TODAY + dt.timedelta(days=200)).isoformat(),
            "measures": ["subscriber_info", "traffic_data"]}  # fmt: skip
    not_pdf = client.submit(url, team | {"agreement": (io.BytesIO(b"plain words"), "jit.txt")})
    assert not_pdf.status_code == 400 and "as a PDF" in not_pdf.text
    pdf = (io.BytesIO(b"%PDF-1.4 agreement"), "JIT.pdf")
    saved = client.submit(url, team | {"agreement": pdf})
    assert saved.status_code == 303, saved.text
    (recorded,) = _audited(db, AuditAction.case_jit)
    assert recorded.details["members"] == ["BE", "NL"] and "agreement_sha256" in recorded.details
    page = check_page(client.get(f"/cases/{shared.case.id}"))
    shown = text_of(page.select_one("#case-team"))
    assert "JIT Harbour" in shown and "Netherlands" in shown and "Art. 1" in shown
    advice = {text_of(li).split(":")[0]: text_of(li) for li in page.select("#case-team-advice li")}
    assert "can be shared within the team" in advice[be.reference]
    assert "does not cover every measure" in advice[nl.reference]
    assert shared.inside.reference not in advice  # the United States is not a member
    request_page = check_page(client.get(f"/requests/{be.id}"))
    box = text_of(request_page.select_one("#team-advice"))
    assert "can be shared within the team under its agreement" in box
    assert "Verified against a primary source" in box
    route = check_page(client.get(f"/requests/{be.id}/wizard/route"))
    assert "can be shared within the team" in text_of(route.select_one("#team-advice"))
    download = client.get(f"/cases/{shared.case.id}/team/agreement")
    assert download.status_code == 200 and download.data == b"%PDF-1.4 agreement"
    assert _audited(db, AuditAction.case_jit_agreement)


def test_a_team_needs_a_known_framework_members_and_a_period(db: Session, shared: Shared) -> None:
    access = cases.CaseAccess(db.get_one(CaseFile, shared.case.id), None)
    earlier = TODAY - dt.timedelta(days=1)
    wrong: list[tuple[str, list[str], dt.date, list[str]]] = [
        ("invented", ["NL"], TODAY, []),  # a framework, the members, the last day, measures
        ("ets-182", [], TODAY, []),
        ("ets-182", ["XX"], TODAY, []),
        ("ets-182", ["NL"], earlier, []),
        ("ets-182", ["NL"], TODAY, ["telepathy"]),
    ]
    for framework, members, ends_on, measures in wrong:
        with pytest.raises(ServiceError):
            case_teams.save_team(session=db, access=access, user=shared.lead, name="JIT",
                            framework=framework, members=members, starts_on=TODAY,
                            ends_on=ends_on, measures=measures)  # fmt: skip
        db.rollback()
    assert case_teams.case_team(session=db, case=access.case) is None
    assert not _audited(db, AuditAction.case_jit)
