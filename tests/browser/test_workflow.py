"""After approval, in a real browser, with and without JavaScript: a prosecutor signs a
request a reviewer approved; the officer records its transmission, or is told what is
missing."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import pytest
from playwright.sync_api import expect

from mlat.dates import local_date
from mlat.models import MlaRequest
from tests.browser.support import OFFICER, PROSECUTOR, Visit

pytestmark = pytest.mark.browser


def doha_today() -> str:
    """Today where the demo unit works (Asia/Qatar, as the browser): from 21:00 UTC it is
    already tomorrow there, and a transmission dated before the signature is refused."""
    return local_date(dt.datetime.now(dt.UTC), "Asia/Qatar").isoformat()


def test_a_prosecutor_signs_and_the_officer_records_the_transmission(
    either_visit: Visit, approved_request: Callable[[str], MlaRequest]
) -> None:
    visit, page = either_visit, either_visit.page
    request = approved_request("Phishing of a bank's customers through a US-hosted site")
    path = f"/requests/{request.id}"

    visit.login(PROSECUTOR)
    visit.goto(path)
    expect(page.get_by_role("heading", level=1)).to_contain_text(request.reference)
    assert visit.status() == "Approved"
    visit.check("approved request seen by the prosecutor")
    visit.sign(PROSECUTOR)
    expect(page.locator(".flash-success")).to_contain_text("Signed. The packet is being prepared.")
    assert visit.status() == "Signed"
    expect(page.get_by_role("region", name="History")).to_contain_text("Approved → Signed")
    visit.check("signed")
    visit.logout()

    visit.login(OFFICER)
    visit.goto(path)
    actions = page.get_by_role("region", name="What you can do next")
    actions.get_by_label("Channel").select_option(label="Central authority to central authority")
    actions.get_by_label("Reference given by the requested state").fill("DOJ-OIA-182-77421")
    actions.get_by_label("Date").fill(doha_today())
    visit.check("transmission filled in")
    actions.get_by_role("button", name="Record transmission").click()
    expect(page.locator(".flash-success")).to_contain_text("The transmission is recorded.")
    assert visit.status() == "Transmitted"
    expect(page.locator(".summary")).to_contain_text(
        re.compile(r"Central authority to central authority · their reference DOJ-OIA-182-77421")
    )
    visit.check("transmitted")


def test_a_transmission_without_its_channel_is_refused_with_the_reason(
    either_visit: Visit, approved_request: Callable[[str], MlaRequest]
) -> None:
    visit, page = either_visit, either_visit.page
    request = approved_request("Ransomware payment traced to a US exchange")
    visit.login(PROSECUTOR)
    visit.goto(f"/requests/{request.id}")
    visit.sign(PROSECUTOR)
    expect(page.locator(".flash-success")).to_contain_text("Signed. The packet is being prepared.")

    actions = page.get_by_role("region", name="What you can do next")
    actions.get_by_label("Date").fill(doha_today())
    actions.get_by_role("button", name="Record transmission").click()
    expect(page.locator(".flash-error")).to_contain_text("Choose the channel")
    assert visit.status() == "Signed"
    visit.check("transmission refused")
