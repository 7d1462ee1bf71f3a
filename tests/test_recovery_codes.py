"""Recovery codes: ten one-time codes, shown once when an authenticator is set up, that
log a user in without their phone; only their digests are kept."""

from __future__ import annotations

import hashlib

import pyotp
from sqlmodel import Session, select

from mlat.models import AuditEntry, RecoveryCode, Role, User
from mlat.services import recovery
from tests.conftest import (
    PASSWORD,
    Client,
    LoginAs,
    check_page,
    flashes,
    form_errors,
)
from tests.totp import Authenticator


def _phone(client: Client) -> Authenticator:
    phone: Authenticator = client.application.extensions["test_authenticator"]
    return phone


def _password_step(client: Client, user: User) -> None:
    response = client.submit("/login", {"email": user.email, "password": PASSWORD})
    assert response.location == "/login/code"


def _enrolled(client: Client, login_as: LoginAs) -> tuple[User, list[str]]:
    user = login_as(Role.reviewer)  # sets up an authenticator, and is shown the codes
    codes = _phone(client).recovery[user.email]
    client.submit("/logout", {}, form_url="/dashboard")
    return user, codes


def test_the_codes_shown_at_set_up_are_kept_only_as_digests(
    client: Client, login_as: LoginAs, db: Session
) -> None:
    user, codes = _enrolled(client, login_as)
    assert len(set(codes)) == 10 and all(len(c) == 29 for c in codes)  # 25 letters, 4 hyphens
    stored = db.exec(select(RecoveryCode).where(RecoveryCode.user_id == user.id)).all()
    digests = {hashlib.sha256(c.replace("-", "").encode()).hexdigest() for c in codes}
    assert {r.code_hash for r in stored} == digests


def test_a_recovery_code_logs_in_once_however_it_is_typed(
    client: Client, login_as: LoginAs, db: Session
) -> None:
    user, codes = _enrolled(client, login_as)
    _password_step(client, user)
    typed = " ".join(codes[3].lower().split("-"))  # lower case, spaces for hyphens
    response = client.submit("/login/code", {"code": typed})
    assert response.status_code == 302
    page = check_page(client.get(response.location))
    assert any("recovery code; 9 are left" in m for m in flashes(page))
    client.submit("/logout", {}, form_url="/dashboard")
    _password_step(client, user)
    again = client.submit("/login/code", {"code": codes[3]})
    assert again.status_code == 200
    assert "That recovery code is not right, or it has been used." in form_errors(check_page(again))
    assert client.get("/dashboard").status_code == 302
    db.expire_all()
    [login] = db.exec(
        select(AuditEntry)
        .where(AuditEntry.action == "login", AuditEntry.outcome == "success")
        .order_by(AuditEntry.seq.desc())  # type: ignore[attr-defined]
    ).all()[:1]
    assert login.details == {"second_factor": "recovery code"}


def test_wrong_recovery_codes_count_as_failed_logins(client: Client, login_as: LoginAs) -> None:
    user, codes = _enrolled(client, login_as)
    _password_step(client, user)
    for n in range(5):
        guess = "ABCDE-FGHIJ-KLMNO-PQRST-UVWX" + "234567"[n]
        assert client.submit("/login/code", {"code": guess}).status_code == 200
    assert client.submit("/login/code", {"code": codes[0]}).status_code == 429


def test_a_new_set_needs_the_password_and_a_code_and_replaces_the_old(
    client: Client, login_as: LoginAs, db: Session
) -> None:
    user = login_as(Role.prosecutor)
    phone = _phone(client)
    old = phone.recovery[user.email]
    page = check_page(client.get("/account/recovery-codes"))
    assert "You have 10 unused recovery codes." in page.text
    wrong = client.submit(
        "/account/recovery-codes", {"password": "not my password", "code": phone.code(user.email)}
    )
    assert "Your password is not right." in form_errors(check_page(wrong))
    assert recovery.remaining(session=db, user=user) == 10
    made = client.submit("/account/recovery-codes",
                         {"password": PASSWORD, "code": phone.code(user.email)})  # fmt: skip
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    new = [c.text for c in check_page(made).select("#recovery-codes code")]
    assert len(new) == 10 and not set(new) & set(old)
    client.submit("/logout", {}, form_url="/dashboard")
    _password_step(client, user)
    assert client.submit("/login/code", {"code": old[0]}).status_code == 200  # gone
    assert client.submit("/login/code", {"code": new[0]}).status_code == 302


def test_resetting_two_factor_removes_the_codes(
    client: Client, login_as: LoginAs, db: Session
) -> None:
    from mlat.services import twofactor

    user, _codes = _enrolled(client, login_as)
    twofactor.reset(session=db, user=db.get_one(User, user.id))
    db.commit()
    assert recovery.remaining(session=db, user=user) == 0


def test_without_two_factor_there_are_no_recovery_codes(client: Client, login_as: LoginAs) -> None:
    login_as(Role.officer)
    response = client.get("/account/recovery-codes")
    assert response.location == "/account/two-factor"


def test_an_officer_turning_two_factor_on_is_shown_the_codes(
    client: Client, login_as: LoginAs, db: Session
) -> None:
    user = login_as(Role.officer)
    secret = check_page(client.get("/account/two-factor")).select_one("#totp-secret")
    assert secret is not None
    done = client.submit("/account/two-factor", {"code": pyotp.TOTP(secret.text).now()})
    assert done.status_code == 200
    assert len(check_page(done).select("#recovery-codes code")) == 10
    assert recovery.remaining(session=db, user=user) == 10
