"""Reporting a rule as wrong: from every page that cites it, to the unit's administrators,
who resolve the report; each report and resolution is audited."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from bs4 import BeautifulSoup, Tag
from flask import Flask
from sqlmodel import Session, col, select

from mlat.audit_actions import AuditAction
from mlat.models import (
    AuditEntry,
    Notification,
    RequestStatus,
    Role,
    RuleReport,
    RuleReportStatus,
    Unit,
    User,
)
from mlat.rules.provenance import Citation
from mlat.services import ServiceError
from mlat.services.rule_reports import report_rule, resolve_report
from mlat.views.rule_reports import rule_report_url
from mlat.wizard import STEPS
from tests.conftest import (
    Client,
    LoginAs,
    MakeRequest,
    MakeUnit,
    MakeUser,
    PageClient,
    field_value,
    flashes,
    form_errors,
    rows,
    summary,
    text_of,
    texts,
)
from tests.workflow_helpers import put_in_state

REPORT_LINK = "a.report-rule"


def report_href(page: BeautifulSoup, within: str) -> str:
    link = page.select_one(f"{within} {REPORT_LINK}")
    assert isinstance(link, Tag), f"no report link in {within}"
    assert text_of(link) == "Report a problem with this rule"
    return str(link["href"])


def ref_and_next(href: str) -> tuple[str, str]:
    parts = urlsplit(href)
    return parts.path.rsplit("/", 1)[1], parse_qs(parts.query)["next"][0]


def reports(db: Session) -> list[RuleReport]:
    db.expire_all()
    return list(db.exec(select(RuleReport).order_by(col(RuleReport.id))))


def audited(db: Session, action: AuditAction) -> list[AuditEntry]:
    return list(db.exec(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.fixture
def admin(make_user: MakeUser) -> User:
    return make_user(Role.admin)


# ------------------------------------------------------------------ reporting


def test_a_rule_is_reported_from_the_rules_browser_and_the_user_returns(
    db: Session, client_request: PageClient, login_as: LoginAs, admin: User
) -> None:
    officer = login_as(Role.officer)
    state_page = client_request.get("/rules/GB")
    href = report_href(state_page, "#measure-stored_content")
    assert ref_and_next(href) == ("GB:measures.stored_content", "/rules/GB")

    form = client_request.get(href)
    assert text_of(form.h1) == "Report a problem with this rule"
    shown = summary(form)
    assert shown["Table"] == "United Kingdom"
    assert shown["Rule"] == "measures.stored_content"
    assert shown["Legal framework"].startswith("Direction by the territorial authority")
    assert shown["Possible"] == "Yes"
    source = form.select_one("dl.summary a")
    assert isinstance(source, Tag) and str(source["href"]).startswith("https://")

    to = client_request.post_redirect(href, {"comment": "The threshold changed in 2026."})
    assert to == "/rules/GB"
    back = client_request.get(to)
    assert flashes(back) == ["Thank you: your unit's administrators have your report."]

    [report] = reports(db)
    assert (report.rule_ref, report.comment) == ("GB:measures.stored_content",
                                                 "The threshold changed in 2026.")  # fmt: skip
    assert report.source_title == text_of(source)
    assert (report.reporter_id, report.unit_id) == (officer.id, officer.unit_id)
    assert report.status == RuleReportStatus.open


def test_the_measure_page_and_the_route_advisor_offer_the_report_too(
    client_request: PageClient, login_as: LoginAs
) -> None:
    login_as(Role.officer)
    measure = client_request.get("/rules/measure/stored_content")
    refs = {ref_and_next(str(a["href"]))[0] for a in measure.select(REPORT_LINK)}
    assert "GB:measures.stored_content" in refs and "US:measures.stored_content" in refs
    advisor = "/rules/routes?requesting=FR&requested=GB&measure=stored_content"
    routes = client_request.get(advisor)
    hrefs = [str(a["href"]) for a in routes.select(REPORT_LINK)]
    assert ("catalogue:budapest", advisor) in [ref_and_next(h) for h in hrefs]
    assert client_request.get(hrefs[0]).select_one("dl.summary") is not None


def test_a_rule_is_reported_from_a_finding_on_the_request_page(
    db: Session,
    client_request: PageClient,
    login_as: LoginAs,
    make_request: MakeRequest,
    admin: User,
) -> None:
    officer = login_as(Role.officer)
    request = make_request(officer, requested_state="GB")
    page = client_request.get(f"/requests/{request.id}")
    href = report_href(page, ".findings .finding")
    ref, back = ref_and_next(href)
    assert back == f"/requests/{request.id}"
    assert ref.startswith("GB:")

    to = client_request.post_redirect(href, {"comment": "Not what the Home Office says."})
    assert to == f"/requests/{request.id}"
    assert [r.rule_ref for r in reports(db)] == [ref]


def test_an_empty_comment_is_refused_and_a_long_one_kept_to_correct(
    db: Session, client_request: PageClient, login_as: LoginAs
) -> None:
    login_as(Role.officer)
    url = "/rules/report/GB:languages?next=/rules/GB"
    page = client_request.post(url, {"comment": "  "}, status=400)
    assert form_errors(page) == ["Say what is wrong with the rule."]
    assert text_of(page.select_one("form a")) == "Cancel"
    assert page.select_one("form a")["href"] == "/rules/GB"  # type: ignore[index]

    long = "The source says otherwise. " * 200
    page = client_request.post(url, {"comment": long}, status=400)
    assert form_errors(page) == ["Keep the comment under 5000 characters."]
    assert field_value(page, "comment") == long
    assert reports(db) == []
    assert client_request.post_redirect(url, {"comment": long[:4000]}) == "/rules/GB"
    assert [r.comment for r in reports(db)] == [long[:4000].strip()]


def test_a_next_that_leads_off_the_site_is_not_followed(
    client_request: PageClient, login_as: LoginAs
) -> None:
    login_as(Role.officer)
    url = "/rules/report/GB:languages?next=//evil.example/x"
    to = client_request.post_redirect(url, {"comment": "Wrong."})
    assert to == "/rules/"


@pytest.mark.parametrize(
    "ref", ["GB:nothing", "XX:languages", "catalogue:nothing", "nonsense", "GB:channels[99]"]
)
def test_an_unknown_rule_is_a_page_that_says_so(
    client: Client, client_request: PageClient, login_as: LoginAs, ref: str
) -> None:
    login_as(Role.officer)
    page = client_request.get(f"/rules/report/{ref}", status=404)
    assert "There is nothing here" in text_of(page.select_one("main"))
    response = client.submit(f"/rules/report/{ref}", {"comment": "x"}, form_url="/rules/")
    assert response.status_code == 404


# ------------------------------------------------------------------ who is told


def test_the_units_administrators_are_notified_and_no_one_else(
    db: Session,
    client_request: PageClient,
    login_as: LoginAs,
    make_user: MakeUser,
    make_unit: MakeUnit,
    admin: User,
) -> None:
    second_admin = make_user(Role.admin)
    make_user(Role.reviewer)
    other_units_admin = make_user(Role.admin, unit_=make_unit(name="Lagos", state="NG"))
    officer = login_as(Role.officer)
    client_request.post_redirect("/rules/report/GB:languages", {"comment": "Welsh too."})

    db.expire_all()
    told = {n.user_id: n for n in db.exec(select(Notification))}
    assert set(told) == {admin.id, second_admin.id}
    assert other_units_admin.id not in told and officer.id not in told
    [report] = reports(db)
    assert all(n.rule_report_id == report.id and n.request_id is None for n in told.values())

    client_request.client.post("/logout")
    assert client_request.client.login(admin.email).status_code == 302
    page = client_request.get("/notifications")
    [item] = page.select("ul.notifications li a")
    assert text_of(item) == "The rule GB:languages was reported as wrong."
    assert item["href"] == f"/admin/rule-reports/{report.id}"


def test_an_administrator_who_reports_is_not_told_of_their_own_report(
    db: Session, login_as: LoginAs, admin: User, client_request: PageClient
) -> None:
    reporter = login_as(Role.admin)
    client_request.post_redirect("/rules/report/catalogue:budapest", {"comment": "Add AL."})
    db.expire_all()
    assert {n.user_id for n in db.exec(select(Notification))} == {admin.id}
    assert reporter.id != admin.id


# ------------------------------------------------------------------ the administrators' page


def test_an_administrator_sees_open_reports_newest_first_and_resolves_one(
    db: Session,
    client_request: PageClient,
    login_as: LoginAs,
    make_user: MakeUser,
) -> None:
    reporter = make_user(Role.officer)
    first = report_rule(session=db, ref="GB:languages", reporter=reporter, comment="Welsh too.")
    second = report_rule(session=db, ref="US:measures.stored_content", reporter=reporter,
                         comment="A warrant is needed.")  # fmt: skip
    db.commit()
    admin = login_as(Role.admin)

    page = client_request.get("/admin/rule-reports")
    assert text_of(page.h1) == "Reported rules"
    listed = rows(page, "#rule-reports")
    assert [r[1] for r in listed] == ["US:measures.stored_content", "GB:languages"]
    assert listed[1][2] == first.source_title
    assert listed[1][3:] == [reporter.name, "Welsh too."]

    url = f"/admin/rule-reports/{first.id}"
    report_page = client_request.get(url)
    assert summary(report_page)["Comment"] == "Welsh too."
    to = client_request.post_redirect(url, {"note": "Added Welsh to gb.toml."})
    assert to == "/admin/rule-reports"
    page = client_request.get(to)
    assert flashes(page) == ["The report on GB:languages is resolved."]
    assert [r[1] for r in rows(page, "#rule-reports")] == ["US:measures.stored_content"]

    resolved = client_request.get("/admin/rule-reports?status=resolved")
    assert [r[1] for r in rows(resolved, "#rule-reports")] == ["GB:languages"]
    assert rows(resolved, "#rule-reports")[0][-1] == "Added Welsh to gb.toml."
    db.expire_all()
    done = db.get(RuleReport, first.id)
    assert done is not None and done.status == RuleReportStatus.resolved
    assert done.resolved_by == admin.id and done.resolved_at is not None
    assert db.get(RuleReport, second.id).status == RuleReportStatus.open  # type: ignore[union-attr]


def test_resolving_needs_a_note_and_keeps_the_report_open(
    db: Session, client_request: PageClient, login_as: LoginAs, make_user: MakeUser
) -> None:
    report = report_rule(session=db, ref="GB:languages", reporter=make_user(Role.officer),
                         comment="Welsh too.")  # fmt: skip
    db.commit()
    login_as(Role.admin)
    page = client_request.post(f"/admin/rule-reports/{report.id}", {"note": ""}, status=400)
    assert form_errors(page) == ["Say what was done about the report."]
    assert reports(db)[0].status == RuleReportStatus.open


def test_a_report_cannot_be_resolved_twice(db: Session, make_user: MakeUser) -> None:
    admin = make_user(Role.admin)
    report = report_rule(session=db, ref="GB:languages", reporter=admin, comment="Welsh too.")
    resolve_report(session=db, report=report, resolver=admin, note="Done.")
    with pytest.raises(ServiceError):
        resolve_report(session=db, report=report, resolver=admin, note="Again.")


def test_another_units_reports_are_neither_listed_nor_open_to_resolve(
    db: Session,
    client_request: PageClient,
    login_as: LoginAs,
    make_user: MakeUser,
    make_unit: MakeUnit,
) -> None:
    lagos: Unit = make_unit(name="Lagos", state="NG")
    theirs = report_rule(session=db, ref="GB:languages", reporter=make_user(unit_=lagos),
                         comment="Welsh too.")  # fmt: skip
    db.commit()
    login_as(Role.admin)
    page = client_request.get("/admin/rule-reports")
    assert page.select("#rule-reports") == []
    assert texts(page, "main p")[-1] == "No open reports."
    client_request.get(f"/admin/rule-reports/{theirs.id}", status=404)


@pytest.mark.parametrize("role", [Role.officer, Role.reviewer, Role.prosecutor])
def test_only_administrators_see_the_reports(
    db: Session, client: Client, login_as: LoginAs, make_user: MakeUser, role: Role
) -> None:
    report = report_rule(session=db, ref="GB:languages", reporter=make_user(Role.officer),
                         comment="Welsh too.")  # fmt: skip
    db.commit()
    login_as(role)
    assert client.get("/admin/rule-reports").status_code == 403
    assert client.get(f"/admin/rule-reports/{report.id}").status_code == 403
    assert "Reported rules" not in texts(
        BeautifulSoup(client.get("/").text, "html.parser"), "nav a"
    )


# ------------------------------------------------------------------ the audit trail


def test_the_report_and_its_resolution_are_audited(
    db: Session, client_request: PageClient, login_as: LoginAs, make_user: MakeUser
) -> None:
    officer = login_as(Role.officer)
    client_request.post_redirect("/rules/report/GB:languages", {"comment": "Welsh too."})
    [report] = reports(db)
    [entry] = audited(db, AuditAction.rule_report)
    assert (entry.user_id, entry.unit_id) == (officer.id, officer.unit_id)
    assert (entry.object_type, entry.object_id) == ("rule_report", str(report.id))
    assert entry.details == {"rule": "GB:languages", "source": report.source_url,
                             "comment": "Welsh too."}  # fmt: skip

    client_request.client.post("/logout")
    admin = make_user(Role.admin)
    assert client_request.client.login(admin.email).status_code == 302
    client_request.post_redirect(f"/admin/rule-reports/{report.id}", {"note": "Fixed."})
    db.expire_all()
    [resolution] = audited(db, AuditAction.rule_report_resolve)
    assert resolution.user_id == admin.id
    assert resolution.details == {"rule": "GB:languages", "resolution": "Fixed."}


def test_the_wizard_and_the_review_page_offer_the_report_beside_their_findings(
    db: Session,
    client: Client,
    client_request: PageClient,
    login_as: LoginAs,
    make_request: MakeRequest,
    make_user: MakeUser,
) -> None:
    officer = make_user(Role.officer)
    request = make_request(officer, requested_state="GB")
    assert client.login(officer.email).status_code == 302
    found: dict[str, str] = {}
    for step in STEPS:
        url = f"/requests/{request.id}/wizard/{step.slug}"
        page = client_request.get(url)
        found.update({ref_and_next(str(a["href"])) for a in page.select(REPORT_LINK)})
    assert found, "no wizard step offers a report"
    assert all(back.startswith(f"/requests/{request.id}/wizard/") for back in found.values())

    put_in_state(db, request, RequestStatus.in_review)
    client.post("/logout")
    login_as(Role.reviewer)
    review = client_request.get(f"/requests/{request.id}/review")
    assert review.select(f".finding {REPORT_LINK}")
    _ref, back = ref_and_next(report_href(review, ".finding"))
    assert back == f"/requests/{request.id}/review"


@pytest.mark.parametrize(
    ("referrer", "back"),
    [
        ("http://localhost/requests/7/wizard/measures?x=1", "/requests/7/wizard/measures?x=1"),
        ("https://evil.example/requests/7", None),
        (None, None),
    ],
)
def test_a_check_fetched_into_a_page_returns_to_that_page(
    app: Flask, referrer: str | None, back: str | None
) -> None:
    """The wizard's live check is posted by a script: its links lead back to the step."""
    headers = {"Referer": referrer} if referrer else {}
    cite = Citation(ref="GB:languages", title="Home Office", url="https://www.gov.uk/",
                    verified_on=None, status="unverified")  # fmt: skip
    with app.test_request_context("/requests/7/wizard/measures/check", method="POST",
                                  headers=headers):  # fmt: skip
        href = rule_report_url(cite)
    assert href.startswith("/rules/report/GB:languages")
    assert parse_qs(urlsplit(href).query).get("next") == ([back] if back else None)
