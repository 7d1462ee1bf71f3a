"""Browser tests: the app served on 127.0.0.1 on a free port with a fresh, seeded
database, driven by the operating system's Chromium through Playwright's sync API.

Chromium comes from Debian (`make setup` installs it); when it is missing these tests
fail, saying how to install it. Screenshots go to test-artifacts/screenshots/<test>/."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright
from sqlmodel import Session, select
from werkzeug.serving import make_server

from mlat import create_app
from mlat.config import Config
from mlat.db import make_engine
from mlat.demo import EXAMPLES, seed_demo
from mlat.migrate import upgrade
from mlat.models import MlaRequest, RequestStatus, User
from mlat.services.requests import create_request
from mlat.services.signing import signing_keys
from mlat.services.workflow import Inputs, transition
from tests.browser.support import (
    A11Y_REPORT,
    OFFICER,
    REVIEWER,
    AxeCopies,
    LiveServer,
    QuietHandler,
    ServerErrors,
    Visit,
    screenshot_folder,
)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
INSTALL_HINT = (
    "The browser tests drive the operating system's Chromium, and none was found "
    "(looked for $MLAT_CHROMIUM, `chromium` on the PATH and /usr/bin/chromium). "
    "Run `make setup`, which installs it, or `apt-get install chromium` as root."
)


def chromium_path() -> str | None:
    for candidate in (os.environ.get("MLAT_CHROMIUM"), shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    default = Path("/usr/bin/chromium")
    return str(default) if os.access(default, os.X_OK) else None


@pytest.fixture(scope="session")
def playwright_driver() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    executable = chromium_path()
    if executable is None:
        pytest.fail(INSTALL_HINT, pytrace=False)
    browser = playwright_driver.chromium.launch(
        executable_path=executable, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def live_server(
    _cheap_password_hashing: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The app on a fresh SQLite database with the demo data, on 127.0.0.1, free port."""
    A11Y_REPORT.parent.mkdir(parents=True, exist_ok=True)
    A11Y_REPORT.write_text("")  # this run's accessibility findings, of any impact
    folder = tmp_path_factory.mktemp("live-server")
    database_url = f"sqlite:///{folder / 'mlat.sqlite3'}"
    engine = make_engine(database_url)
    upgrade(engine)
    config = Config(
        database_url=database_url,
        secret_key="browser-" + secrets.token_hex(8),
        instance_path=folder / "instance",
    )
    with Session(engine) as session:
        logins = seed_demo(session=session, keys=signing_keys(config))
        session.commit()
    engine.dispose()
    app = create_app(config)
    errors = ServerErrors(app.wsgi_app)
    app.wsgi_app = errors  # type: ignore[method-assign]
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    live = LiveServer(
        url=f"http://127.0.0.1:{server.server_port}",
        server=server,
        thread=thread,
        engine=app.extensions["mlat_engine"],
        errors=errors,
        passwords={login.email: login.password for login in logins},
    )
    yield live
    live.stop()


@pytest.fixture(scope="session")
def axe_copies(browser: Browser) -> Iterator[AxeCopies]:
    copies = AxeCopies(browser)
    yield copies
    copies.close()


def _page(browser: Browser, *, javascript: bool) -> Iterator[Page]:
    context = browser.new_context(
        accept_downloads=True,
        java_script_enabled=javascript,
        locale="en-GB",
        timezone_id="Asia/Qatar",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    yield from _page(browser, javascript=True)


@pytest.fixture
def js_disabled_page(browser: Browser) -> Iterator[Page]:
    yield from _page(browser, javascript=False)


def _visit(page: Page, live_server: LiveServer, request: pytest.FixtureRequest) -> Visit:
    live_server.errors.seen.clear()
    folder = screenshot_folder(request.node.name)
    return Visit(page=page, server=live_server, folder=folder)


@pytest.fixture
def visit(page: Page, live_server: LiveServer, request: pytest.FixtureRequest) -> Visit:
    """A browser page with JavaScript, its screenshots named after the test."""
    return _visit(page, live_server, request)


@pytest.fixture
def js_disabled_visit(
    js_disabled_page: Page,
    live_server: LiveServer,
    axe_copies: AxeCopies,
    request: pytest.FixtureRequest,
) -> Visit:
    """A browser page with JavaScript turned off."""
    visit = _visit(js_disabled_page, live_server, request)
    visit.javascript, visit.axe_copies = False, axe_copies
    return visit


@pytest.fixture(params=["javascript", "no-javascript"])
def either_visit(request: pytest.FixtureRequest) -> Visit:
    """The test runs twice: with JavaScript, and with JavaScript turned off."""
    name = "visit" if request.param == "javascript" else "js_disabled_visit"
    visit: Visit = request.getfixturevalue(name)
    return visit


def _request_maker(live_server: LiveServer, *, approve: bool) -> Callable[[str], MlaRequest]:
    content = json.loads((EXAMPLES / "qa-to-us-stored-content.json").read_text())
    for known in ("reference", "requesting_state", "requested_state"):
        content.pop(known, None)

    def make(title: str) -> MlaRequest:
        with Session(live_server.engine, expire_on_commit=False) as session:
            officer = session.exec(select(User).where(User.email == OFFICER)).one()
            reviewer = session.exec(select(User).where(User.email == REVIEWER)).one()
            request = create_request(
                session=session, owner=officer, title=title, requested_state="US", content=content
            )
            transition(session=session, request=request, actor=officer, action="submit",
                       expected_version=request.version)  # fmt: skip
            if approve:
                transition(session=session, request=request, actor=reviewer, action="approve",
                           expected_version=request.version,
                           inputs=Inputs(seen_digest=request.content_digest))  # fmt: skip
            session.commit()
            assert request.status == (
                RequestStatus.approved if approve else RequestStatus.in_review
            )
            return request

    return make


@pytest.fixture
def approved_request(live_server: LiveServer) -> Callable[[str], MlaRequest]:
    """Make a complete request to the United States that a reviewer has approved, as the
    demo data does for its first request, so each test has its own to sign."""
    return _request_maker(live_server, approve=True)


@pytest.fixture
def submitted_request(live_server: LiveServer) -> Callable[[str], MlaRequest]:
    """Make a complete request to the United States waiting for review."""
    return _request_maker(live_server, approve=False)
