"""Administrators manage units and users through the forms."""

from __future__ import annotations

from typing import Any, cast

from flask import Flask
from sqlmodel import Session, select

from mlat.models import Role, Unit, User
from tests.conftest import PASSWORD, Client, LoginAs, MakeUser

NEW_PASSWORD = "a long initial passphrase"
SELF_MESSAGE = "You cannot remove your own admin role or deactivate yourself."


def other_client(app: Flask) -> Client:
    """A second browser, for the user the administrator is managing."""
    return cast(Client, app.test_client())


def user_form(unit_id: int | None, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "email": "new.officer@example.org",
        "name": "New Officer",
        "unit_id": str(unit_id),
        "roles": ["officer"],
        "active": "y",
        "password": NEW_PASSWORD,
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def edit_form(user: User, **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": user.name,
        "unit_id": str(user.unit_id),
        "roles": sorted(r.value for r in user.roles),
        "active": "y",
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def test_admin_creates_a_unit_then_a_user_who_can_log_in(
    app: Flask, client: Client, login_as: LoginAs, db: Session
) -> None:
    login_as(Role.admin)
    response = client.submit(
        "/admin/units/new",
        {
            "name": "Economic Crime Unit, Lagos",
            "code": "los",
            "state": "NG",
            "timezone": "Africa/Lagos",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Unit Economic Crime Unit, Lagos created." in response.text
    assert "Africa/Lagos" in response.text
    lagos = db.exec(select(Unit).where(Unit.code == "LOS")).one()  # stored in capitals

    response = client.submit(
        "/admin/users/new",
        user_form(lagos.id, email="Adaeze@Lagos.example", roles=["officer", "reviewer"]),
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "User adaeze@lagos.example created." in response.text
    assert "officer, reviewer" in response.text

    browser = other_client(app)
    assert browser.login("adaeze@lagos.example", NEW_PASSWORD).status_code == 302
    assert browser.get("/").location == "/account/password"  # the admin chose it
    own = {"current": NEW_PASSWORD, "new": "her own choice 2026", "repeat": "her own choice 2026"}
    assert browser.submit("/account/password", own).status_code == 302
    home = browser.get("/")
    assert "Requests of Economic Crime Unit, Lagos" in home.text
    assert browser.get("/requests/new").status_code == 200  # officer
    assert browser.get("/admin/users").status_code == 403  # not an admin


def test_unit_form_explains_mistakes(client: Client, login_as: LoginAs, unit: Unit) -> None:
    login_as(Role.admin)
    response = client.submit(
        "/admin/units/new",
        {"name": "Unit in Nowhere", "code": "A1", "state": "XX", "timezone": "Mars/Olympus"},
    )
    assert response.status_code == 200
    assert "There is a problem" in response.text
    assert "Use 2 to 8 letters." in response.text
    assert "Choose a state from the list." in response.text
    assert "Enter a time zone name such as Asia/Qatar or Europe/London." in response.text
    assert 'value="Unit in Nowhere"' in response.text

    duplicate = client.submit(
        "/admin/units/new",
        {"name": "Another name", "code": "doh", "state": "QA", "timezone": "Asia/Qatar"},
    )
    assert "A unit with this name or code already exists." in duplicate.text


def test_admin_changes_a_users_roles(
    app: Flask,
    client: Client,
    login_as: LoginAs,
    make_user: MakeUser,
) -> None:
    target = make_user(Role.officer)
    browser = other_client(app)
    browser.login(target.email)
    assert browser.get("/requests/new").status_code == 200

    login_as(Role.admin)
    form = client.get(f"/admin/users/{target.id}")
    assert '<input checked id="roles-0" name="roles" type="checkbox" value="officer">' in form.text
    response = client.submit(
        f"/admin/users/{target.id}",
        edit_form(target, roles=["reviewer", "prosecutor"]),
        follow_redirects=True,
    )
    assert f"User {target.email} saved." in response.text
    assert "prosecutor, reviewer" in response.text

    # the change applies to the user's open session at once
    assert browser.get("/requests/new").status_code == 403


def test_deactivating_a_user_ends_their_session_and_blocks_login(
    app: Flask,
    client: Client,
    login_as: LoginAs,
    make_user: MakeUser,
) -> None:
    target = make_user(Role.officer)
    browser = other_client(app)
    browser.login(target.email)
    assert browser.get("/").status_code == 200

    login_as(Role.admin)
    response = client.submit(
        f"/admin/users/{target.id}", edit_form(target, active=None), follow_redirects=True
    )
    assert f"User {target.email} saved." in response.text
    assert "Deactivated" in response.text

    assert browser.get("/").status_code == 302  # sent back to the login page
    refused = browser.login(target.email)
    assert refused.status_code == 200
    assert "The e-mail address or password is not right." in refused.text


def test_reactivated_user_can_log_in_again(
    app: Flask,
    client: Client,
    login_as: LoginAs,
    make_user: MakeUser,
) -> None:
    target = make_user(Role.officer)
    login_as(Role.admin)
    client.submit(f"/admin/users/{target.id}", edit_form(target, active=None))
    client.submit(f"/admin/users/{target.id}", edit_form(target))
    assert other_client(app).login(target.email).status_code == 302


def test_admin_cannot_deactivate_themselves(client: Client, login_as: LoginAs) -> None:
    admin = login_as(Role.admin)
    response = client.submit(f"/admin/users/{admin.id}", edit_form(admin, active=None))
    assert response.status_code == 200
    assert SELF_MESSAGE in response.text
    assert client.get("/admin/users").status_code == 200  # still logged in, still admin
    assert "Deactivated" not in client.get("/admin/users").text


def test_admin_cannot_drop_their_own_admin_role(client: Client, login_as: LoginAs) -> None:
    admin = login_as(Role.officer, Role.admin)
    response = client.submit(f"/admin/users/{admin.id}", edit_form(admin, roles=["officer"]))
    assert response.status_code == 200
    assert SELF_MESSAGE in response.text
    assert client.get("/admin/users").status_code == 200


def test_admin_may_rename_themselves(client: Client, login_as: LoginAs) -> None:
    admin = login_as(Role.admin)
    response = client.submit(
        f"/admin/users/{admin.id}", edit_form(admin, name="Renamed Admin"), follow_redirects=True
    )
    assert "Renamed Admin" in response.text
    assert SELF_MESSAGE not in response.text


def test_short_password_is_refused(
    client: Client, login_as: LoginAs, unit: Unit, db: Session
) -> None:
    login_as(Role.admin)
    response = client.submit("/admin/users/new", user_form(unit.id, password="short pass1"))
    assert response.status_code == 200
    assert "Use at least 12 characters." in response.text
    assert 'value="new.officer@example.org"' in response.text  # kept what was typed
    assert 'value="short pass1"' not in response.text  # but never echoes a password
    assert db.exec(select(User).where(User.email == "new.officer@example.org")).first() is None


def test_duplicate_email_is_refused(
    app: Flask,
    client: Client,
    login_as: LoginAs,
    make_user: MakeUser,
    unit: Unit,
) -> None:
    existing = make_user(Role.officer)
    login_as(Role.admin)
    response = client.submit(
        "/admin/users/new",
        user_form(unit.id, email=existing.email.upper(), password="a different passphrase"),
    )
    assert response.status_code == 200
    assert "A user with this e-mail address already exists." in response.text
    # the existing account is untouched: its own password still works
    assert other_client(app).login(existing.email, PASSWORD).status_code == 302
    assert other_client(app).login(existing.email, "a different passphrase").status_code == 200


def test_user_created_inactive_cannot_log_in(
    app: Flask, client: Client, login_as: LoginAs, unit: Unit
) -> None:
    login_as(Role.admin)
    response = client.submit("/admin/users/new", user_form(unit.id, active=None))
    assert response.status_code == 302
    assert "Deactivated" in client.get("/admin/users").text
    assert other_client(app).login("new.officer@example.org", NEW_PASSWORD).status_code == 200
