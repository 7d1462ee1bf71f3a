"""Sessions end when idle or old; logins are throttled per address, account and known
device;
common passwords are refused."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from typing import Any

import pytest
from sqlmodel import Session, select

import mlat.auth
import mlat.services.audit
import mlat.views.attempts
import mlat.views.auth
from mlat import create_app
from mlat.config import config_from_env
from mlat.models import AuditEntry, LoginSession, Role
from mlat.services import ServiceError
from mlat.services.users import check_new_password
from tests.conftest import PASSWORD, Client, LoginAs, MakeUser, check_page, flashes, form_errors


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(mlat.auth, "utcnow", clock)
    monkeypatch.setattr(mlat.views.auth, "utcnow", clock)
    monkeypatch.setattr(mlat.views.attempts, "utcnow", clock)
    monkeypatch.setattr(mlat.services.audit, "utcnow", clock)
    return clock


def test_session_ends_after_30_idle_minutes(
    client: Client, login_as: LoginAs, clock: Clock
) -> None:
    login_as(Role.officer)
    clock.advance(minutes=29)
    assert client.get("/rules/").status_code == 200
    clock.advance(minutes=29)  # active 58 minutes, never idle for 30
    assert client.get("/rules/").status_code == 200
    clock.advance(minutes=31)
    response = client.get("/rules/")
    assert response.status_code == 302
    assert response.location.startswith("/login")
    ended = flashes(check_page(client.get(response.location)))
    assert any(message.startswith("Your session has ended") for message in ended), ended
    assert client.get("/rules/").status_code == 302  # stays logged out


def test_session_ends_after_12_hours_however_active(
    client: Client, login_as: LoginAs, clock: Clock
) -> None:
    login_as(Role.officer)
    for _ in range(24):  # a request every 29 minutes: 11 h 36 min
        clock.advance(minutes=29)
        assert client.get("/rules/").status_code == 200
    clock.advance(minutes=25)  # 12 h 1 min after logging in
    assert client.get("/rules/").status_code == 302


def test_the_idle_time_is_kept_on_the_server_for_every_copy_of_the_cookie(
    app: Any, client: Client, login_as: LoginAs, clock: Clock, db: Session
) -> None:
    """The idle time was kept in the cookie: each copy of it had an idle time of its
    own. The session's record on the server now keeps it, written at most once a
    minute."""
    login_as(Role.officer)
    copied: Client = app.test_client()
    copied.set_cookie("session", _cookie(client))  # taken at log-in, never refreshed
    [record] = db.exec(select(LoginSession)).all()
    started = record.seen_at
    clock.advance(seconds=30)
    assert client.get("/rules/").status_code == 200
    db.refresh(record)
    assert record.seen_at == started  # not written for every request
    clock.advance(minutes=29)
    assert client.get("/rules/").status_code == 200
    db.refresh(record)
    assert record.seen_at > started
    clock.advance(minutes=2)  # 31.5 minutes after the copy's last use, 2 after the session's
    assert copied.get("/rules/").status_code == 200
    clock.advance(minutes=31)
    assert copied.get("/rules/").status_code == 302
    assert client.get("/rules/").status_code == 302  # one session, ended for both


def _fail(client: Client, email: str) -> Any:
    return client.submit("/login", {"email": email, "password": "not the password at all"})


def _refused(response: Any) -> str:
    assert response.status_code == 429
    page = check_page(response)
    [said] = [m for m in flashes(page) + form_errors(page) if "Too many failed attempts" in m]
    return said


def test_after_five_failures_an_address_waits_longer_after_each_failure(
    client: Client, make_user: MakeUser, clock: Clock
) -> None:
    user = make_user(Role.officer)
    for _ in range(5):
        assert _fail(client, user.email).status_code == 200
    # The sixth attempt waits, even with the right password ...
    assert "Wait 30 seconds" in _refused(client.login(user.email))
    clock.advance(seconds=31)
    assert _fail(client, user.email).status_code == 200  # checked: a sixth failure
    # ... and each further failure doubles the wait.
    assert "Wait 1 minute" in _refused(client.login(user.email))
    clock.advance(seconds=61)
    assert _fail(client, user.email).status_code == 200
    clock.advance(seconds=90)
    assert "Wait 30 seconds" in _refused(client.login(user.email))  # of two minutes
    clock.advance(seconds=31)
    assert client.login(user.email).status_code == 302


def test_failures_are_forgotten_an_hour_after_the_last(
    client: Client, make_user: MakeUser, clock: Clock
) -> None:
    user = make_user(Role.officer)
    for _ in range(5):
        _fail(client, user.email)
    clock.advance(minutes=61)
    for _ in range(5):  # five free failures again
        assert _fail(client, user.email).status_code == 200
    assert client.login(user.email).status_code == 429


def test_a_right_password_does_not_count_as_a_failure(
    app: Any, client: Client, make_user: MakeUser, clock: Clock
) -> None:
    user = make_user(Role.officer)
    for _ in range(4):
        _fail(client, user.email)
    assert client.login(user.email).status_code == 302
    other: Client = app.test_client()  # the same address
    assert _fail(other, user.email).status_code == 200  # the fifth failure, not the sixth
    assert other.login(user.email).status_code == 429


def test_one_address_cannot_lock_every_account(
    client: Client, app: Any, make_user: MakeUser, clock: Clock
) -> None:
    victims = [make_user(Role.officer) for _ in range(3)]
    for n in range(5):
        _fail(client, victims[n % 3].email)
    # The attacking address now waits, whichever account it tries ...
    assert _fail(client, victims[0].email).status_code == 429
    # ... but no account has many failures, so their owners log in from elsewhere.
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    for victim in victims:
        assert elsewhere.login(victim.email).status_code == 302


def _from(app: Any, address: str) -> Client:
    client: Client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def test_guesses_from_many_addresses_lock_the_account_but_not_its_known_devices(
    app: Any, client: Client, make_user: MakeUser, clock: Clock
) -> None:
    """Ten failures from ten addresses lock the account for a quarter of an hour, except
    from a browser its owner has logged in from before: there the right password and
    code still pass, so guessing cannot keep the owner out of their own computer."""
    user = make_user(Role.reviewer)  # logs in with a two-factor code
    own = _from(app, "198.51.100.1")
    assert own.login(user.email).status_code == 302  # a known device from now on
    own.submit("/logout", {})
    for n in range(10):
        assert _fail(_from(app, f"203.0.113.{n}"), user.email).status_code == 200
    said = _refused(_from(app, "203.0.113.99").login(user.email))
    assert "at this account" in said and "computer you have logged in from before" in said
    assert own.login(user.email).status_code == 302  # password and code from a known device
    clock.advance(minutes=14)
    assert _from(app, "203.0.113.100").login(user.email).status_code == 429
    clock.advance(minutes=2)  # a quarter of an hour after the last failure
    response = _from(app, "203.0.113.101").submit(
        "/login", {"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302 and response.location.startswith("/login/code")


def test_a_known_device_of_another_account_does_not_pass_the_lock(
    app: Any, client: Client, make_user: MakeUser, clock: Clock
) -> None:
    target, colleague = make_user(Role.officer), make_user(Role.officer)
    shared = _from(app, "198.51.100.2")
    assert shared.login(colleague.email).status_code == 302  # known for the colleague only
    shared.submit("/logout", {})
    for n in range(10):
        _fail(_from(app, f"203.0.113.{n}"), target.email)
    assert shared.login(target.email).status_code == 429
    # A device cookie made up, or copied from elsewhere, is not a known device either.
    forged = _from(app, "198.51.100.3")
    forged.set_cookie("mlat_device", "a" * 43)
    assert forged.login(target.email).status_code == 429


def test_the_device_cookie_is_secret_to_scripts_and_kept_half_a_year(
    client: Client, login_as: LoginAs
) -> None:
    login_as(Role.officer)
    cookie = client.get_cookie("mlat_device")
    assert cookie is not None and len(cookie.value) >= 43
    assert cookie.http_only and cookie.same_site == "Lax"
    assert cookie.expires is not None
    lifetime = cookie.expires - dt.datetime.now(dt.UTC)
    assert dt.timedelta(days=179) < lifetime <= dt.timedelta(days=180)


def test_failed_and_refused_logins_are_audited(
    client: Client, make_user: MakeUser, db: Session, clock: Clock
) -> None:
    user = make_user(Role.officer)
    for _ in range(6):
        _fail(client, user.email)
    logins = db.exec(select(AuditEntry).where(AuditEntry.action == "login").order_by("seq"))
    outcomes = [e.outcome for e in logins]
    assert outcomes == ["failure"] * 5 + ["denied"]
    [denied] = [e for e in db.exec(select(AuditEntry).where(AuditEntry.outcome == "denied"))]
    assert denied.reason == "throttled per address"


@pytest.mark.parametrize(
    "password",
    ["password1234", "qwerty123456!", "passwordpassword", "iloveyou2024!!", "aaaaaaaaaaaaaa"],
)
def test_common_passwords_are_refused(password: str) -> None:
    with pytest.raises(ServiceError, match="most commonly used"):
        check_new_password(password)


@pytest.mark.parametrize(
    "password", [PASSWORD, "Granite-otter-1987-lighthouse", "زرافة تمشي في الصحراء"]
)
def test_uncommon_passwords_of_any_composition_are_accepted(password: str) -> None:
    check_new_password(password)


def _cookie(client: Client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def test_a_copy_of_the_session_cookie_stops_working_at_logout(
    app: Any, client: Client, login_as: LoginAs
) -> None:
    login_as(Role.officer)
    copied = _cookie(client)  # taken by someone, before the user logs out
    thief: Client = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/rules/").status_code == 200  # it works while the session is open

    client.submit("/logout", {}, form_url="/rules/")

    refused = thief.get("/rules/")
    assert refused.status_code == 302
    assert refused.location.startswith("/login")


def test_logging_out_in_one_browser_leaves_the_others_open(
    app: Any, client: Client, make_user: MakeUser
) -> None:
    user = make_user(Role.officer)
    laptop: Client = app.test_client()
    assert client.login(user.email).status_code == 302
    assert laptop.login(user.email).status_code == 302

    laptop.submit("/logout", {}, form_url="/rules/")

    assert laptop.get("/rules/").status_code == 302
    assert client.get("/rules/").status_code == 200


def test_the_server_keeps_only_a_digest_of_each_session_token(
    client: Client, login_as: LoginAs, db: Session
) -> None:
    user = login_as(Role.officer)
    kept = db.exec(select(LoginSession).where(LoginSession.user_id == user.id)).all()
    assert len(kept) == 1
    with client.session_transaction() as session:
        token = session["_user_id"].split(":")[2]
    assert kept[0].id == hashlib.sha256(token.encode()).hexdigest() != token


def test_records_of_sessions_past_their_lifetime_go_at_the_next_login(
    app: Any, client: Client, make_user: MakeUser, db: Session, clock: Clock
) -> None:
    first, second = make_user(Role.officer), make_user(Role.officer)
    assert client.login(first.email).status_code == 302
    clock.advance(hours=12, minutes=1)
    other: Client = app.test_client()
    assert other.login(second.email).status_code == 302
    db.expire_all()
    kept = db.exec(select(LoginSession.user_id)).all()
    assert kept == [second.id]  # the first user's session was past its lifetime


@pytest.mark.parametrize(
    ("environment", "secure"),
    [
        ({"MLAT_BASE_URL": "https://mlat.example.org"}, True),
        ({"MLAT_BASE_URL": "http://127.0.0.1:5000"}, False),
        ({"MLAT_BASE_URL": "https://mlat.example.org", "MLAT_SECURE_COOKIES": "0"}, False),
        ({"MLAT_SECURE_COOKIES": "1"}, True),
    ],
)
def test_behind_https_the_session_cookie_is_secure_and_bound_to_the_host(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Any, environment: dict[str, str], secure: bool
) -> None:
    for name in ("MLAT_BASE_URL", "MLAT_SECURE_COOKIES"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("MLAT_INSTANCE_PATH", str(tmp_path))
    config = config_from_env()
    assert config.secure_cookies is secure
    settings = config.flask_settings()
    assert settings["SESSION_COOKIE_SECURE"] is secure
    assert settings["SESSION_COOKIE_NAME"] == ("__Host-session" if secure else "session")


def test_the_host_bound_cookie_is_set_as_browsers_require(app: Any, make_user: MakeUser) -> None:
    """A "__Host-" cookie is taken by browsers only with Secure, Path=/ and no Domain."""
    secure = create_app(dataclasses.replace(app.config["MLAT"], secure_cookies=True))
    user = make_user(Role.officer)
    browser = secure.test_client()
    page = browser.get("/login", base_url="https://localhost")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    assert token is not None
    answer = browser.post("/login", base_url="https://localhost",
                          headers={"Referer": "https://localhost/login"},
                          data={"csrf_token": token.group(1), "email": user.email,
                                "password": PASSWORD})  # fmt: skip
    assert answer.status_code == 302, answer.text[:500]
    cookies = [c for c in answer.headers.getlist("Set-Cookie") if c.startswith("__Host-")]
    assert sorted(c.split("=")[0] for c in cookies) == ["__Host-mlat-device", "__Host-session"]
    for cookie in cookies:  # the session's, and the one that makes this a known device
        attributes = [part.strip().lower() for part in cookie.split(";")]
        assert "secure" in attributes and "path=/" in attributes and "httponly" in attributes
        assert not [a for a in attributes if a.startswith("domain=")]
    secure.extensions["mlat_engine"].dispose()
