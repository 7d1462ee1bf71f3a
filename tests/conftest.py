"""Fixtures: an app with its own fresh database (SQLite, and PostgreSQL when it answers),
a test client that fills in CSRF tokens as a browser would, and factories."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import html
import os
import re
import secrets
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Protocol, cast

import psycopg
import pytest
from argon2 import PasswordHasher, profiles
from bs4 import BeautifulSoup, Tag
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session
from werkzeug.test import TestResponse
from werkzeug.utils import redirect

import mlat.services.users as user_service
from mlat import create_app
from mlat.config import Config
from mlat.db import make_engine
from mlat.migrate import upgrade
from mlat.models import MlaRequest, Role, Unit, User
from mlat.services.requests import create_request
from mlat.services.signing import issue_demo_credential, signing_keys
from mlat.services.users import create_unit, create_user
from tests.totp import Authenticator

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PASSWORD = "correct horse battery staple"


def postgres_url() -> str | None:
    """The PostgreSQL server to test against, or None when none answers."""
    url = os.environ.get("MLAT_TEST_POSTGRES_URL")
    if url:
        return url  # explicitly asked for: a server that does not answer is a failure
    try:
        dsn = make_url(DEFAULT_POSTGRES).set(drivername="postgresql")
        psycopg.connect(dsn.render_as_string(hide_password=False), connect_timeout=2).close()
    except psycopg.Error:
        return None
    return DEFAULT_POSTGRES


POSTGRES = postgres_url()
BACKENDS = ["sqlite", "postgres"] if POSTGRES else ["sqlite"]


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing() -> None:
    """argon2id with the cheapest parameters, so that creating users in tests is fast."""
    user_service._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


def _admin_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, migrated once, dropped at the end."""
    assert POSTGRES
    name = f"mlat_test_{secrets.token_hex(4)}"
    with psycopg.connect(_admin_dsn(POSTGRES), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with psycopg.connect(_admin_dsn(POSTGRES), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _empty_postgres(url: str) -> None:
    engine = make_engine(url)
    with engine.begin() as conn:
        tables = (
            conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
            )
            .scalars()
            .all()
        )
        if tables:
            quoted = ", ".join(f'"{t}"' for t in tables)
            conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        path = tmp_path / "mlat.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    _empty_postgres(url)
    return url


# One signing secret for every app of a test: a credential made through one app is used
# by another (a second instance, an RQ worker).
SIGNING_SECRET = "test signing secret"
# One data key likewise: a file stored through one app is read by another.
DATA_KEYS = "test:" + base64.b64encode(hashlib.sha256(b"mlat test data key").digest()).decode()


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    config = Config(
        signing_secret=SIGNING_SECRET,
        data_keys=DATA_KEYS,
        database_url=database_url,
        secret_key="test-" + secrets.token_hex(8),
        instance_path=tmp_path / "instance",
        testing=True,
    )
    app = create_app(config)
    yield app
    app.extensions["mlat_engine"].dispose()


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """A session on the test database, for arranging data and checking results."""
    with Session(app.extensions["mlat_engine"], expire_on_commit=False) as session:
        yield session


@pytest.fixture
def fresh(app: Flask) -> Iterator[Callable[[], Session]]:
    """Sessions of their own, as a second process (the CLI, another worker) or a second
    request served at the same moment would have."""
    opened: list[Session] = []

    def open_() -> Session:
        session = Session(app.extensions["mlat_engine"], expire_on_commit=False)
        opened.append(session)
        return session

    yield open_
    for session in opened:
        session.close()


class Client(FlaskClient):
    """A test client that submits forms as a browser does, with the page's CSRF token."""

    def submit(
        self, url: str, data: dict[str, Any], *, form_url: str | None = None, **kwargs: Any
    ) -> TestResponse:
        page = self.get(form_url or url)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
        token = match.group(1) if match else ""
        return self.post(url, data={"csrf_token": token, **data}, **kwargs)

    def login(self, email: str, password: str = PASSWORD) -> TestResponse:
        """Log in as a person would, with a code from their authenticator when their
        role asks for one (set up on their first log-in)."""
        response = self.submit("/login", {"email": email, "password": password})
        if response.status_code != 302 or not response.location.startswith("/login/"):
            return response
        phone: Authenticator = self.application.extensions.setdefault(
            "test_authenticator", Authenticator()
        )
        if response.location.startswith("/login/enrol"):
            page = self.get("/login/enrol").text
            match = re.search(r'id="totp-secret">([A-Z2-7]+)<', page)
            assert match, page
            phone.secrets[email] = match.group(1)
        answer = self.submit(response.location, {"code": phone.code(email)})
        if answer.status_code == 200 and 'id="recovery-codes"' in answer.text:
            # Just set up: the recovery codes are shown once, then the user goes on.
            phone.recovery[email] = re.findall(r"<code>([A-Z2-7-]{29})</code>", answer.text)
            target = re.search(r'<a class="button" href="([^"]+)">', answer.text)
            assert target is not None and len(phone.recovery[email]) == 10, answer.text
            return cast(TestResponse, redirect(html.unescape(target.group(1))))
        return answer


@pytest.fixture
def client(app: Flask) -> Client:
    app.test_client_class = Client
    return app.test_client()  # type: ignore[return-value]


def text_of(element: Tag | None) -> str:
    """An element's text as a reader sees it, with its whitespace collapsed."""
    assert element is not None, "no such element on the page"
    return " ".join(element.get_text().split())


def texts(page: Tag, selector: str) -> list[str]:
    """The text of each element that matches the CSS selector, in page order."""
    return [text_of(element) for element in page.select(selector)]


def rows(page: Tag, table: str = "table") -> list[list[str]]:
    """The cells of each row in the body of the first table matching the selector."""
    found = page.select_one(table)
    assert found is not None, f"no {table} on the page"
    body = found.find("tbody") or found
    assert isinstance(body, Tag)
    return [texts(row, "td, th") for row in body.find_all("tr", recursive=False)]


def summary(page: Tag, selector: str = "dl.summary") -> dict[str, str]:
    """The terms and descriptions of the first summary list matching the selector."""
    found = page.select_one(selector)
    assert found is not None, f"no {selector} on the page"
    terms = found.find_all("dt")
    return {text_of(term): text_of(term.find_next_sibling("dd")) for term in terms}


def flashes(page: Tag) -> list[str]:
    """The messages flashed at the top of the page."""
    return texts(page, "main > .flash")


def form_errors(page: Tag) -> list[str]:
    """The problems listed in the form's error summary."""
    return texts(page, ".error-summary li")


def field_value(page: Tag, name: str) -> str:
    """What the field holds as the page is shown: an input's value, a text area's text,
    or the value of a list's selected option."""
    field = page.select_one(f'[name="{name}"]')
    assert isinstance(field, Tag), f"no field named {name}"
    if field.name == "textarea":
        content = field.get_text()  # a browser drops the newline that opens the text
        return content[2:] if content.startswith("\r\n") else content.removeprefix("\n")
    if field.name == "select":
        option = field.select_one("option[selected]")
        return str(option["value"]) if isinstance(option, Tag) else ""
    value = field.get("value", "")
    return str(value)


def check_page(response: TestResponse) -> BeautifulSoup:
    """The response parsed as HTML, once it has the parts every page needs: a title of its
    own, one main heading, and ids that each name one element."""
    return check_html(response.text)


def check_html(html: str) -> BeautifulSoup:
    """The page parsed, once checked as check_page() does."""
    page = BeautifulSoup(html, "html.parser")
    for line_break in page.find_all("br"):
        line_break.replace_with("\n")  # so that text_of() reads it as the space it shows
    title = page.title.get_text() if page.title else ""
    assert title.removesuffix("· mlat").strip(), f"the page has no title: {title!r}"
    headings = texts(page, "h1")
    assert len(headings) == 1, f"the page needs exactly one h1, not {headings}"
    ids = Counter(str(element["id"]) for element in page.find_all(id=True))
    repeated = sorted(name for name, count in ids.items() if count > 1)
    assert not repeated, f"ids used more than once: {repeated}"
    return page


class PageClient:
    """Requests pages as a person would and hands back the parsed page, having checked
    the status and the parts every page needs (as GOV.UK Notify's ``client_request``)."""

    def __init__(self, client: Client) -> None:
        self.client = client

    @staticmethod
    def _expect(response: TestResponse, status: int) -> None:
        assert response.status_code == status, (
            f"expected {status}, got {response.status_code} "
            f"{response.location or ''}\n{response.text[:2000]}"
        )

    def get(self, url: str, *, status: int = 200, follow_redirects: bool = False) -> BeautifulSoup:
        response = self.client.get(url, follow_redirects=follow_redirects)
        self._expect(response, status)
        return check_page(response)

    def post(
        self,
        url: str,
        data: dict[str, Any] | None = None,
        *,
        status: int = 200,
        follow_redirects: bool = False,
        form_url: str | None = None,
    ) -> BeautifulSoup:
        """Submit the form at url (taken from form_url, or url itself) and return the page
        shown: the page itself, or the one redirected to when following redirects."""
        response = self.client.submit(
            url, data or {}, form_url=form_url, follow_redirects=follow_redirects
        )
        self._expect(response, status)
        return check_page(response)

    def post_redirect(
        self,
        url: str,
        data: dict[str, Any] | None = None,
        *,
        to: str | None = None,
        form_url: str | None = None,
    ) -> str:
        """Submit the form and return where the answer redirects (checked against to)."""
        response = self.client.submit(url, data or {}, form_url=form_url)
        self._expect(response, 302)
        if to is not None:
            assert response.location == to
        return response.location


@pytest.fixture
def client_request(client: Client) -> PageClient:
    """The test client, reading pages: ``client_request.get("/")`` is the parsed page."""
    return PageClient(client)


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


class MakeUnit(Protocol):
    """Makes a unit; each call without a name or code gets new ones."""

    def __call__(
        self,
        name: str | None = None,
        code: str | None = None,
        state: str = "QA",
        timezone: str = "Asia/Qatar",
    ) -> Unit: ...


class MakeUser(Protocol):
    """Makes a user with these roles (an officer without any), in the unit given or the
    test's unit."""

    def __call__(
        self,
        *roles: Role,
        unit_: Unit | None = None,
        email: str | None = None,
        password: str = PASSWORD,
    ) -> User: ...


class LoginAs(Protocol):
    """Makes a user with these roles and logs the test client in as them."""

    def __call__(self, *roles: Role, unit_: Unit | None = None) -> User: ...


class MakeRequest(Protocol):
    """Makes a request drafted by the owner, committed."""

    def __call__(
        self,
        owner: User,
        title: str = ...,
        requested_state: str = ...,
        *,
        content: dict[str, Any] | None = None,
        today: dt.date | None = None,
    ) -> MlaRequest: ...


@pytest.fixture
def make_unit(db: Session) -> MakeUnit:
    counter = iter(range(1, 10_000))

    def make(
        name: str | None = None,
        code: str | None = None,
        state: str = "QA",
        timezone: str = "Asia/Qatar",
    ) -> Unit:
        n = next(counter)
        unit = create_unit(
            session=db,
            name=name or f"Unit {n}",
            code=code or f"U{n:03d}",
            state=state,
            timezone=timezone,
        )
        db.commit()
        return unit

    return make


@pytest.fixture
def unit(make_unit: MakeUnit) -> Unit:
    return make_unit(name="Cybercrime Unit, Doha", code="DOH")


@pytest.fixture
def make_user(app: Flask, db: Session, unit: Unit) -> MakeUser:
    """A new user; a prosecutor gets a demonstration signing certificate, as seed-demo
    gives one."""
    counter = iter(range(1, 10_000))
    keys = signing_keys(app.config["MLAT"])

    def make(
        *roles: Role, unit_: Unit | None = None, email: str | None = None, password: str = PASSWORD
    ) -> User:
        n = next(counter)
        user = create_user(
            session=db,
            email=email or f"user{n}@example.org",
            name=f"User {n}",
            password=password,
            unit=unit_ or unit,
            roles=roles or (Role.officer,),
        )
        if Role.prosecutor in roles:
            issue_demo_credential(session=db, user=user, keys=keys)
        db.commit()
        return user

    return make


@pytest.fixture
def login_as(client: Client, make_user: MakeUser) -> LoginAs:
    """Log the test client in as a new user with these roles."""

    def login(*roles: Role, unit_: Unit | None = None) -> User:
        user = make_user(*roles, unit_=unit_)
        response = client.login(user.email)
        assert response.status_code == 302, response.text
        return user

    return login


@pytest.fixture
def make_request(db: Session) -> MakeRequest:
    def make(
        owner: User,
        title: str = "Phishing of a bank's customers",
        requested_state: str = "US",
        *,
        content: dict[str, Any] | None = None,
        today: dt.date | None = None,
    ) -> MlaRequest:
        request = create_request(
            session=db,
            owner=owner,
            title=title,
            requested_state=requested_state,
            content=content,
            today=today,
        )
        db.commit()
        return request

    return make
