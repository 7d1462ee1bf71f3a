"""Administrators manage units and users through the forms: a unit's administrator the
unit's users and settings, an installation administrator the units and every unit's
users (who may reach what is pinned in ``tests/test_access.py``)."""

from __future__ import annotations

from typing import Any, cast

from bs4 import BeautifulSoup
from flask import Flask
from sqlmodel import Session, select

from mlat.audit_actions import AuditAction
from mlat.models import AuditEntry, Role, Unit, User
from tests.conftest import (
    PASSWORD,
    Client,
    LoginAs,
    MakeUnit,
    MakeUser,
    PageClient,
    check_page,
    field_value,
    flashes,
    form_errors,
    rows,
    summary,
    text_of,
    texts,
)

NEW_PASSWORD = "a long initial passphrase"


def other_client(app: Flask) -> Client:
    """A second browser, for the user the administrator is managing."""
    return cast(Client, app.test_client())


def users(page: BeautifulSoup) -> dict[str, list[str]]:
    """The rows of the users table (name, e-mail address, unit, roles, status) by e-mail."""
    return {row[1]: row for row in rows(page, "main > table:nth-of-type(1)")}


def units(page: BeautifulSoup) -> dict[str, list[str]]:
    """The rows of the units table (name, prefix, state, time zone) by prefix."""
    return {row[1]: row for row in rows(page, "main > table:nth-of-type(2)")}


def errors(page: BeautifulSoup) -> list[str]:
    """The problems the page reports: the form's error summary and error messages."""
    return form_errors(page) + [m for m in flashes(page) if m not in form_errors(page)]


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


def test_installation_admin_creates_a_unit_then_a_user_who_can_log_in(
    app: Flask, client_request: PageClient, login_as: LoginAs, db: Session
) -> None:
    login_as(Role.installation_admin)
    page = client_request.post(
        "/admin/units/new",
        {
            "name": "Economic Crime Unit, Lagos",
            "code": "los",
            "state": "NG",
            "timezone": "Africa/Lagos",
            "separate_duties": "y",
        },
        follow_redirects=True,
    )
    assert flashes(page) == ["Unit Economic Crime Unit, Lagos created."]
    assert units(page)["LOS"] == [
        "Economic Crime Unit, Lagos", "LOS", "Nigeria", "Africa/Lagos", "Yes"
    ]  # fmt: skip
    lagos = db.exec(select(Unit).where(Unit.code == "LOS")).one()  # stored in capitals
    assert lagos.separate_duties

    page = client_request.post(
        "/admin/users/new",
        user_form(lagos.id, email="Adaeze@Lagos.example", roles=["officer", "reviewer"]),
        follow_redirects=True,
    )
    assert flashes(page) == ["User adaeze@lagos.example created."]
    assert users(page)["adaeze@lagos.example"] == [
        "New Officer",
        "adaeze@lagos.example",
        "Economic Crime Unit, Lagos",
        "officer, reviewer",
        "Active",
    ]

    browser = other_client(app)
    assert browser.login("adaeze@lagos.example", NEW_PASSWORD).status_code == 302
    assert browser.get("/").location == "/account/password"  # the admin chose it
    own = {"current": NEW_PASSWORD, "new": "her own choice 2026", "repeat": "her own choice 2026"}
    assert browser.submit("/account/password", own).status_code == 302
    home = check_page(browser.get("/"))
    assert text_of(home.h1) == "Requests of Economic Crime Unit, Lagos"
    assert browser.get("/requests/new").status_code == 200  # officer
    assert browser.get("/admin/users").status_code == 403  # not an admin


def test_an_admin_changes_whether_their_unit_keeps_duties_apart(
    client_request: PageClient, login_as: LoginAs, db: Session, make_user: MakeUser,
    make_unit: MakeUnit,
) -> None:  # fmt: skip
    admin = login_as(Role.admin)
    other = make_user(Role.admin, unit_=make_unit(name="Economic Crime Unit, Lagos", code="LOS"))
    page = client_request.get("/admin/users")
    [link] = [a for a in page.select("main table a") if str(a["href"]).startswith("/admin/units/")]
    assert link["href"] == f"/admin/units/{admin.unit_id}"  # their own unit only
    page = client_request.get(link["href"])
    assert text_of(page.select_one("title")) == f"Settings of {admin.unit.name} · mlat"
    box = page.select_one("#separate_duties")
    assert box is not None and box.has_attr("checked")  # on by default
    assert "Who approved a request, drafted it or changed it cannot sign it" in text_of(
        page.select_one("main form")
    )
    page = client_request.post(link["href"], {}, follow_redirects=True)  # unticked
    assert flashes(page) == [f"The settings of {admin.unit.name} are saved."]
    assert units(page)[admin.unit.code][-1] == "No"
    db.expire_all()
    assert not db.get_one(Unit, admin.unit_id).separate_duties
    entry = db.exec(select(AuditEntry).where(AuditEntry.action == AuditAction.unit_update)).one()
    assert (entry.user_id, entry.details) == (admin.id, {"separate_duties": [True, False]})
    # another unit's settings are not this administrator's to see or change
    assert client_request.client.get(f"/admin/units/{other.unit_id}").status_code == 404
    refused = client_request.client.submit(
        f"/admin/units/{other.unit_id}", {}, form_url="/admin/users"
    )
    assert refused.status_code == 404
    db.expire_all()
    assert db.get_one(Unit, other.unit_id).separate_duties  # unchanged


def test_unit_form_explains_mistakes(
    client_request: PageClient, login_as: LoginAs, unit: Unit
) -> None:
    login_as(Role.installation_admin)
    page = client_request.post(
        "/admin/units/new",
        {"name": "Unit in Nowhere", "code": "A1", "state": "XX", "timezone": "Mars/Olympus"},
    )
    assert text_of(page.select_one(".error-summary h2")) == "There is a problem"
    assert form_errors(page) == [
        "Use 2 to 8 letters.",
        "Choose a state from the list.",
        "Enter a time zone name such as Asia/Qatar or Europe/London.",
    ]
    assert field_value(page, "name") == "Unit in Nowhere"

    duplicate = client_request.post(
        "/admin/units/new",
        {"name": "Another name", "code": "doh", "state": "QA", "timezone": "Asia/Qatar"},
    )
    assert errors(duplicate) == ["A unit with this name or code already exists."]


def test_a_new_user_form_without_its_unit_asks_for_one(
    client_request: PageClient, login_as: LoginAs, db: Session
) -> None:
    """A form sent without its unit field (a tampered or truncated form) is answered
    with a message, the input kept, and nobody created."""
    login_as(Role.installation_admin)
    before = len(db.exec(select(User)).all())
    data = {k: v for k, v in user_form(None).items() if k != "unit_id"}
    page = client_request.post("/admin/users/new", data)
    assert form_errors(page) == ["Choose a unit."]
    assert field_value(page, "email") == "new.officer@example.org"
    assert len(db.exec(select(User)).all()) == before


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
    form = check_page(client.get(f"/admin/users/{target.id}"))
    checked = form.select('input[name="roles"][checked]')
    assert [box["value"] for box in checked] == ["officer"]
    page = check_page(
        client.submit(
            f"/admin/users/{target.id}",
            edit_form(target, roles=["reviewer", "prosecutor"]),
            follow_redirects=True,
        )
    )
    assert flashes(page) == [f"User {target.email} saved."]
    assert users(page)[target.email][3] == "prosecutor, reviewer"

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
    page = check_page(
        client.submit(
            f"/admin/users/{target.id}", edit_form(target, active=None), follow_redirects=True
        )
    )
    assert flashes(page) == [f"User {target.email} saved."]
    assert users(page)[target.email][4] == "Deactivated"

    assert browser.get("/").status_code == 302  # sent back to the login page
    refused = browser.login(target.email)
    assert refused.status_code == 200
    assert errors(check_page(refused)) == ["The e-mail address or password is not right."]


def test_reactivated_user_can_log_in_again(
    app: Flask,
    client_request: PageClient,
    login_as: LoginAs,
    make_user: MakeUser,
) -> None:
    target = make_user(Role.officer)
    login_as(Role.admin)
    client_request.post_redirect(f"/admin/users/{target.id}", edit_form(target, active=None))
    client_request.post_redirect(f"/admin/users/{target.id}", edit_form(target))
    assert users(client_request.get("/admin/users"))[target.email][4] == "Active"
    assert other_client(app).login(target.email).status_code == 302


def test_an_admins_own_page_shows_their_unit_and_roles_and_changes_only_their_name(
    client_request: PageClient, login_as: LoginAs
) -> None:
    """Changing one's own unit, roles or active state is refused (tests/test_access.py)."""
    admin = login_as(Role.officer, Role.admin)
    page = client_request.get(f"/admin/users/{admin.id}")
    form = page.select_one("main form")
    assert form is not None
    assert [str(f["name"]) for f in form.select("input, select") if f.get("type") != "hidden"] == [
        "name"
    ]
    assert summary(page, "dl.own-access") == {"Unit": admin.unit.name, "Roles": "admin, officer"}
    page = client_request.post(
        f"/admin/users/{admin.id}", {"name": "Renamed Admin"}, follow_redirects=True
    )
    assert flashes(page) == [f"User {admin.email} saved."]
    assert users(page)[admin.email] == [
        "Renamed Admin", admin.email, admin.unit.name, "admin, officer", "Active"
    ]  # fmt: skip


def test_a_unit_admin_is_offered_their_unit_and_the_roles_they_may_give(
    client_request: PageClient, login_as: LoginAs, make_unit: MakeUnit, make_user: MakeUser
) -> None:
    lagos = make_unit(name="Economic Crime Unit, Lagos", code="LOS", state="NG")
    stranger = make_user(Role.officer, unit_=lagos)
    admin = login_as(Role.admin)
    page = client_request.get("/admin/users")
    assert stranger.email not in users(page)
    assert list(units(page)) == [admin.unit.code]
    assert "New unit" not in texts(page, "main .page-head a")
    form = client_request.get("/admin/users/new")
    assert texts(form, "#unit_id option") == [admin.unit.name]
    assert [str(box["value"]) for box in form.select('input[name="roles"]')] == [
        "officer", "reviewer", "prosecutor", "admin"
    ]  # fmt: skip


def test_an_installation_admin_is_offered_every_unit_and_role(
    client_request: PageClient, login_as: LoginAs, make_unit: MakeUnit, make_user: MakeUser
) -> None:
    lagos = make_unit(name="Economic Crime Unit, Lagos", code="LOS", state="NG")
    stranger = make_user(Role.officer, unit_=lagos)
    admin = login_as(Role.installation_admin)
    page = client_request.get("/admin/users")
    assert users(page)[stranger.email][2] == lagos.name
    assert sorted(units(page)) == sorted([admin.unit.code, "LOS"])
    assert "New unit" in texts(page, "main .page-head a")
    form = client_request.get(f"/admin/users/{stranger.id}")
    assert texts(form, "#unit_id option") == sorted([admin.unit.name, lagos.name])
    assert [str(box["value"]) for box in form.select('input[name="roles"]')] == [
        "officer", "reviewer", "prosecutor", "admin", "install_admin"
    ]  # fmt: skip
    # and gives a Lagos officer the administration of Lagos
    page = client_request.post(
        f"/admin/users/{stranger.id}",
        edit_form(stranger, roles=["officer", "admin"]),
        follow_redirects=True,
    )
    assert users(page)[stranger.email][3] == "admin, officer"


def test_short_password_is_refused(
    client: Client, login_as: LoginAs, unit: Unit, db: Session
) -> None:
    login_as(Role.admin)
    response = client.submit("/admin/users/new", user_form(unit.id, password="short pass1"))
    assert response.status_code == 200
    page = check_page(response)
    assert any("Use at least 12 characters." in error for error in form_errors(page))
    assert field_value(page, "email") == "new.officer@example.org"  # kept what was typed
    assert field_value(page, "password") == ""  # but never echoes a password
    assert "short pass1" not in response.text
    assert db.exec(select(User).where(User.email == "new.officer@example.org")).first() is None


def test_duplicate_email_is_refused(
    app: Flask,
    client_request: PageClient,
    login_as: LoginAs,
    make_user: MakeUser,
    unit: Unit,
) -> None:
    existing = make_user(Role.officer)
    login_as(Role.admin)
    page = client_request.post(
        "/admin/users/new",
        user_form(unit.id, email=existing.email.upper(), password="a different passphrase"),
    )
    assert errors(page) == ["A user with this e-mail address already exists."]
    # the existing account is untouched: its own password still works
    assert other_client(app).login(existing.email, PASSWORD).status_code == 302
    assert other_client(app).login(existing.email, "a different passphrase").status_code == 200


def test_user_created_inactive_cannot_log_in(
    app: Flask, client_request: PageClient, login_as: LoginAs, unit: Unit
) -> None:
    login_as(Role.admin)
    client_request.post_redirect("/admin/users/new", user_form(unit.id, active=None))
    assert users(client_request.get("/admin/users"))["new.officer@example.org"][4] == "Deactivated"
    assert other_client(app).login("new.officer@example.org", NEW_PASSWORD).status_code == 200
