"""Shared by the tests of two app instances side by side: starting and stopping gunicorn
servers, a user's browser against one of them, the people of one unit, and clicks
released at the same moment."""

from __future__ import annotations

import html
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from mlat.models import RequestStatus, User
from mlat.services.requests import create_request
from tests.conftest import DEFAULT_POSTGRES, PASSWORD, _admin_dsn
from tests.totp import Authenticator

PROJECT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 60


def postgres_server() -> str:
    url = os.environ.get("MLAT_TEST_POSTGRES_URL") or DEFAULT_POSTGRES
    try:
        psycopg.connect(_admin_dsn(url), connect_timeout=3).close()
    except psycopg.Error as exc:
        pytest.fail(
            f"PostgreSQL does not answer at {url} ({exc}): the instance tests need "
            "it (set MLAT_TEST_POSTGRES_URL, or start the server)",
            pytrace=False,
        )
    return url


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Instance:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def start_instance(env: dict[str, str], folder: Path) -> Instance:
    port = free_port()
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / "gunicorn.log"
    with log.open("wb") as out:  # the server writes to its own copy of the descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", str(PROJECT / "gunicorn.conf.py")],
            cwd=PROJECT,
            env={**env, "MLAT_BIND": f"127.0.0.1:{port}", "MLAT_INSTANCE_PATH": str(folder)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn stopped at start:\n{log.read_text()[-3000:]}", pytrace=False)
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return Instance(url, process, log)
        except OSError:
            time.sleep(0.2)
    process.terminate()
    pytest.fail(f"gunicorn did not answer on {url}:\n{log.read_text()[-3000:]}", pytrace=False)


def stop(instance: Instance) -> None:
    instance.process.terminate()
    try:
        instance.process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        instance.process.kill()
        instance.process.wait()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


@dataclass
class Browser:
    """A user's browser against one instance: cookies, forms with their CSRF token."""

    base: str
    jar: http.cookiejar.CookieJar = field(default_factory=http.cookiejar.CookieJar)

    def __post_init__(self) -> None:
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def request(self, path: str, data: dict[str, str] | None = None) -> tuple[int, str, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(self.base + path, data=body, timeout=60) as response:
                return response.status, response.read().decode(errors="replace"), ""
        except urllib.error.HTTPError as exc:  # redirects and errors alike
            return exc.code, exc.read().decode(errors="replace"), exc.headers.get("Location", "")

    def get(self, path: str) -> str:
        status, text, location = self.request(path)
        assert status == 200, (path, status, location, text[:500])
        return text

    def form(
        self, path: str, fields: dict[str, str], *, page: str | None = None
    ) -> tuple[int, str, str]:
        return self.request(path, {**hidden_fields(self.get(page or path)), **fields})

    def login(self, email: str, phone: Authenticator) -> None:
        status, _text, location = self.form("/login", {"email": email, "password": PASSWORD})
        assert status == 302 and location.endswith("/login/code"), (status, location)
        status, _text, location = self.form("/login/code", {"code": phone.code(email)})
        assert status == 302, (status, location)


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden inputs of the page's first form that has a CSRF token."""
    found: dict[str, str] = {}
    for name, value in re.findall(
        r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page
    ):
        found.setdefault(name, html.unescape(value))
    for name, value in re.findall(
        r'<input[^>]*name="([^"]+)"[^>]*type="hidden"[^>]*value="([^"]*)"', page
    ):
        found.setdefault(name, html.unescape(value))
    return found


@dataclass
class Office:
    """The people of one unit, with their authenticators."""

    engine: Engine
    phone: Authenticator
    officer: User
    reviewers: list[User]
    prosecutor: User

    def new_request(self, title: str, status: RequestStatus = RequestStatus.draft) -> int:
        with Session(self.engine, expire_on_commit=False) as session:
            owner = session.get(User, self.officer.id)
            assert owner is not None
            # The United States' table gives no address or e-mail for its central authority:
            # the officer gives one, so that an approved request can be signed.
            request = create_request(
                session=session,
                owner=owner,
                title=title,
                requested_state="US",
                content={"addressee": {"email": "central.authority@example.org"}},
            )
            request.status = status
            if status == RequestStatus.approved:
                request.approved_digest = request.content_digest
            session.add(request)
            session.commit()
            assert request.id is not None
            return request.id


def at_once(*actions: Callable[[], tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    """Run the actions in threads released together, as two users clicking at once."""
    barrier = threading.Barrier(len(actions))
    results: list[tuple[int, str, str] | None] = [None] * len(actions)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = actions[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(actions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]
