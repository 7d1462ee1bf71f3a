# ruff: noqa: RUF001 (officers' text in other scripts is meant)
"""The officer's and the reviewer's pages in each language (Arabic and French first), in
a real browser:
the language is chosen with the switcher on the login page and kept; every page says its
language and direction, Arabic is mirrored, no English is left in the page's chrome,
nothing scrolls sideways on a 390 px screen, and axe-core finds no serious violation.
Screenshots of the dashboard, the wizard and the review page in each language are kept
under test-artifacts/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache

import pytest
from babel.messages.pofile import read_po
from playwright.sync_api import Browser, Page, expect

from mlat.i18n import LANGUAGES, language_tag, text_direction
from mlat.models import MlaRequest
from tests.browser.support import (
    OFFICER,
    REVIEWER,
    TRANSLATIONS,
    LiveServer,
    Visit,
    screenshot_folder,
)

pytestmark = pytest.mark.browser

WIDE, NARROW = 1280, 390
# Facts as an officer writes them in each language (the user's text, not the interface's).
FACTS = {
    "ar": "أرسل شخص مجهول رسائل احتيالية من الحساب finance.alwaha@mailhost.example إلى محاسب "
    "شركة في الدوحة في 9 مارس 2026، فحوّل 1,240,000 ريال قطري إلى حساب في هونغ كونغ.",
    "fr": "Le 9 mars 2026, un inconnu a écrit depuis finance.alwaha@mailhost.example au "
    "comptable d’une société de Doha, qui a viré 1 240 000 QAR vers un compte à Hong Kong.",
    "zh": "2026年3月9日，一名身份不明者从 finance.alwaha@mailhost.example 向多哈一家公司的会计"
    "发送欺诈邮件，该会计向香港的一个账户汇出1,240,000卡塔尔里亚尔。",
    "ru": "9 марта 2026 года неизвестное лицо с адреса finance.alwaha@mailhost.example написало "
    "бухгалтеру компании в Дохе, который перевёл 1 240 000 катарских риалов на счёт в Гонконге.",
    "es": "El 9 de marzo de 2026, una persona desconocida escribió desde "
    "finance.alwaha@mailhost.example al contador de una empresa de Doha, que transfirió "
    "1.240.000 riales cataríes a una cuenta en Hong Kong.",
    "en": "On 9 March 2026 an unknown person wrote from finance.alwaha@mailhost.example to the "
    "accountant of a Doha company, who paid QAR 1,240,000 to an account in Hong Kong.",
}
# The page's chrome: what the interface itself writes around the user's data.
CHROME = (
    "header nav a, header .who a, header .who button, main h1, main h2, main label, "
    "main legend, main button, main th, main dt, main summary, .caption"
)


@cache
def english_only(language: str) -> frozenset[str]:
    """The English messages whose translation in ``language`` reads differently: seeing
    one of them on a page in that language means a message was left untranslated."""
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as fh:
        catalogue = read_po(fh, locale=language)
    return frozenset(
        m.id
        for m in catalogue
        if isinstance(m.id, str) and m.id and isinstance(m.string, str) and m.string != m.id
        and "%" not in m.id and len(m.id) > 2
    )  # fmt: skip


@pytest.fixture
def english_browser_page(browser: Browser) -> Iterator[Page]:
    """A browser that asks for English: the language comes from the switcher."""
    context = browser.new_context(
        locale="en-GB", timezone_id="Asia/Qatar", viewport={"width": WIDE, "height": 900}
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def visit_in(
    language: str, page: Page, live_server: LiveServer, request: pytest.FixtureRequest
) -> Visit:
    live_server.errors.seen.clear()
    folder = screenshot_folder(f"{request.node.name}")
    return Visit(page=page, server=live_server, folder=folder, language=language)


def check_in_language(visit: Visit, step: str) -> None:
    """What every page in the chosen language must do, wide and on a small screen."""
    page, language = visit.page, visit.language
    visit.check(f"{step} {language}")
    html = page.locator("html")
    expect(html).to_have_attribute("lang", language_tag(language))
    expect(html).to_have_attribute("dir", text_direction(language))
    left = [
        text
        for text in page.locator(CHROME).all_inner_texts()
        if language != "en" and " ".join(text.split()).rstrip(":") in english_only(language)
    ]
    assert not left, f"{step}: English left in the page in {language}: {left}"
    page.set_viewport_size({"width": NARROW, "height": 800})
    try:
        widths = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], f"{step}: scrolls sideways at {NARROW} px: {widths}"
        menu = page.locator("header .nav a").first
        if menu.count():
            expect(menu).to_be_in_viewport()
        visit.screenshot(f"{step} {language} {NARROW}px")
    finally:
        page.set_viewport_size({"width": WIDE, "height": 900})


def choose_language(visit: Visit) -> None:
    """On the login page, in English, pick the language from the switcher."""
    page = visit.page
    visit.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator(".language-menu summary").click()
    page.get_by_role("button", name=LANGUAGES[visit.language]).click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", level=1)).to_have_text(visit.t("Log in"))


def guidance_side(page: Page) -> str:
    """Where the wizard's guidance panel stands beside the form: "left" or "right"."""
    form = page.locator(".wizard-grid > :first-child").bounding_box()
    aside = page.locator(".wizard-grid > aside, .wizard-grid > :nth-child(2)").first
    box = aside.bounding_box()
    assert form is not None and box is not None
    return "left" if box["x"] < form["x"] else "right"


@pytest.mark.parametrize("language", ["ar", "fr", "zh", "ru", "es", "en"])
def test_officer_and_reviewer_work_in_their_language(
    language: str,
    english_browser_page: Page,
    live_server: LiveServer,
    submitted_request: Callable[[str], MlaRequest],
    request: pytest.FixtureRequest,
) -> None:
    visit = visit_in(language, english_browser_page, live_server, request)
    page, t = visit.page, visit.t
    choose_language(visit)
    check_in_language(visit, "login")

    visit.login(OFFICER)
    page.get_by_role("navigation", name=t("Main")).get_by_role("link", name=t("Dashboard")).click()
    check_in_language(visit, "dashboard")
    page.get_by_role("navigation", name=t("Main")).get_by_role("link", name=t("Requests")).click()
    check_in_language(visit, "requests")

    page.get_by_role("link", name=t("New request")).click()
    page.get_by_label(t("Title")).fill("Rançongiciel visant une clinique de Doha")
    page.get_by_label(t("Requested state")).select_option(value="US")
    page.get_by_role("button", name=t("Save"), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Route and requesting authority"))
    check_in_language(visit, "wizard route")
    assert guidance_side(page) == ("left" if language == "ar" else "right")
    # The wizard's facts step, where the requested state's guidance stands beside the form.
    page.goto(re.sub(r"/wizard/route$", "/wizard/facts", page.url))
    check_in_language(visit, "wizard facts")
    assert guidance_side(page) == ("left" if language == "ar" else "right")
    # Writing the facts in the interface's language and saving goes on to the next step.
    page.get_by_label(t("Summary of the facts")).fill(FACTS[language])
    page.get_by_label(t("Why the evidence is needed (nexus)")).fill(FACTS[language])
    page.locator(".button-row").get_by_role("button", name=t("Save and continue")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Persons and identifiers"))
    check_in_language(visit, "wizard persons")

    waiting = submitted_request(f"Review in {language}")
    visit.logout()
    visit.login(REVIEWER)
    visit.goto(f"/requests/{waiting.id}/review")
    check_in_language(visit, "review")
    # The reference stays in one piece, left to right, inside the Arabic heading.
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text(waiting.reference)
