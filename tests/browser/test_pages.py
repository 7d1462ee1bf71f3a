"""A tour of the pages that exist, in a real browser, with and without JavaScript: each
page screenshotted and checked for accessibility (`Visit.check`)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.support import OFFICER, LiveServer, Visit, screenshot_folder

pytestmark = pytest.mark.browser

DEMO_TITLE = "Business e-mail compromise of Qatari importer"


def test_a_signed_out_user_is_sent_to_the_login_page(either_visit: Visit) -> None:
    page = either_visit.page
    either_visit.goto("/rules/")
    expect(page).to_have_url(re.compile(r"/login\?next=/rules/"))
    expect(page.get_by_role("heading", name="Log in", level=1)).to_be_visible()
    either_visit.check("login page")
    assert either_visit.check_focus_visible()[0] == "Skip to main content"


def test_a_wrong_password_is_refused_with_a_message_beside_the_field(either_visit: Visit) -> None:
    page = either_visit.page
    either_visit.goto("/login")
    page.get_by_label("E-mail address").fill(OFFICER)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("There is a problem")
    expect(page.locator(".error-message")).to_contain_text("not right")
    either_visit.check("login refused")


def test_an_officer_tours_the_requests_and_the_rules(either_visit: Visit) -> None:
    page = either_visit.page
    either_visit.login(OFFICER)
    expect(page.get_by_role("heading", level=1)).to_have_text("Requests of Cybercrime Unit, Doha")
    expect(page.get_by_role("row", name=re.compile(DEMO_TITLE))).to_be_visible()
    either_visit.check("requests")
    either_visit.check_focus_visible()

    page.get_by_role("row", name=re.compile(DEMO_TITLE)).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(DEMO_TITLE)
    expect(page.locator(".summary")).to_contain_text("United States")
    either_visit.check("demo request")
    either_visit.check_focus_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Country rules").click()
    expect(page).to_have_url(re.compile(r"/rules/$"))
    either_visit.check("rules")

    page.get_by_role("link", name="United States", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/rules/US$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("United States")
    either_visit.check("rules of the united states")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Route advisor").click()
    expect(page.get_by_role("heading", name="Route advisor", level=1)).to_be_visible()
    either_visit.check("route advisor")
    page.get_by_label("Requesting state").select_option(label="Qatar")
    page.get_by_label("Requested state").select_option(label="United States")
    page.get_by_role("group", name="Measures").get_by_role("checkbox").first.check()
    page.get_by_role("button", name="Show routes").click()
    expect(page.get_by_role("heading", name="Routes from Qatar to United States")).to_be_visible()
    either_visit.check("routes from qatar to the united states")

    either_visit.logout()
    expect(page.get_by_role("status")).to_contain_text("You have logged out.")
    either_visit.check("logged out")
    either_visit.goto("/")
    expect(page).to_have_url(re.compile(r"/login"))


def test_an_officer_reads_the_provider_directory(either_visit: Visit) -> None:
    page = either_visit.page
    either_visit.login(OFFICER)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Providers").click()
    expect(page.get_by_role("heading", name="Service providers", level=1)).to_be_visible()
    either_visit.check("providers")
    either_visit.check_focus_visible()

    page.get_by_role("link", name="Meta Platforms", exact=True).click()
    expect(page).to_have_url(re.compile(r"/providers/meta$"))
    expect(page.get_by_role("heading", name="Who answers for the data")).to_be_visible()
    expect(page.locator("#entities")).to_contain_text("Meta Platforms Ireland Limited")
    either_visit.check("provider meta")

    page.get_by_role("link", name="Compare with other providers").click()
    expect(page.get_by_role("heading", name="Compare providers", level=1)).to_be_visible()
    expect(page.locator(".compare-table td[data-provider=meta]")).to_contain_text("90 days")
    page.get_by_label("Dropbox").check()
    page.get_by_label("Meta Platforms").check()
    page.get_by_role("button", name="Compare").click()
    expect(page.locator(".compare-table thead th")).to_have_text(["Dropbox", "Meta Platforms"])
    either_visit.check("providers compared")


DEMO_TITLES = (
    "Business e-mail compromise of Qatari importer",
    "Sextortion of a minor through a social network",
)


def test_an_officer_gathers_a_cases_requests_and_drafts_another_from_them(visit: Visit) -> None:
    """A case opened, two of the demo requests to two states put in it, a third drafted from
    the first with its account carried over: the case's page shows the three. (Once: the
    demo requests it puts in the case are in no other case only the first time.)"""
    page = visit.page
    visit.login(OFFICER)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
    expect(page.get_by_role("heading", name="Cases", level=1)).to_be_visible()
    visit.check("cases")
    page.get_by_role("link", name="Open a case").click()
    page.get_by_label("Title").fill("Business e-mail compromise ring")
    page.get_by_label("Case number").fill("CYB/2026/0412")
    visit.check("open a case")
    page.get_by_role("button", name="Open the case").click()
    expect(page.locator(".flash-success")).to_contain_text("The case is opened.")
    for title in DEMO_TITLES:  # the demo's, whatever other tests drafted meanwhile
        choice = page.get_by_label("Put an existing request in the case")
        value = choice.locator("option", has_text=title).first.get_attribute("value")
        choice.select_option(value=value)
        page.get_by_role("button", name="Put it in the case").click()
        expect(page.locator(".flash-success")).to_contain_text("is now in the case.")
    expect(page.locator("#case-states tbody tr")).to_have_count(2)
    visit.check("case with two requests")

    page.get_by_role("link", name="Draft a request in this case").click()
    source = page.get_by_label("Start from one of the case's requests")
    value = source.locator("option", has_text=DEMO_TITLES[0]).get_attribute("value")
    source.select_option(value=value)
    page.get_by_role("button", name="Show what it holds").click()
    page.get_by_label("Title", exact=True).fill("The same account, in Ireland")
    page.get_by_label("Requested state").select_option(value="IE")
    visit.check("draft from the case")
    page.get_by_role("button", name="Draft the request").click()
    expect(page.locator(".flash-success")).to_contain_text("is drafted in the case.")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
    page.get_by_role("link", name=re.compile(r"Business e-mail compromise ring")).first.click()
    expect(page.locator("#case-states tbody tr")).to_have_count(3)
    expect(page.locator("#case-shared")).to_contain_text("finance.alwaha@mailhost.example")
    visit.check("case with three requests")


def test_a_case_shared_with_a_partner_unit_is_read_there_and_follows_each_change(
    visit: Visit, browser: Browser, live_server: LiveServer
) -> None:
    """A case opened, two requests to two states drafted in it, shared read-only with the
    Lagos unit: its officer finds it, reads a request of it, and sees the case change on
    their open page when the lead takes a request out, without reloading."""
    page = visit.page
    visit.login(OFFICER)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
    page.get_by_role("link", name="Open a case").click()
    page.get_by_label("Title").fill("Crypto exchange intrusion")
    page.get_by_role("button", name="Open the case").click()
    case_url = page.url
    drafted = []
    for title, state in (("Exchange's logs in Malta", "MT"), ("Wallet host in Lithuania", "LT")):
        page.get_by_role("link", name="Draft a request in this case").click()
        page.get_by_label("Title", exact=True).fill(title)
        page.get_by_label("Requested state").select_option(value=state)
        page.get_by_role("button", name="Draft the request").click()
        message = page.locator(".flash-success").inner_text()
        found = re.search(r"Request (\S+) is drafted", message)
        assert found is not None, message
        drafted.append(found.group(1))
        page.goto(case_url)
    expect(page.locator("#case-states tbody tr")).to_have_count(2)
    page.get_by_label("Share the case with").select_option(label="Economic Crime Unit, Lagos")
    page.get_by_role("button", name="Share the case").click()
    expect(page.locator(".flash-success")).to_contain_text("shared with Economic Crime Unit")
    expect(page.locator("#case-partners")).to_contain_text("No, reads only")
    visit.check("case shared with a partner unit")

    context = browser.new_context(locale="en-GB", timezone_id="Africa/Lagos",
                                  viewport={"width": 1280, "height": 900})  # fmt: skip
    context.set_default_timeout(10_000)
    partner = Visit(page=context.new_page(), server=live_server,
                    folder=screenshot_folder("partner-unit-reads-a-shared-case"))  # fmt: skip
    try:
        partner.login("officer@lagos.example")
        seen = partner.page
        seen.get_by_role("navigation", name="Main").get_by_role("link", name="Cases").click()
        expect(seen.locator("main")).to_contain_text("shared with your unit")
        seen.get_by_role("link", name="Crypto exchange intrusion").click()
        expect(seen.locator("#case-shared-notice")).to_contain_text(
            "shares this case with your unit"
        )
        expect(seen.get_by_role("link", name="Draft a request in this case")).to_have_count(0)
        partner.check("the partner's view of the case")
        seen.locator("#case-requests").get_by_role("link", name=drafted[0]).click()
        expect(seen.locator("main")).to_contain_text("shown read-only")
        partner.check("a request of the case, read-only")
        seen.go_back()
        expect(seen.locator("#case-requests tbody tr")).to_have_count(2)

        row = page.locator("#case-requests tr", has_text=drafted[1])
        row.get_by_role("button", name=re.compile("Take .* out of the case")).click()
        expect(page.locator(".flash-success")).to_contain_text("is no longer in the case")
        expect(seen.locator("#case-requests tbody tr")).to_have_count(1, timeout=25_000)
        expect(seen.locator("#case-live-status")).to_contain_text("The case changed")
        partner.check("the partner's page after the lead's change")
    finally:
        context.close()
