"""What the browser tests share: the live server, and a `Visit` that drives one browser
page and checks each page of a journey as a user (and a screen reader) would meet it."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from axe_playwright_python.sync_playwright import Axe
from babel.support import NullTranslations, Translations
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, Route, expect
from sqlalchemy import Engine
from sqlmodel import Session, select
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler

from mlat.config import PROJECT_ROOT
from mlat.models import RequestStatus, User
from mlat.services.requests import create_request
from tests.totp import Authenticator

ARTIFACTS = PROJECT_ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
A11Y_REPORT = ARTIFACTS / "accessibility.txt"
"""Every axe-core violation of the last run, of any impact, page by page."""
# The demo users (mlat.demo) the tests log in as; their passwords are generated.
OFFICER = "officer@doha.example"
REVIEWER = "reviewer@doha.example"
PROSECUTOR = "prosecutor@doha.example"
FAILING_IMPACTS = frozenset({"serious", "critical"})
AXE = Axe()
# Browsers ask for an icon that no page links to; its absence is no fault of a page.
IGNORED_MISSING = frozenset({"/favicon.ico"})
TRANSLATIONS = PROJECT_ROOT / "mlat" / "translations"


@cache
def _translations(language: str) -> NullTranslations:
    return Translations.load(str(TRANSLATIONS), [language])


def interface_text(language: str, text: str) -> str:
    """An interface message as the app shows it in ``language`` (its compiled catalogue)."""
    return text if language == "en" else str(_translations(language).gettext(text))


class QuietHandler(WSGIRequestHandler):
    """Werkzeug's request handler without a log line per request."""

    def log_request(self, *args: Any, **kwargs: Any) -> None:
        pass


class ServerErrors:
    """WSGI middleware that remembers every 5xx answer, so a test can fail on one even
    when the page the browser shows looks fine."""

    def __init__(self, app: Callable[..., Any]) -> None:
        self.app = app
        self.seen: list[str] = []
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        def recording_start_response(status: str, headers: Any, *args: Any) -> Any:
            if status.startswith("5"):
                with self._lock:
                    self.seen.append(
                        f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}: {status}"
                    )
            return start_response(status, headers, *args)

        return self.app(environ, recording_start_response)


@dataclass
class LiveServer:
    url: str
    server: BaseWSGIServer
    thread: threading.Thread
    engine: Engine
    errors: ServerErrors
    passwords: dict[str, str]
    """The demo users' generated passwords, by e-mail address."""
    phone: Authenticator = field(default_factory=Authenticator)
    """The demo users' authenticator app, set up at their first log-in."""

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()
        self.engine.dispose()


def screenshot_folder(name: str) -> Path:
    """An empty folder for one test's screenshots, named after the test."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", name).strip("-")
    folder = SCREENSHOTS / safe
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def describe_violations(violations: Iterable[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- {v['id']} ({v['impact']}): {v['help']} <{v.get('helpUrl', '')}>")
        for node in v["nodes"]:
            target = " ".join(str(t) for t in node["target"])
            lines.append(f"    at {target}: {node.get('failureSummary', '').strip()}")
    return "\n".join(lines)


@dataclass
class Visit:
    """One browser page on the live server, with the checks made on every page."""

    page: Page
    server: LiveServer
    folder: Path
    console_errors: list[str] = field(default_factory=list)
    failed_responses: list[str] = field(default_factory=list)
    """Answers of 400 and above: a page, a style sheet or an image the user did not get.
    A test that expects one (a form sent back with errors) clears this list."""
    steps: int = 0
    javascript: bool = True
    axe_copies: AxeCopies | None = None
    """Where axe-core runs when this page has JavaScript turned off."""
    language: str = "en"
    """The interface language the test reads the page in: labels are found by their
    translation in it."""

    def t(self, text: str) -> str:
        """``text`` as the page shows it in the test's language."""
        return interface_text(self.language, text)

    def __post_init__(self) -> None:
        self.page.on("console", self._on_console)
        self.page.on("pageerror", lambda exc: self.console_errors.append(f"page error: {exc}"))
        self.page.on("response", self._on_response)

    def _on_console(self, message: ConsoleMessage) -> None:
        # A resource that failed to load is reported by its response, with its address.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.console_errors.append(message.text)

    def _on_response(self, response: Response) -> None:
        path = urlsplit(response.url).path
        if response.status >= 400 and path not in IGNORED_MISSING:
            self.failed_responses.append(f"{response.request.method} {path}: {response.status}")

    def goto(self, path: str) -> None:
        response = self.page.goto(self.server.url + path)
        assert response is not None and response.ok, f"GET {path}: {response and response.status}"

    def login(self, email: str, password: str | None = None) -> None:
        self.goto("/login")
        t = self.t
        self.page.get_by_label(t("E-mail address")).fill(email)
        self.page.get_by_label(t("Password"), exact=True).fill(
            password or self.server.passwords[email]
        )
        self.page.locator("main").get_by_role("button", name=t("Log in")).click()
        self.page.wait_for_load_state("load")
        phone = self.server.phone
        if self.page.url.endswith("/login/enrol"):
            self.check("set up two-factor authentication")
            # the QR code is an image the browser shows, not an empty box
            qr = self.page.locator("img.qr")
            expect(qr).to_be_visible()
            assert qr.evaluate("image => image.complete && image.naturalWidth") > 0
            phone.secrets[email] = self.page.locator("#totp-secret").inner_text()
        if self.page.url.endswith(("/login/enrol", "/login/code")):
            self.page.get_by_label(t("Code from your authenticator app")).fill(phone.code(email))
            self.page.locator("main button[type=submit]").click()
            self.page.wait_for_load_state("load")
        if self.page.locator("#recovery-codes").count():  # shown once, after setting up
            self.page.get_by_role("link", name=t("I have kept them: continue")).click()
        expect(self.page.get_by_role("button", name=t("Log out"))).to_be_visible()

    def sign(self, email: str) -> None:
        """Sign the request shown, as the prosecutor does: confirm, then prove it is them
        with their password and a fresh code from their authenticator."""
        actions = self.page.get_by_role("region", name="What you can do next")
        actions.get_by_label("I have read the request and its annexes").check()
        actions.get_by_label("Your password").fill(self.server.passwords[email])
        actions.get_by_label("Code from your authenticator app").fill(self.server.phone.code(email))
        actions.get_by_role("button", name="Sign", exact=True).click()

    def logout(self) -> None:
        self.page.get_by_role("button", name=self.t("Log out")).click()
        expect(self.page.get_by_role("heading", name=self.t("Log in"), level=1)).to_be_visible()

    def status(self) -> str:
        return self.page.locator(".summary .tag").first.inner_text()

    def screenshot(self, step: str) -> Path:
        self.steps += 1
        name = re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-")
        path = self.folder / f"{self.steps:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def check(self, step: str) -> None:
        """Screenshot the page, then check what every page must do: a plain title, a
        `lang`, no serious or critical axe-core violation (labels, contrast, ARIA...),
        nothing refused by the content security policy, no failed answer, no server error."""
        self.page.wait_for_load_state("load")
        shot = self.screenshot(step)
        where = f"{step} ({self.page.url}, {shot.relative_to(PROJECT_ROOT)})"
        title = self.page.title()
        assert title.endswith("· mlat") and "<" not in title, f"{where}: title {title!r}"
        lang = self.page.locator("html").get_attribute("lang") or ""
        assert re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]+)*", lang), f"{where}: lang {lang!r}"
        self.check_accessibility(where, shot.with_suffix(".axe.json"))
        assert not self.console_errors, f"{where}: browser console errors: {self.console_errors}"
        assert not self.failed_responses, f"{where}: failed answers: {self.failed_responses}"
        assert not self.server.errors.seen, f"{where}: server errors: {self.server.errors.seen}"

    def check_accessibility(self, where: str, report: Path) -> None:
        if self.javascript:
            violations = list(AXE.run(self.page).response["violations"])
        else:
            assert self.axe_copies is not None
            violations = self.axe_copies.violations(self.page)
        if violations:  # every violation kept for a person to read, whatever its impact
            report.write_text(json.dumps(violations, indent=2))
            with A11Y_REPORT.open("a") as summary:
                summary.write(f"{where}:\n{describe_violations(violations)}\n\n")
        failing = [v for v in violations if v.get("impact") in FAILING_IMPACTS]
        assert not failing, (
            f"{where}: accessibility violations (axe-core):\n{describe_violations(failing)}"
        )

    def check_focus_visible(self, presses: int = 2) -> list[str]:
        """Tab from the top of the page to its first links and buttons: each must show
        where the focus is (an outline or a box shadow) and be on screen."""
        self.page.evaluate("() => document.activeElement && document.activeElement.blur()")
        focused_texts = []
        for _ in range(presses):
            self.page.keyboard.press("Tab")
            focused = self.page.evaluate(
                """() => {
                    const el = document.activeElement;
                    const style = getComputedStyle(el);
                    const box = el.getBoundingClientRect();
                    return {tag: el.tagName, text: el.innerText,
                            outline: style.outlineStyle, outlineWidth: style.outlineWidth,
                            shadow: style.boxShadow,
                            onScreen: box.right > 0 && box.bottom > 0 && box.width > 0};
                }"""
            )
            assert focused["tag"] in ("A", "BUTTON", "INPUT", "SELECT", "TEXTAREA"), focused
            visible_outline = focused["outline"] != "none" and focused["outlineWidth"] != "0px"
            assert visible_outline or focused["shadow"] != "none", (
                f"{self.page.url}: no focus indicator on {focused}"
            )
            assert focused["onScreen"], f"{self.page.url}: the focused element is off screen"
            focused_texts.append(focused["text"])
        return focused_texts


class AxeCopies:
    """axe-core waits on timers, which never fire in a page with JavaScript turned off.
    For such a page, axe-core runs here instead: on a copy of the page's HTML, served at
    the same address to a page with JavaScript, which loads the same style sheets."""

    def __init__(self, browser: Browser) -> None:
        self.context = browser.new_context(locale="en-GB")
        self.page = self.context.new_page()
        self.html: dict[str, str] = {}
        self.context.route("**/*", self._serve)

    def _serve(self, route: Route) -> None:
        html = self.html.pop(route.request.url.split("#")[0], None)
        if html is None:
            route.continue_()  # style sheets and images, from the live server
        else:
            route.fulfill(body=html, content_type="text/html; charset=utf-8")

    def violations(self, page: Page) -> list[dict[str, Any]]:
        url = page.url.split("#")[0]
        self.html[url] = page.content()
        if page.viewport_size:
            self.page.set_viewport_size(page.viewport_size)
        self.page.goto(url)
        return list(AXE.run(self.page).response["violations"])

    def close(self) -> None:
        self.context.close()


def transmitted_request(live_server: LiveServer, title: str, measure: str) -> int:
    """Arrange: a request of the demo officer's for one measure, transmitted three weeks
    ago, so that evidence can be recorded for it."""
    with Session(live_server.engine, expire_on_commit=False) as session:
        officer = session.exec(select(User).where(User.email == OFFICER)).one()
        request = create_request(session=session, owner=officer, title=title,
                                 requested_state="US",
                                 content={"measures": [{"kind": measure}]})  # fmt: skip
        request.status = RequestStatus.transmitted
        request.transmitted_on = dt.date.today() - dt.timedelta(days=21)
        session.add(request)
        session.commit()
        assert request.id is not None
        return request.id
