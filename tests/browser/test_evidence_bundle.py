"""Evidence in a real browser, with JavaScript turned off: an officer records what
arrived, exports it as a signed bundle, and checks the bundle on the verification page,
intact and then with one byte changed."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.support import OFFICER, LiveServer, Visit, transmitted_request

pytestmark = pytest.mark.browser

TITLE = "Invoice fraud: the supplier's mailbox"
EXPORT = b"subscriber,created\r\nfinance.alwaha@mailhost.example,2025-01-04\r\n"


def _changed(data: bytes) -> tuple[bytes, str]:
    """The bundle with one byte of its evidence file changed, and that file's name."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        changed = ""
        for info in source.infolist():
            content = source.read(info)
            if info.filename.startswith("evidence/") and not changed:
                content, changed = b"X" + content[1:], info.filename
            target.writestr(info, content)
    return out.getvalue(), changed


def test_an_officer_records_exports_and_checks_a_bundle(
    js_disabled_visit: Visit, live_server: LiveServer, tmp_path: Path
) -> None:
    visit, page = js_disabled_visit, js_disabled_visit.page
    request_id = transmitted_request(live_server, TITLE, "subscriber_info")
    (tmp_path / "subscriber.csv").write_bytes(EXPORT)
    visit.login(OFFICER)
    visit.goto(f"/requests/{request_id}")
    page.get_by_role("link", name="Record evidence received").click()
    page.get_by_label("Sender", exact=True).fill("Google LLC")
    page.get_by_label("The sender is").select_option(value="provider")
    page.get_by_label("The sender's reference").fill("LRS-2026-5521")
    page.get_by_label("1. Subscriber information").select_option(value="full")
    page.get_by_label("Files received").set_input_files(str(tmp_path / "subscriber.csv"))
    visit.check("record evidence")
    page.get_by_role("button", name="Record the evidence").click()
    expect(page.locator(".flash-success")).to_contain_text("recorded, with 1 file")
    expect(page.locator("#evidence-measures")).to_contain_text("answered in full")

    page.get_by_role("link", name="Export an evidence bundle").click()
    expect(page.get_by_role("heading", name="Export an evidence bundle")).to_be_visible()
    page.get_by_label("For", exact=True).fill("Criminal Court of Doha")
    page.get_by_label("Why", exact=True).fill("Disclosure to the defence")
    visit.check("export a bundle")
    with page.expect_download() as download:
        page.get_by_role("button", name="Export the bundle").click()
    bundle = tmp_path / "bundle.asice"
    download.value.save_as(bundle)
    assert download.value.suggested_filename.endswith(".asice")

    visit.goto("/evidence/verify")
    page.get_by_label("Evidence bundle (.asice)").set_input_files(str(bundle))
    page.get_by_role("button", name="Check the bundle").click()
    expect(page.locator("#verdict")).to_contain_text("Intact: every file is the one")
    expect(page.locator("#bundle-files tbody tr")).to_have_count(3)  # the file, two records
    visit.check("bundle intact")

    tampered, name = _changed(bundle.read_bytes())
    (tmp_path / "tampered.asice").write_bytes(tampered)
    page.get_by_label("Evidence bundle (.asice)").set_input_files(str(tmp_path / "tampered.asice"))
    page.get_by_role("button", name="Check the bundle").click()
    expect(page.locator("#verdict")).to_contain_text("Not confirmed")
    expect(page.locator("#problems")).to_contain_text(f"{name} was changed")
    visit.check("bundle changed")
