"""Evidence files in a real browser: with JavaScript, the receipt form sends each file
ahead in chunks with a progress bar, and a connection that breaks resumes (with Resume,
or after a reload, by choosing the same file again) without sending again what arrived;
without JavaScript, the form sends the file itself. Either way the receipt is recorded
with the file's digest."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, Request, Route, expect
from sqlmodel import Session, col, select

from mlat.evidence_store import CHUNK
from mlat.models import EvidenceBlob, EvidenceItem
from mlat.services import evidence_uploads
from tests.browser.support import OFFICER, LiveServer, Visit, transmitted_request

pytestmark = pytest.mark.browser

MB = 1024 * 1024
SIZE = 17 * MB  # three chunks of 8 MiB, the last one short
CHUNK_URL = re.compile(r"/evidence/uploads/\d+/chunks/(\d+)$")


def _evidence_file(folder: Path, name: str, size: int = SIZE) -> tuple[Path, str]:
    """A file of ``size`` bytes on disk (its date stays the same when chosen again), and
    its SHA-256."""
    block = b"".join(hashlib.sha256(name.encode() + bytes([i])).digest() for i in range(256))
    data = (block * (size // len(block) + 1))[:size]
    path = folder / name
    path.write_bytes(data)
    return path, hashlib.sha256(data).hexdigest()


def _recorded_digest(live_server: LiveServer, request_id: int, name: str) -> str:
    with Session(live_server.engine) as session:
        blob = session.exec(
            select(EvidenceBlob)
            .join(EvidenceItem, col(EvidenceItem.blob_id) == col(EvidenceBlob.id))
            .where(EvidenceItem.request_id == request_id, EvidenceItem.filename == name)
        ).one()
        return blob.sha256


def _fill(page: Page, path: Path) -> None:
    page.get_by_label("Sender", exact=True).fill("Mailhost Inc.")
    page.get_by_label("The sender is").select_option(value="provider")
    page.get_by_label("Files received").set_input_files(str(path))


def _chunks_put(page: Page) -> list[int]:
    """The numbers of the chunks the page puts, as it puts them."""
    seen: list[int] = []

    def note(request: Request) -> None:
        found = CHUNK_URL.search(request.url)
        if request.method == "PUT" and found:
            seen.append(int(found.group(1)))

    page.on("request", note)
    return seen


def test_an_officer_records_a_large_file_sent_in_chunks_or_by_the_form(
    either_visit: Visit, live_server: LiveServer, tmp_path: Path
) -> None:
    visit, page = either_visit, either_visit.page
    request_id = transmitted_request(live_server, "Mailbox of the extortionist", "stored_content")
    path, sha256 = _evidence_file(tmp_path, "mailbox.mbox")
    put = _chunks_put(page)
    visit.login(OFFICER)
    visit.goto(f"/requests/{request_id}/evidence/new")
    _fill(page, path)
    page.get_by_label("Digests the sender gave (SHA-256)").fill(f"{sha256}  mailbox.mbox")
    visit.check("a file chosen")
    page.get_by_role("button", name="Record the evidence").click()
    expect(page.locator(".flash-success")).to_contain_text("recorded, with 1 file")
    expect(page.locator(".flash-error")).to_have_count(0)  # the digest is the one given
    visit.check("recorded")
    assert put == ([0, 1, 2] if visit.javascript else [])
    assert _recorded_digest(live_server, request_id, "mailbox.mbox") == sha256


def test_a_broken_upload_resumes_without_sending_again_what_arrived(
    visit: Visit, live_server: LiveServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # chunks of 1 MiB (the live server runs in this process): what the test's broken
    # connection lets through passes Playwright's interception, which is slow for 8 MiB
    monkeypatch.setattr(evidence_uploads, "CHUNK_SIZE", CHUNK)
    page = visit.page
    request_id = transmitted_request(
        live_server, "Disk image of the seized laptop", "stored_content"
    )
    path, sha256 = _evidence_file(tmp_path, "laptop.img", 3 * MB + 1000)
    form = f"/requests/{request_id}/evidence/new"
    put = _chunks_put(page)
    broken: set[int] = {1}

    def connection(route: Route) -> None:
        found = CHUNK_URL.search(route.request.url)
        if found and int(found.group(1)) in broken:
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/chunks/*", connection)
    visit.login(OFFICER)
    visit.goto(form)
    page.locator("form[data-uploads]").evaluate("f => f.setAttribute('data-retry-ms', '20')")
    _fill(page, path)
    page.get_by_role("button", name="Record the evidence").click()
    resume = page.get_by_role("button", name="Resume")
    expect(resume).to_be_visible()
    line = page.locator("#upload-progress li").first
    expect(line).to_contain_text("laptop.img: the connection broke")
    assert page.locator("#upload-progress progress").evaluate("bar => bar.value") == MB
    visit.check("the connection broke")

    broken.clear()
    broken.add(2)  # chunk 1 gets through now, chunk 2 does not
    resume.click()
    expect(line).to_contain_text("the connection broke")
    expect(resume).to_be_visible()
    assert page.locator("#upload-progress progress").evaluate("bar => bar.value") == 2 * MB

    broken.clear()  # the officer comes back later, and chooses the same file again
    visit.goto(form)
    _fill(page, path)
    page.get_by_role("button", name="Record the evidence").click()
    expect(page.locator(".flash-success")).to_contain_text("recorded, with 1 file")
    # chunk 0 once; 1 and 2 broke four times each, then went through; 3 once
    assert put == [0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3]
    assert _recorded_digest(live_server, request_id, "laptop.img") == sha256
