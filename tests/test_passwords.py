"""Users change their own password; an administrator's password must be replaced at the
next log-in; a change ends the user's other sessions and is audited and throttled."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlmodel import Session, select
from werkzeug.test import TestResponse

from mlat.models import AuditEntry, Role, User
from tests.admin_helpers import own_credentials
from tests.conftest import (
    PASSWORD,
    Client,
    LoginAs,
    MakeUser,
    check_page,
    flashes,
    form_errors,
    text_of,
    texts,
)

NEW_PASSWORD = "lantern orchard quietly 42"


def _change(client: Client, current: str, new: str, repeat: str | None = None) -> Any:
    return client.submit(
        "/account/password",
        {"current": current, "new": new, "repeat": new if repeat is None else repeat},
    )


def _actions(db: Session, user: User) -> list[tuple[str, str]]:
    rows = db.exec(select(AuditEntry).where(AuditEntry.object_id == str(user.id)).order_by("seq"))
    return [(e.action, e.outcome) for e in rows]


def _said(response: TestResponse) -> str:
    """What the page tells the user: its flash messages, form errors and heading."""
    page = check_page(response)
    return " ".join([*flashes(page), *form_errors(page), text_of(page.h1)])


def test_a_user_changes_their_password_and_their_other_sessions_end(
    app: Flask, client: Client, login_as: LoginAs, db: Session
) -> None:
    user = login_as(Role.officer)
    elsewhere: Client = app.test_client()  # type: ignore[assignment]
    assert elsewhere.login(user.email).status_code == 302

    response = _change(client, PASSWORD, NEW_PASSWORD)

    assert response.status_code == 302
    assert any(
        m.startswith("Your password is changed")
        for m in flashes(check_page(client.get(response.location)))
    )
    assert client.get("/rules/").status_code == 200  # this session goes on
    assert elsewhere.get("/rules/").status_code == 302  # the other one has ended
    assert ("user.password_change", "success") in _actions(db, user)
    fresh: Client = app.test_client()  # type: ignore[assignment]
    assert fresh.login(user.email, PASSWORD).status_code == 200  # the old one is refused
    assert fresh.login(user.email, NEW_PASSWORD).status_code == 302


def test_a_wrong_current_password_is_refused_and_counts_as_a_failed_login(
    app: Flask, client: Client, login_as: LoginAs, db: Session
) -> None:
    user = login_as(Role.officer)
    for _ in range(5):
        response = _change(client, "not my password at all", NEW_PASSWORD)
        assert response.status_code == 200
        assert "Your current password is not right." in form_errors(check_page(response))
    refused = _change(client, PASSWORD, NEW_PASSWORD)  # the right one, too late
    assert refused.status_code == 429
    assert "Too many failed attempts" in _said(refused)
    failures = db.exec(
        select(AuditEntry).where(AuditEntry.action == "login", AuditEntry.outcome == "failure")
    ).all()
    assert len(failures) == 5
    fresh: Client = app.test_client()  # type: ignore[assignment]
    assert fresh.login(user.email).status_code == 429  # the account is locked for a while


def test_a_new_password_must_be_acceptable_and_typed_twice(
    client: Client, login_as: LoginAs
) -> None:
    login_as(Role.officer)
    cases = {
        "short": ("short pass", None, "Use at least 12 characters."),
        "common": ("password1234", None, "one of the most commonly used"),
        "the same": (PASSWORD, None, "differs from the current one"),
        "mistyped": (NEW_PASSWORD, NEW_PASSWORD + "!", "The two new passwords differ"),
    }
    for new, repeat, message in cases.values():
        response = _change(client, PASSWORD, new, repeat)
        assert response.status_code == 200
        assert any(message in error for error in form_errors(check_page(response))), message
    assert _change(client, PASSWORD, NEW_PASSWORD).status_code == 302


def test_an_administrators_password_must_be_replaced_before_anything_else(
    app: Flask, client: Client, login_as: LoginAs, db: Session
) -> None:
    login_as(Role.admin)
    created = client.submit(
        "/admin/users/new",
        {
            "email": "new.officer@example.org",
            "name": "New Officer",
            "unit_id": "1",
            "roles": ["officer"],
            "active": "y",
            "password": "given by the admin 2026",
        },
    )
    assert created.status_code == 302, created.text
    officer: Client = app.test_client()  # type: ignore[assignment]
    login = officer.login("new.officer@example.org", "given by the admin 2026")
    assert login.status_code == 302

    page = officer.get("/requests/new")
    assert page.status_code == 302
    assert page.location == "/account/password"
    shown = check_page(officer.get(page.location))
    notice = " ".join(flashes(shown) + texts(shown, "main p"))
    assert "An administrator set your password" in notice
    assert "Choose your own password before you go on." in notice

    assert _change(officer, "given by the admin 2026", NEW_PASSWORD).status_code == 302
    assert officer.get("/requests/new").status_code == 200


def test_an_administrator_sets_a_forgotten_password_which_ends_the_users_sessions(
    app: Flask, client: Client, login_as: LoginAs, make_user: MakeUser,
    db: Session,
) -> None:  # fmt: skip
    forgetful = make_user(Role.officer)
    theirs: Client = app.test_client()  # type: ignore[assignment]
    assert theirs.login(forgetful.email).status_code == 302
    admin = login_as(Role.admin)
    url = f"/admin/users/{forgetful.id}/password"
    form_url = f"/admin/users/{forgetful.id}"

    too_short = client.submit(url, {"password": "short", "admin_password": PASSWORD},
                              form_url=form_url)  # fmt: skip
    assert too_short.status_code == 400
    page = check_page(too_short)
    assert any("Use at least 12 characters." in error for error in form_errors(page))
    # the page of that user, shown again
    assert text_of(page.h1) == f"Edit {forgetful.name}"
    assert forgetful.email in texts(page, "main form p")

    done = client.submit(
        url,
        {"password": "temporary secret 2026", **own_credentials(client, admin)},
        form_url=form_url,
    )
    assert done.status_code == 303
    assert any(
        "they must choose their own" in m for m in flashes(check_page(client.get(done.location)))
    )
    assert theirs.get("/rules/").status_code == 302  # their session has ended
    assert ("user.password_reset", "success") in _actions(db, forgetful)
    again: Client = app.test_client()  # type: ignore[assignment]
    assert again.login(forgetful.email, "temporary secret 2026").status_code == 302
    assert again.get("/rules/").location == "/account/password"


def test_only_administrators_set_other_users_passwords(
    client: Client, login_as: LoginAs, make_user: MakeUser
) -> None:
    other = make_user(Role.officer)
    login_as(Role.officer)
    response = client.post(f"/admin/users/{other.id}/password", data={"password": "x" * 20})
    assert response.status_code in (400, 403)  # the CSRF check or the role, never a change
    assert (
        client.submit(
            f"/admin/users/{other.id}/password", {"password": "x" * 20}, form_url="/rules/"
        ).status_code
        == 403
    )
