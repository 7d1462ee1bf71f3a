"""Changes to users and units are audited where they are made, once each, whether an
administrator makes them in the app or an operator on the command line."""

from __future__ import annotations

from flask.testing import FlaskCliRunner
from sqlmodel import Session, col, select

from mlat.models import AuditEntry, Role, Unit, User
from tests.admin_helpers import own_credentials
from tests.conftest import Client, LoginAs, MakeUser, PageClient, flashes
from tests.flask_cli import flask

ACCOUNT_ACTIONS = ("user.", "unit.")


def account_entries(db: Session, after: int = 0) -> list[AuditEntry]:
    """The entries about users and units after entry ``after``, oldest first."""
    db.expire_all()
    entries = db.exec(
        select(AuditEntry).where(col(AuditEntry.seq) > after).order_by(col(AuditEntry.seq))
    )
    return [e for e in entries if e.action.startswith(ACCOUNT_ACTIONS)]


def newest_seq(db: Session) -> int:
    db.expire_all()
    return max(db.exec(select(AuditEntry.seq)).all(), default=0)


def test_create_user_on_the_command_line_is_audited(runner: FlaskCliRunner, db: Session) -> None:
    start = newest_seq(db)
    result = flask(
        runner,
        "create-user",
        "--email=first.admin@example.org",
        "--name=First Admin",
        "--unit-code=LOS",
        "--unit-name=Economic Crime Unit, Lagos",
        "--unit-state=NG",
        "--unit-timezone=Africa/Lagos",
        "--password=a long admin passphrase",
    )
    assert result.exit_code == 0, result.output
    user = db.exec(select(User).where(User.email == "first.admin@example.org")).one()
    unit = db.exec(select(Unit).where(Unit.code == "LOS")).one()

    made_unit, made_user = account_entries(db, start)
    assert (made_unit.action, made_unit.object_id, made_unit.user_id) == (
        "unit.create",
        str(unit.id),
        None,  # nobody logged in: an operator at the server
    )
    assert made_unit.details == {"name": "Economic Crime Unit, Lagos", "code": "LOS",
                                 "state": "NG", "timezone": "Africa/Lagos",
                                 "separate_duties": True}  # fmt: skip
    assert (made_user.action, made_user.object_id, made_user.user_id) == (
        "user.create",
        str(user.id),
        None,
    )
    assert made_user.details == {"email": "first.admin@example.org", "roles": ["admin"],
                                 "unit": unit.id, "active": True}  # fmt: skip


def test_each_change_an_administrator_makes_writes_one_entry(
    client: Client, login_as: LoginAs, make_user: MakeUser, db: Session
) -> None:
    target = make_user(Role.officer)
    admin = login_as(Role.installation_admin)
    start = newest_seq(db)

    client.submit("/admin/units/new",
                  {"name": "Economic Crime Unit, Lagos", "code": "los", "state": "NG",
                   "timezone": "Africa/Lagos"})  # fmt: skip
    lagos = db.exec(select(Unit).where(Unit.code == "LOS")).one()
    client.submit("/admin/users/new",
                  {"email": "adaeze@lagos.example", "name": "Adaeze", "unit_id": str(lagos.id),
                   "roles": ["officer", "reviewer"], "password": "a long initial passphrase"},
                  form_url="/admin/users/new")  # fmt: skip
    created = db.exec(select(User).where(User.email == "adaeze@lagos.example")).one()
    client.submit(f"/admin/users/{target.id}",
                  {"name": target.name, "unit_id": str(target.unit_id),
                   "roles": ["prosecutor"], "active": "y"})  # fmt: skip
    client.submit(f"/admin/users/{target.id}/password",
                  {"password": "a new passphrase for you", **own_credentials(client, admin)},
                  form_url=f"/admin/users/{target.id}")  # fmt: skip
    client.submit(f"/admin/users/{target.id}/reset-two-factor", own_credentials(client, admin),
                  form_url=f"/admin/users/{target.id}")  # fmt: skip

    entries = account_entries(db, start)
    assert [(e.action, e.object_type, e.object_id) for e in entries] == [
        ("unit.create", "unit", str(lagos.id)),
        ("user.create", "user", str(created.id)),
        ("user.update", "user", str(target.id)),
        ("user.password_reset", "user", str(target.id)),
        ("user.two_factor_reset", "user", str(target.id)),
    ]
    assert {(e.user_id, e.client_addr) for e in entries} == {(admin.id, "127.0.0.1")}
    # each entry is filed under the unit it is about, for that unit's administrators
    assert [e.unit_id for e in entries] == [lagos.id, lagos.id] + [target.unit_id] * 3
    # Created without "active": inactive, and recorded so.
    assert entries[1].details == {"email": "adaeze@lagos.example",
                                  "roles": ["officer", "reviewer"], "unit": lagos.id,
                                  "active": False}  # fmt: skip
    assert entries[2].details == {"roles": ["prosecutor"], "unit": target.unit_id,
                                  "active": True}  # fmt: skip


def test_a_refused_change_writes_one_entry_that_says_why_and_changes_nothing(
    client_request: PageClient, login_as: LoginAs, db: Session
) -> None:
    admin = login_as(Role.admin)
    start = newest_seq(db)
    page = client_request.post(f"/admin/users/{admin.id}",
                               {"name": "Renamed", "roles": ["officer"]}, status=403)  # fmt: skip
    assert flashes(page) == [
        "You cannot change your own unit, roles or whether your account is active: another "
        "administrator does that."
    ]
    [entry] = account_entries(db, start)
    assert (entry.action, entry.outcome, entry.object_id, entry.user_id) == (
        "user.update", "denied", str(admin.id), admin.id
    )  # fmt: skip
    assert entry.reason == "own unit, roles or active state"
    assert entry.details == {"asked": ["roles"]}
    db.expire_all()
    found = db.get_one(User, admin.id)
    assert (found.name, found.roles) == (admin.name, frozenset({Role.admin}))
