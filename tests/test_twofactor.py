"""Two-factor authentication: required for reviewers, prosecutors and admins, optional
for officers; a code works once; admins reset it for a lost phone."""

from __future__ import annotations

import base64
import io
import re
import time
from typing import Any

import pyotp
import pytest
import zxingcpp
from bs4 import BeautifulSoup
from PIL import Image
from sqlmodel import Session, select

import mlat.views.auth
from mlat.models import AuditEntry, Role, User
from mlat.services import twofactor
from tests.admin_helpers import own_credentials
from tests.conftest import (
    Client,
    LoginAs,
    MakeUser,
    check_page,
    flashes,
    form_errors,
    text_of,
    texts,
)


def _secret_from(page: str) -> str:
    match = re.search(r'id="totp-secret">([A-Z2-7]+)<', page)
    assert match, page
    return match.group(1)


def scanned(page: BeautifulSoup) -> str:
    """What an authenticator app reads from the page's QR code (a data URI, which the
    content security policy allows)."""
    image = page.select_one("img.qr")
    assert image is not None
    header, data = str(image["src"]).split(",", 1)
    assert header == "data:image/png;base64"
    image_read = Image.open(io.BytesIO(base64.b64decode(data)))
    # Only QR codes: a reader looking for every format now and then also finds a spurious
    # linear barcode in the modules' pattern.
    (text,) = {
        str(code.text)
        for code in zxingcpp.read_barcodes(
            image_read, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
        )
    }
    return text


def _problems(response: Any) -> str:
    """What the code page says went wrong: its error summary and flash messages."""
    page = check_page(response)
    return " ".join(form_errors(page) + flashes(page))


def _password_step(client: Client, user: User) -> Any:
    return client.submit(
        "/login", {"email": user.email, "password": "correct horse battery staple"}
    )


@pytest.mark.parametrize("role", [Role.reviewer, Role.prosecutor, Role.admin])
def test_first_login_of_a_reviewer_prosecutor_or_admin_sets_up_an_authenticator(
    client: Client, make_user: MakeUser, db: Session, role: Role
) -> None:
    user = make_user(role)
    response = _password_step(client, user)
    assert response.location == "/login/enrol"
    page = client.get("/login/enrol")
    enrol = check_page(page)
    assert text_of(enrol.h1) == "Set up two-factor authentication"
    assert scanned(enrol) == pyotp.TOTP(_secret_from(page.text)).provisioning_uri(
        name=user.email, issuer_name="mlat"
    )
    assert client.get("/").status_code == 302  # not logged in yet

    wrong = client.submit("/login/enrol", {"code": "000000"})
    assert "That code is not right" in _problems(wrong)
    assert client.get("/").status_code == 302

    secret = _secret_from(page.text)
    done = client.submit("/login/enrol", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200  # logged in; the recovery codes are shown, once
    assert len(check_page(done).select("#recovery-codes code")) == 10
    assert done.headers["Cache-Control"] == "no-store"
    assert client.get("/dashboard").status_code == 200
    db.expire_all()
    assert twofactor.secret_of(session=db, user=db.get_one(User, user.id)) == secret


def test_officers_log_in_with_a_password_alone(client: Client, make_user: MakeUser) -> None:
    officer = make_user(Role.officer)
    assert _password_step(client, officer).location == "/"


def _enrolled(client: Client, make_user: MakeUser, *roles: Role) -> tuple[User, str]:
    user = make_user(*roles)
    _password_step(client, user)
    secret = _secret_from(client.get("/login/enrol").text)
    step = int(time.time()) // 30
    client.submit("/login/enrol", {"code": pyotp.TOTP(secret).at((step - 1) * 30)})
    client.submit("/logout", {}, form_url="/dashboard")
    return user, secret


def test_a_code_is_accepted_once_only(client: Client, make_user: MakeUser) -> None:
    user, secret = _enrolled(client, make_user, Role.reviewer)
    code = pyotp.TOTP(secret).now()
    assert _password_step(client, user).location == "/login/code"
    assert client.submit("/login/code", {"code": code}).status_code == 302
    assert client.get("/dashboard").status_code == 200
    client.submit("/logout", {}, form_url="/dashboard")

    assert _password_step(client, user).location == "/login/code"
    replay = client.submit("/login/code", {"code": code})
    assert "has been used already" in _problems(replay)
    assert client.get("/dashboard").status_code == 302


def test_the_second_step_does_not_wait_forever(
    client: Client, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    user, secret = _enrolled(client, make_user, Role.prosecutor)
    _password_step(client, user)
    form = client.get("/login/code").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    assert token
    later = time.time() + 301  # five minutes and a second after the password
    monkeypatch.setattr(mlat.views.auth, "utcnow", lambda: _at(later))
    response = client.post(
        "/login/code", data={"csrf_token": token.group(1), "code": pyotp.TOTP(secret).now()}
    )
    assert response.location == "/login"
    assert client.get("/dashboard").status_code == 302


def _at(timestamp: float) -> Any:
    import datetime as dt

    return dt.datetime.fromtimestamp(timestamp, dt.UTC)


def test_wrong_codes_are_throttled_like_passwords(
    client: Client, make_user: MakeUser, db: Session
) -> None:
    user, secret = _enrolled(client, make_user, Role.reviewer)
    _password_step(client, user)
    for _ in range(5):
        assert "That code is not right" in _problems(
            client.submit("/login/code", {"code": "123456"})
        )
    refused = client.submit("/login/code", {"code": pyotp.TOTP(secret).now()})
    assert refused.status_code == 429
    outcomes = [
        e.outcome
        for e in db.exec(select(AuditEntry).where(AuditEntry.action == "login").order_by("seq"))
    ]
    assert outcomes[-6:] == ["failure"] * 5 + ["denied"]


def test_an_officer_may_turn_it_on(client: Client, login_as: LoginAs, db: Session) -> None:
    officer = login_as(Role.officer)
    page = client.get("/account/two-factor")
    assert any(b.startswith("Turn on") for b in texts(check_page(page), "main button"))
    secret = _secret_from(page.text)
    assert scanned(check_page(page)).startswith("otpauth://totp/")
    assert f"secret={secret}" in scanned(check_page(page))
    client.submit("/account/two-factor", {"code": pyotp.TOTP(secret).now()}, form_url=None)
    db.expire_all()
    assert twofactor.secret_of(session=db, user=db.get_one(User, officer.id)) == secret
    client.submit("/logout", {}, form_url="/dashboard")
    assert _password_step(client, officer).location == "/login/code"


def test_admin_resets_a_lost_authenticator(
    client: Client, app: Any, make_user: MakeUser, db: Session
) -> None:
    lost, _secret = _enrolled(client, make_user, Role.reviewer)
    admin = make_user(Role.admin)
    assert client.login(admin.email).status_code == 302
    page = client.get(f"/admin/users/{lost.id}")
    assert "Reset two-factor authentication (lost phone)" in texts(check_page(page), "main button")
    reset = client.submit(
        f"/admin/users/{lost.id}/reset-two-factor",
        own_credentials(client, admin),
        form_url=f"/admin/users/{lost.id}",
    )
    assert reset.status_code == 303
    db.expire_all()
    assert not db.get_one(User, lost.id).has_authenticator
    actions = db.exec(select(AuditEntry.action).where(AuditEntry.object_id == str(lost.id)))
    assert "user.two_factor_reset" in list(actions)

    other = app.test_client()
    assert _password_step(other, lost).location == "/login/enrol"  # sets up a new one


def test_wrong_codes_while_setting_up_are_throttled_like_logins(
    client: Client, make_user: MakeUser, login_as: LoginAs, db: Session
) -> None:
    """Guessing at the set-up step is guessing as anywhere else: each code takes a slot
    from the login throttle, at first login and on the account page alike."""
    user = make_user(Role.prosecutor)
    _password_step(client, user)
    secret = _secret_from(client.get("/login/enrol").text)
    for _ in range(5):
        assert "That code is not right" in _problems(
            client.submit("/login/enrol", {"code": "000000"})
        )
    refused = client.submit("/login/enrol", {"code": pyotp.TOTP(secret).now()})
    assert refused.status_code == 429 and "Too many failed attempts" in _problems(refused)
    db.expire_all()
    assert not db.get_one(User, user.id).has_authenticator
    failures = select(AuditEntry.reason).where(
        AuditEntry.action == "login", AuditEntry.outcome == "failure"
    )
    reasons = db.exec(failures).all()
    assert reasons == ["two-factor code, to set it up"] * 5
