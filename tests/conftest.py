"""Fixtures: an app with its own fresh database (SQLite, and PostgreSQL when it answers),
a test client that fills in CSRF tokens as a browser would, and factories."""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from argon2 import PasswordHasher, profiles
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import text
from sqlalchemy.engine import make_url
from werkzeug.test import TestResponse

import mlat.services.users as user_service
from mlat import create_app
from mlat.config import Config
from mlat.db import make_engine
from mlat.migrate import upgrade
from mlat.models import MlaRequest, Role, Unit, User
from mlat.services.requests import create_request
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


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    config = Config(
        database_url=database_url,
        secret_key="test-" + secrets.token_hex(8),
        instance_path=tmp_path / "instance",
        testing=True,
    )
    app = create_app(config)
    yield app
    app.extensions["mlat_engine"].dispose()


@pytest.fixture
def db(app: Flask) -> Iterator[Any]:
    """A session on the test database, for arranging data and checking results."""
    from sqlmodel import Session

    with Session(app.extensions["mlat_engine"], expire_on_commit=False) as session:
        yield session


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
        return self.submit(response.location, {"code": phone.code(email)})


@pytest.fixture
def client(app: Flask) -> Client:
    app.test_client_class = Client
    return app.test_client()  # type: ignore[return-value]


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


@pytest.fixture
def make_unit(db: Any) -> Callable[..., Unit]:
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
def unit(make_unit: Callable[..., Unit]) -> Unit:
    return make_unit(name="Cybercrime Unit, Doha", code="DOH")


@pytest.fixture
def make_user(db: Any, unit: Unit) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

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
        db.commit()
        return user

    return make


@pytest.fixture
def login_as(client: Client, make_user: Callable[..., User]) -> Callable[..., User]:
    """Log the test client in as a new user with these roles."""

    def login(*roles: Role, unit_: Unit | None = None) -> User:
        user = make_user(*roles, unit_=unit_)
        response = client.login(user.email)
        assert response.status_code == 302, response.text
        return user

    return login


@pytest.fixture
def make_request(db: Any) -> Callable[..., MlaRequest]:
    def make(
        owner: User,
        title: str = "Phishing of a bank's customers",
        requested_state: str = "US",
        **kwargs: Any,
    ) -> MlaRequest:
        request = create_request(
            session=db, owner=owner, title=title, requested_state=requested_state, **kwargs
        )
        db.commit()
        return request

    return make
