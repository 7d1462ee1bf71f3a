"""An administrator of one unit cannot take over another unit's accounts (security
finding M2): the Lagos administrator who moved into the Doha unit, set a Doha reviewer's
password, reset their two-factor authentication and enrolled an authenticator of their
own, now fails at every step; and no administrator resets anyone's password or
authenticator without proving, in the same form, that it is them."""

from __future__ import annotations

import re
from typing import cast

import pytest
from flask import Flask
from sqlmodel import Session, col, select

from mlat.audit_actions import AuditAction
from mlat.models import AuditEntry, MlaRequest, Role, Unit, User
from mlat.services.throttle import ADDRESS
from tests.admin_helpers import own_credentials
from tests.conftest import (
    PASSWORD,
    Client,
    LoginAs,
    MakeRequest,
    MakeUnit,
    MakeUser,
    check_page,
    form_errors,
)

HIJACKED = "chosen by the intruder 2026"


class Doha:
    """The Doha unit's reviewer, with their authenticator set up, and a request."""

    def __init__(self, app: Flask, unit: Unit, reviewer: User, request: MlaRequest) -> None:
        self.app, self.unit, self.reviewer, self.request = app, unit, reviewer, request
        self.browser = cast(Client, app.test_client())
        assert self.browser.login(reviewer.email).status_code == 302  # sets up their phone

    def secret(self, db: Session) -> str | None:
        db.expire_all()
        return db.get_one(User, self.reviewer.id).totp_sealed


@pytest.fixture
def doha(app: Flask, unit: Unit, make_user: MakeUser, make_request: MakeRequest) -> Doha:
    officer = make_user(Role.officer)
    request = make_request(officer, title="Ransomware at a Doha clinic")
    return Doha(app, unit, make_user(Role.reviewer), request)


@pytest.fixture
def lagos(make_unit: MakeUnit) -> Unit:
    return make_unit(name="Economic Crime Unit, Lagos", code="LOS", state="NG",
                     timezone="Africa/Lagos")  # fmt: skip


def refusals(db: Session, action: AuditAction) -> list[AuditEntry]:
    db.expire_all()
    return list(
        db.exec(
            select(AuditEntry).where(AuditEntry.action == action, AuditEntry.outcome == "denied")
        )
    )


def test_the_lagos_administrator_cannot_take_over_a_doha_account(
    app: Flask, client: Client, db: Session, login_as: LoginAs, doha: Doha, lagos: Unit
) -> None:
    intruder = login_as(Role.admin, unit_=lagos)
    reviewer = doha.reviewer
    secret = doha.secret(db)
    confirmed = own_credentials(client, intruder)

    # 1. Moving themselves into the Doha unit
    moved = client.submit(f"/admin/users/{intruder.id}",
                          {"name": intruder.name, "unit_id": str(doha.unit.id)})  # fmt: skip
    assert moved.status_code == 403
    db.expire_all()
    assert db.get_one(User, intruder.id).unit_id == lagos.id
    # 2. Setting the Doha reviewer's password, with their own password and code given
    reset = client.submit(f"/admin/users/{reviewer.id}/password",
                          {"password": HIJACKED, **confirmed}, form_url="/admin/users")  # fmt: skip
    assert reset.status_code == 404
    # 3. Resetting the reviewer's two-factor authentication
    cleared = client.submit(f"/admin/users/{reviewer.id}/reset-two-factor",
                            own_credentials(client, intruder), form_url="/admin/users")  # fmt: skip
    assert cleared.status_code == 404
    assert doha.secret(db) == secret
    # 4. Reading the Doha unit's requests
    assert client.get(f"/requests/{doha.request.id}").status_code == 404
    listed = client.get("/")  # the list of the unit's requests
    assert listed.status_code == 200 and doha.request.title not in listed.text
    # ...nor even seeing the reviewer in the lists
    assert client.get(f"/admin/users/{reviewer.id}").status_code == 404
    assert reviewer.email not in client.get("/admin/users").text
    # Every attempt is in the audit trail once: a refused change as that change, denied;
    # a page opened as an access refused.
    db.expire_all()
    denied = db.exec(
        select(AuditEntry.action, AuditEntry.object_id)
        .where(AuditEntry.user_id == intruder.id, AuditEntry.outcome == "denied")
        .order_by(AuditEntry.seq)  # type: ignore[arg-type]
    ).all()
    assert [tuple(row) for row in denied] == [
        ("user.update", str(intruder.id)),
        ("user.password_reset", str(reviewer.id)),
        ("user.two_factor_reset", str(reviewer.id)),
        ("access.refused", str(doha.request.id)),
        ("access.refused", str(reviewer.id)),
    ]

    # 5. So they cannot log in as the reviewer and enrol an authenticator of their own
    theirs = cast(Client, app.test_client())
    attempt = theirs.submit("/login", {"email": reviewer.email, "password": HIJACKED})
    assert attempt.status_code == 200  # the password is not the reviewer's
    login = theirs.submit("/login", {"email": reviewer.email, "password": PASSWORD})
    assert login.location == "/login/code"  # not /login/enrol: the reviewer's phone stands
    # and the reviewer's own session goes on
    assert doha.browser.get(f"/requests/{doha.request.id}").status_code == 200

    for action in (AuditAction.user_update, AuditAction.user_password_reset,
                   AuditAction.user_two_factor_reset):  # fmt: skip
        [entry] = refusals(db, action)
        assert entry.user_id == intruder.id
    assert {e.object_id for e in refusals(db, AuditAction.user_password_reset)} == {
        str(reviewer.id)
    }


def _reset_password(client: Client, target: User, **fields: str) -> tuple[int, list[str]]:
    response = client.submit(f"/admin/users/{target.id}/password",
                             {"password": HIJACKED, **fields}, form_url="/admin/users")  # fmt: skip
    page = check_page(response) if response.status_code != 303 else None
    return response.status_code, form_errors(page) if page is not None else []


def _password_works(app: Flask, user: User, password: str) -> bool:
    browser = cast(Client, app.test_client())
    response = browser.submit("/login", {"email": user.email, "password": password})
    return response.status_code == 302


def test_a_reset_needs_the_administrators_own_password_and_code(
    app: Flask, client: Client, db: Session, login_as: LoginAs, doha: Doha
) -> None:
    admin = login_as(Role.admin)
    reviewer = doha.reviewer
    code = own_credentials(client, admin)["admin_code"]
    cases = {
        "nothing": ({}, ["Enter your own password."]),
        "no code": ({"admin_password": PASSWORD}, ["Enter the code from your authenticator app."]),
        "wrong password": (
            {"admin_password": "not the admin's password", "admin_code": code},
            ["Your password is not right."],
        ),
        "wrong code": (
            {"admin_password": PASSWORD, "admin_code": "000000"},
            ["That code is not right, or it has been used already. Enter the next code."],
        ),
    }
    for fields, messages in cases.values():
        assert _reset_password(client, reviewer, **fields) == (400, messages)
    assert not _password_works(app, reviewer, HIJACKED)
    assert _password_works(app, reviewer, PASSWORD)
    # each wrong answer counts as a failed login of the administrator, and is recorded
    db.expire_all()
    failures = db.exec(
        select(AuditEntry.reason).where(
            AuditEntry.action == "login",
            AuditEntry.outcome == "failure",
            AuditEntry.object_id == admin.email,
        )
    ).all()
    assert sorted(failures) == [
        "password, to reset another user",
        "two-factor code, to reset another user",
    ]
    assert [e.reason for e in refusals(db, AuditAction.user_password_reset)] == [
        "re-authentication failed: the administrator's password",
        "re-authentication failed: the administrator's two-factor code",
    ]
    # the same for the authenticator
    response = client.submit(f"/admin/users/{reviewer.id}/reset-two-factor",
                             {"admin_password": "not the admin's password", "admin_code": code},
                             form_url="/admin/users")  # fmt: skip
    assert response.status_code == 400
    assert form_errors(check_page(response)) == ["Your password is not right."]
    assert doha.secret(db) is not None


def test_resets_are_throttled_like_logins(
    client: Client, db: Session, login_as: LoginAs, doha: Doha
) -> None:
    admin = login_as(Role.admin)
    for _ in range(ADDRESS.free):
        _reset_password(client, doha.reviewer, admin_password="guess", admin_code="123456")
    status, errors = _reset_password(client, doha.reviewer, **own_credentials(client, admin))
    assert status == 400 and len(errors) == 1
    assert re.fullmatch(r"Too many failed attempts\. Wait \d+ seconds and try again\.", errors[0])
    db.expire_all()
    assert db.get_one(User, doha.reviewer.id).password_must_change is False


def test_a_reset_with_the_administrators_password_and_code_is_done(
    app: Flask, client: Client, db: Session, login_as: LoginAs, doha: Doha
) -> None:
    admin = login_as(Role.admin)
    status, errors = _reset_password(client, doha.reviewer, **own_credentials(client, admin))
    assert (status, errors) == (303, [])
    assert _password_works(app, doha.reviewer, HIJACKED)
    assert doha.browser.get("/").status_code == 302  # the reviewer's session has ended
    reset = client.submit(f"/admin/users/{doha.reviewer.id}/reset-two-factor",
                          own_credentials(client, admin), form_url="/admin/users")  # fmt: skip
    assert reset.status_code == 303
    assert doha.secret(db) is None
    db.expire_all()
    done = db.exec(
        select(AuditEntry.action)
        .where(AuditEntry.object_id == str(doha.reviewer.id), AuditEntry.outcome == "success")
        .order_by(col(AuditEntry.seq))
    ).all()
    assert done[-2:] == ["user.password_reset", "user.two_factor_reset"]
