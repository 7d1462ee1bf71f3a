"""The `flask --app app ...` commands an operator runs: init-db, seed-demo, create-user,
grant-role."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import create_engine
from sqlmodel import Session, select

from mlat.migrate import upgrade, upgrade_report
from mlat.models import AuditEntry, Role, Unit, User
from tests.conftest import Client, MakeUser, PageClient, rows, texts
from tests.flask_cli import flask

LOGIN_LINE = re.compile(r"^\s+(\S+@\S+)\s+(\S+)\s+\((.+)\)$", re.MULTILINE)


@pytest.fixture
def instance(app: Flask) -> Path:
    """The instance folder, as `make run` leaves it (it holds the generated secret key)."""
    path: Path = app.config["MLAT"].instance_path
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_init_db_can_run_twice(runner: FlaskCliRunner) -> None:
    for _ in range(2):
        result = flask(runner, "init-db")
        assert result.exit_code == 0, result.output
        assert "Database is up to date (revision " in result.output


def test_init_db_says_it_created_the_schema_of_a_new_database(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    before, after = upgrade(engine)
    assert before is None and after is not None
    assert upgrade_report(before, after) == f"Created the database schema (revision {after})."
    assert upgrade_report(*upgrade(engine)) == f"Database is up to date (revision {after})."
    engine.dispose()


def test_seed_demo_prints_logins_once(
    runner: FlaskCliRunner,
    instance: Path,
    client: Client,
    client_request: PageClient,
    db: Session,
) -> None:
    first = flask(runner, "seed-demo")
    assert first.exit_code == 0, first.output
    assert "Demo users (also saved in" in first.output
    logins = LOGIN_LINE.findall(first.output)
    emails = [email for email, _password, _roles in logins]
    assert emails == [
        "officer@doha.example",
        "reviewer@doha.example",
        "prosecutor@doha.example",
        "admin@doha.example",
        "installation.admin@doha.example",
        "officer@lagos.example",
        "admin@lagos.example",
    ]
    assert all(len(password) >= 12 for _email, password, _roles in logins)
    roles = {email: role for email, _password, role in logins}
    assert (roles["admin@doha.example"], roles["admin@lagos.example"]) == ("admin", "admin")
    assert roles["installation.admin@doha.example"] == "install_admin"

    credentials = instance / "demo-credentials.txt"
    assert credentials.exists()
    saved = credentials.read_text()
    for email, password, _roles in logins:
        assert f"{email}  {password}" in saved
    assert stat.S_IMODE(credentials.stat().st_mode) & 0o077 == 0  # not readable by others

    second = flask(runner, "seed-demo")
    assert second.exit_code == 0, second.output
    assert "Demo data is already loaded." in second.output
    assert "@doha.example" not in second.output
    assert credentials.read_text() == saved  # the first logins are kept
    assert len(db.exec(select(Unit)).all()) == 2  # nothing loaded twice

    email, password, _roles = logins[0]
    assert client.login(email, password).status_code == 302
    home = client_request.get("/")
    titles = [row[1] for row in rows(home)]
    assert "Mariam Al-Kuwari" in texts(home, "header .who span")[0]
    assert "Business e-mail compromise of Qatari importer" in titles
    assert "Romance fraud" not in str(home)  # the Lagos unit's request


def test_seed_demo_without_an_instance_folder_still_gives_the_logins(
    runner: FlaskCliRunner, app: Flask
) -> None:
    assert not app.config["MLAT"].instance_path.exists()  # e.g. MLAT_SECRET_KEY + PostgreSQL
    result = flask(runner, "seed-demo")
    logins = LOGIN_LINE.findall(result.output) or LOGIN_LINE.findall(
        flask(runner, "seed-demo").output
    )
    assert len(logins) == 7


def test_create_user_creates_the_first_admin_and_their_unit(
    runner: FlaskCliRunner, client: Client, client_request: PageClient, db: Session
) -> None:
    result = flask(
        runner,
        "create-user",
        "--email",
        "First.Admin@Example.org",
        "--name",
        "First Admin",
        "--unit-code",
        "doh",
        "--unit-name",
        "Cybercrime Unit, Doha",
        "--unit-state",
        "qa",
        "--unit-timezone",
        "Asia/Qatar",
        "--password",
        "a long admin passphrase",
    )
    assert result.exit_code == 0, result.output
    assert "Created first.admin@example.org (admin) in Cybercrime Unit, Doha." in result.output

    unit = db.exec(select(Unit).where(Unit.code == "DOH")).one()
    assert (unit.state, unit.timezone) == ("QA", "Asia/Qatar")
    user = db.exec(select(User).where(User.email == "first.admin@example.org")).one()
    assert user.roles == {Role.admin}

    assert client.login("first.admin@example.org", "a long admin passphrase").status_code == 302
    users = client_request.get("/admin/users")
    assert any("first.admin@example.org" in row for row in map(" ".join, rows(users)))
    # an administrator of the one unit, who can create no other
    assert "Nobody is an installation administrator yet" in result.output
    assert client.get("/admin/units/new").status_code == 403


def test_the_first_installation_admin_is_created_on_the_command_line(
    runner: FlaskCliRunner, client: Client, db: Session
) -> None:
    result = flask(
        runner, "create-user", "--email=chief@example.org", "--name=Chief", "--role=admin",
        "--role=install_admin", "--unit-code=DOH", "--unit-name=Cybercrime Unit, Doha",
        "--unit-state=QA", "--password=a long chief passphrase",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "Created chief@example.org (admin, install_admin)" in result.output
    assert "Nobody is an installation administrator" not in result.output
    assert client.login("chief@example.org", "a long chief passphrase").status_code == 302
    assert client.get("/admin/units/new").status_code == 200


def test_grant_role_makes_an_existing_admin_the_installation_admin(
    runner: FlaskCliRunner, client: Client, db: Session, make_user: MakeUser
) -> None:
    """An installation upgraded from when every administrator managed every unit."""
    admin = make_user(Role.admin)
    result = flask(runner, "grant-role", admin.email.upper(), "install_admin")
    assert result.exit_code == 0, result.output
    assert f"{admin.email} now holds the role install_admin." in result.output
    db.expire_all()
    assert db.get_one(User, admin.id).roles == {Role.admin, Role.installation_admin}
    entry = db.exec(select(AuditEntry).where(AuditEntry.object_id == str(admin.id))).all()[-1]
    assert (entry.action, entry.user_id, entry.details["roles"]) == (
        "user.update", None, ["admin", "install_admin"]
    )  # fmt: skip
    again = flask(runner, "grant-role", admin.email, "install_admin")
    assert "already holds the role install_admin" in again.output
    unknown = flask(runner, "grant-role", "nobody@example.org", "install_admin")
    assert unknown.exit_code != 0
    assert "No user has this e-mail address." in unknown.output
    assert client.login(admin.email).status_code == 302
    assert client.get("/admin/units/new").status_code == 200


def test_create_user_in_an_existing_unit_with_several_roles(
    runner: FlaskCliRunner, db: Session, unit: Unit
) -> None:
    result = flask(
        runner,
        "create-user",
        "--email=officer@example.org",
        "--name=Officer",
        "--unit-code=DOH",
        "--role=officer",
        "--role=reviewer",
        "--password=a long officer passphrase",
    )
    assert result.exit_code == 0, result.output
    user = db.exec(select(User).where(User.email == "officer@example.org")).one()
    assert user.roles == {Role.officer, Role.reviewer}
    assert user.unit_id == unit.id


def test_create_user_refuses_a_short_password(runner: FlaskCliRunner, db: Session) -> None:
    args = [
        "create-user",
        "--email=admin@example.org",
        "--name=Admin",
        "--unit-code=DOH",
        "--unit-name=Cybercrime Unit, Doha",
        "--unit-state=QA",
    ]
    result = flask(runner, *args, "--password=short")
    assert result.exit_code != 0
    assert "The password must have at least 12 characters." in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    db.expire_all()
    assert db.exec(select(User)).all() == []
    assert db.exec(select(Unit)).all() == []  # the unit is not half-created

    retry = flask(runner, *args, "--password=a long enough passphrase")
    assert retry.exit_code == 0, retry.output


def test_create_user_without_unit_details_says_what_is_missing(runner: FlaskCliRunner) -> None:
    result = flask(
        runner,
        "create-user",
        "--email=admin@example.org",
        "--name=Admin",
        "--unit-code=NEW",
        "--password=a long enough passphrase",
    )
    assert result.exit_code != 0
    assert "No unit NEW: give --unit-name and --unit-state to create it." in result.output
    assert "Traceback" not in result.output


def test_create_user_refuses_a_duplicate_email(runner: FlaskCliRunner, make_user: MakeUser) -> None:
    existing = make_user(Role.officer)
    result = flask(
        runner,
        "create-user",
        f"--email={existing.email}",
        "--name=Someone Else",
        "--unit-code=DOH",
        "--password=a long enough passphrase",
    )
    assert result.exit_code != 0
    assert "A user with this e-mail address already exists." in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("option", "word"),
    [("--unit-timezone=Asia/Doha", "time zone"), ("--unit-state=XX", "state")],
)
def test_create_user_refuses_an_unknown_time_zone_or_state(
    runner: FlaskCliRunner, db: Session, option: str, word: str
) -> None:
    args = {
        "--unit-timezone": "--unit-timezone=Asia/Qatar",
        "--unit-state": "--unit-state=QA",
    }
    args[option.split("=")[0]] = option
    result = flask(
        runner,
        "create-user",
        "--email=admin@example.org",
        "--name=Admin",
        "--unit-code=DOH",
        "--unit-name=Cybercrime Unit, Doha",
        *args.values(),
        "--password=a long enough passphrase",
    )
    assert result.exit_code != 0
    assert word in result.output.lower()
    assert "Traceback" not in result.output
    db.expire_all()
    assert db.exec(select(Unit)).all() == []


def test_make_run_serves_on_the_port_given() -> None:
    import subprocess

    root = Path(__file__).resolve().parent.parent
    planned = subprocess.run(
        ["make", "-n", "run", "PORT=5101"], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    assert "flask run --host 127.0.0.1 --port 5101" in planned
    default = subprocess.run(
        ["make", "-n", "run"], cwd=root, capture_output=True, text=True, check=True
    ).stdout
    assert "--port 5000" in default
