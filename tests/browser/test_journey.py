"""The whole journey of issue 8 in a real browser, with and without JavaScript: an officer
drafts a request to the United States for stored e-mail content through every step of
the wizard, meets the rule check's findings and fixes them, and submits; a reviewer
returns it with a comment; the officer fixes that and resubmits; the reviewer approves;
a prosecutor signs and downloads the packet, whose text is read and whose first page is
kept as an image under test-artifacts/."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import FilePayload, Page, expect
from pypdf import PdfReader

from tests.browser.support import OFFICER, PROSECUTOR, REVIEWER, Visit

pytestmark = pytest.mark.browser

TITLE = "Business e-mail compromise of a Doha importer"
ACCOUNT = "finance.alwaha@mailhost.example"
IP = "198.51.100.23"
FACTS = (
    "Between 3 and 10 March 2026 a person impersonating the finance director of Al Waha "
    f"Trading W.L.L., a Doha importer, sent five e-mails from the address {ACCOUNT} to the "
    "company's accountant, asking for three urgent payments to a supplier's 'new' bank "
    "account in Hong Kong. The accountant paid QAR 1,240,000 on 9 and 10 March 2026. The "
    "real finance director never sent these e-mails. The message headers show that the "
    f"account {ACCOUNT} was created on 1 March 2026 and that every e-mail was sent after a "
    f"login from the IP address {IP}. Mailhost Inc. is a provider based in California."
)
NEXUS = (
    f"The account {ACCOUNT} was used to send every fraudulent payment instruction. Its "
    "stored e-mails, drafts and contacts between 1 and 15 March 2026 will show who prepared "
    "the instructions, where the bank details came from and whether other companies were "
    "targeted. The login records will show the IP addresses of the person who controlled it."
)
PDFTOPPM_FIRST_PAGE = ["-png", "-r", "50", "-f", "1", "-l", "1", "-singlefile"]
REVIEW_NOTE = "Say when the account was created and by which means the headers were obtained."
FACTS_FIXED = FACTS + (
    " The headers were obtained from the accountant's mailbox with her consent on 12 March 2026."
)


def save_and_continue(page: Page) -> None:
    page.locator(".button-row").get_by_role("button", name="Save and continue").click()


def step_heading(page: Page, title: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def officer_drafts(visit: Visit) -> tuple[str, str]:
    """From the requests list through every step of the wizard to submission; returns the
    request's address and its reference."""
    page = visit.page
    visit.login(OFFICER)
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Dashboard").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    visit.check("dashboard")
    nav.get_by_role("link", name="Requests").click()
    page.get_by_role("link", name="New request").click()
    step_heading(page, "New request")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Requested state").select_option(label="United States")
    visit.check("new request")
    page.get_by_role("button", name="Save").click()

    # Step 1: route and requesting authority
    step_heading(page, "Route and requesting authority")
    request_path = re.sub(r"/wizard/route$", "", re.sub(r"^https?://[^/]+", "", page.url))
    bases = page.get_by_role("group", name="Legal basis", exact=True)
    expect(bases).to_be_visible()
    visit.check("step 1 route")
    bases.get_by_label(
        "United Nations Convention against Transnational Organized Crime (New York, 15 November "
        "2000; MTDSG XVIII-12)"
    ).check()
    page.get_by_label("Channel").select_option(value="central_authority")
    page.get_by_label("Language of the request").select_option(value="en")
    authority = page.get_by_role("group", name="Requesting authority")
    authority.get_by_label("Requesting authority").fill("Public Prosecution of the State of Qatar")
    authority.get_by_label("Office", exact=True).fill("Cybercrime Prosecution Office")
    authority.get_by_label("Postal address").fill("Public Prosecution Building, Doha, Qatar")
    authority.get_by_label("Contact person", exact=True).fill("Mariam Al-Kuwari, Prosecutor")
    authority.get_by_label("Phone", exact=True).fill("+974 4000 0000")
    authority.get_by_label("Mobile phone").fill("+974 5500 0000")
    authority.get_by_label("E-mail address", exact=True).fill(
        "cybercrime.prosecution@pp.example.qa"
    )
    authority.get_by_label("Office hours").fill("07:00-14:00 Sunday-Thursday")
    proceedings = page.get_by_role("group", name="Proceedings")
    proceedings.get_by_label("Stage of the proceedings").select_option(value="investigation")
    proceedings.get_by_label("Case number").fill("CYB/2026/0412")
    proceedings.get_by_label("Court or prosecutor in charge").fill(
        "Cybercrime Prosecution Office, Public Prosecution of Qatar"
    )
    # The United States' table gives its central authority no postal or e-mail address.
    addressee = page.get_by_role("group", name="Addressee")
    addressee.get_by_label("E-mail address").fill("central.authority@example.org")
    visit.check("step 1 route filled in")
    save_and_continue(page)

    # Step 2: offences
    step_heading(page, "Offences")
    visit.check("step 2 offences")
    page.get_by_label("Name of the offence").fill("Fraud by means of an information system")
    page.get_by_label("Statutory provision").fill(
        "Law No. 14 of 2014 on the Prevention of Cybercrimes, art. 11"
    )
    page.get_by_label("Maximum penalty in years").fill("3")
    page.get_by_label("Corresponding offence in the requested state").fill(
        "Wire fraud, 18 U.S.C. § 1343"
    )
    save_and_continue(page)

    # Step 3: facts, without the nexus for now
    step_heading(page, "Facts and nexus")
    page.get_by_label("Summary of the facts").fill(FACTS)
    if visit.javascript:  # the live check: the missing nexus is shown before saving
        page.get_by_label("Why the evidence is needed (nexus)").focus()
        page.get_by_label("Summary of the facts").focus()
        expect(page.locator("#step-findings")).to_contain_text("Explain why the evidence")
    visit.check("step 3 facts without the nexus")
    save_and_continue(page)

    # Step 4: persons and identifiers; the IP address first without its time zone
    step_heading(page, "Persons and identifiers")
    visit.check("step 4 persons")
    person = page.get_by_role("group", name="Person 1")
    person.get_by_label("Role").select_option(value="victim")
    person.get_by_label("Full name or company name").fill("Al Waha Trading W.L.L.")
    person.get_by_label("Nationality").select_option(value="QA")
    first = page.get_by_role("group", name="Identifier 1")
    first.get_by_label("Kind").select_option(value="email")
    first.get_by_label("Exact value").fill(ACCOUNT)
    first.get_by_label("Service provider holding the data").fill("Mailhost Inc.")
    page.get_by_role("button", name="Add another identifier").click()
    second = page.get_by_role("group", name="Identifier 2")
    expect(second).to_be_visible()
    visit.check("step 4 a second identifier row")
    second.get_by_label("Kind").select_option(value="ip")
    second.get_by_label("Exact value").fill(IP)
    second.get_by_label("Date and time it was used").fill("2026-03-09T10:14:22")
    second.get_by_label("Service provider holding the data").fill("Mailhost Inc.")
    if visit.javascript:
        second.get_by_label("Time zone of that time").focus()
        page.get_by_label("Full name or company name").focus()
        expect(page.locator("#step-findings")).to_contain_text("Give the time zone")
    visit.check("step 4 ip address without its time zone")
    save_and_continue(page)
    expect(page.get_by_role("alert")).to_contain_text("Give the time zone")
    visit.failed_responses.clear()  # the form sent back with its errors
    visit.check("step 4 refused without the time zone")
    page.get_by_role("group", name="Identifier 2").get_by_label("Time zone of that time").fill(
        "Asia/Qatar"
    )
    save_and_continue(page)

    # Step 5: measures
    step_heading(page, "Measures requested")
    measure = page.get_by_role("group", name="Measure 1")
    measure.get_by_label("Kind of measure").select_option(value="stored_content")
    measure.get_by_role("checkbox", name=re.compile(re.escape(ACCOUNT))).check()
    measure.get_by_label("From").fill("2026-03-01")
    measure.get_by_label("To", exact=True).fill("2026-03-15")
    measure.get_by_label("Details of the measure").fill(
        "E-mails sent and received, drafts and the address book of the account."
    )
    visit.check("step 5 measures")
    save_and_continue(page)

    # Step 6: urgency, preservation and safeguards
    step_heading(page, "Urgency, preservation and safeguards")
    page.get_by_label("The account holder must not be told of the request").check()
    page.get_by_label("Name of the signatory").fill("Noora Al-Thani")
    page.get_by_label("Title and office").fill("Chief Prosecutor, Cybercrime Prosecution Office")
    visit.check("step 6 safeguards")
    save_and_continue(page)

    # Step 7: annexes
    step_heading(page, "Annexes")
    visit.check("step 7 annexes")
    page.get_by_label("File").set_input_files(
        files=[
            FilePayload(
                name="headers.txt",
                mimeType="text/plain",
                buffer=b"Received: from [198.51.100.23] by mailhost.example\n",
            )
        ]
    )
    page.get_by_label("Kind of annex").select_option(value="evidence")
    page.get_by_label("Title", exact=True).fill("Headers of the five fraudulent e-mails")
    page.get_by_label("Language of the document").select_option(value="en")
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("table")).to_contain_text("headers.txt")
    visit.check("step 7 annex uploaded")
    page.get_by_role("link", name="Continue to the check").click()

    # Step 8: the check shows the missing nexus; fix it from there
    step_heading(page, "Check and submit")
    expect(page.get_by_role("alert")).to_contain_text("must be fixed")
    visit.check("step 8 check with problems")
    page.get_by_role("link", name="Fix this in “Facts and nexus”").first.click()
    step_heading(page, "Facts and nexus")
    page.get_by_label("Why the evidence is needed (nexus)").fill(NEXUS)
    if visit.javascript:
        page.get_by_label("Summary of the facts").focus()
        expect(page.locator("#step-findings")).not_to_contain_text("Explain why the evidence")
    page.locator(".button-row").get_by_role(
        "button", name="Save and return to the task list"
    ).click()
    expect(page.get_by_role("list").filter(has_text="Check and submit")).to_be_visible()
    visit.check("task list")
    page.get_by_role("link", name=re.compile("Check and submit")).click()
    step_heading(page, "Check and submit")
    expect(page.get_by_role("alert")).to_have_count(0)
    visit.check("step 8 check ready")
    page.get_by_role("region", name="Submit for review").get_by_role(
        "button", name="Submit for review"
    ).click()
    expect(page.locator(".flash-success")).to_contain_text("Submitted for review.")
    assert visit.status() == "In review"
    visit.check("submitted")
    reference = page.get_by_role("heading", level=1).inner_text().split(":")[0]
    visit.logout()
    return request_path, reference


def reviewer_returns(visit: Visit, request_path: str) -> None:
    page = visit.page
    visit.login(REVIEWER)
    visit.goto(request_path)
    page.get_by_role("link", name="Review this request").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
    visit.check("review")
    page.locator("textarea[name='note-facts']").fill(REVIEW_NOTE)
    page.get_by_role("button", name="Return to the officer with these comments").click()
    expect(page.locator(".flash-success")).to_contain_text("Returned to the officer")
    assert visit.status() == "Returned"
    visit.check("returned")
    visit.logout()


def officer_fixes_and_resubmits(visit: Visit, request_path: str) -> None:
    page = visit.page
    visit.login(OFFICER)
    visit.goto(request_path)
    expect(page.get_by_role("region", name="Returned with comments")).to_contain_text(REVIEW_NOTE)
    visit.check("returned seen by the officer")
    page.get_by_role("link", name="Continue drafting").click()
    expect(page.get_by_role("listitem").filter(has_text="Facts and nexus")).to_contain_text(
        "1 comment from the reviewer"
    )
    visit.check("task list with the comment")
    page.get_by_role("link", name=re.compile("Facts and nexus")).click()
    facts = page.get_by_label("Summary of the facts")
    notes = page.locator("#facts-notes")  # beside the field, and read with it
    expect(notes).to_contain_text(REVIEW_NOTE)
    assert "facts-notes" in (facts.get_attribute("aria-describedby") or "")
    visit.check("the comment beside the field")
    facts.fill(FACTS_FIXED)
    page.locator(".button-row").get_by_role(
        "button", name="Save and return to the task list"
    ).click()
    page.get_by_role("link", name=re.compile("Check and submit")).click()
    visit.check("check before resubmitting")
    page.get_by_role("region", name="Submit for review").get_by_role(
        "button", name="Submit for review"
    ).click()
    expect(page.locator(".flash-success")).to_contain_text("Submitted for review.")
    assert visit.status() == "In review"
    visit.logout()


def reviewer_approves(visit: Visit, request_path: str) -> None:
    page = visit.page
    visit.login(REVIEWER)
    visit.goto(request_path + "/review")
    expect(page.get_by_role("table").filter(has_text="Before")).to_contain_text(
        "The headers were obtained"
    )
    visit.check("review of the changes")
    page.get_by_role("button", name="Approve").click()
    expect(page.locator(".flash-success")).to_contain_text("Approved. The prosecutors")
    assert visit.status() == "Approved"
    visit.logout()


def prosecutor_signs_and_downloads(visit: Visit, request_path: str) -> Path:
    """Sign, then download the signed packet from the request page; the file is kept
    beside the screenshots, and the page then shows its SHA-256 digest."""
    page = visit.page
    visit.login(PROSECUTOR)
    visit.goto(request_path)
    visit.sign(PROSECUTOR)
    expect(page.locator(".flash-success")).to_contain_text("Signed. The packet is being prepared.")
    assert visit.status() == "Signed"
    packet = page.get_by_role("region", name="Request packet")
    visit.check("signed")
    ready = packet.get_by_role("link", name="Download the signed packet (PDF)")
    for _ in range(60):  # rendered by a job: packet.js swaps the link in; without
        if ready.count():  # JavaScript, the box's Refresh link reloads the page
            break
        if not visit.javascript:
            packet.get_by_role("link", name="Refresh").click()
        page.wait_for_timeout(500)
    with page.expect_download() as download_info:
        ready.click()
    download = download_info.value
    assert download.failure() is None, download.failure()
    assert download.suggested_filename.endswith(".pdf"), download.suggested_filename
    pdf = visit.folder / download.suggested_filename
    download.save_as(pdf)
    page.reload()  # the signed packet is stored: the page shows the digest of what was sent
    digest = hashlib.sha256(pdf.read_bytes()).hexdigest()
    expect(packet.locator(".digest code")).to_have_text(digest)
    visit.check("signed packet downloaded")
    visit.logout()
    return pdf


def check_packet(pdf: Path, reference: str) -> None:
    """The packet says what was drafted, with the reviewer's fix; its first page is kept
    as an image (pdftoppm) beside the screenshots, for a person to look at."""
    text = " ".join(" ".join(p.extract_text() or "" for p in PdfReader(pdf).pages).split())
    for expected in (
        reference,
        TITLE,
        "United States",
        ACCOUNT,
        IP,
        "Noora Al-Thani",
        "+974 5500 0000",
    ):
        assert expected in text, f"{expected!r} is not in the packet's text: {text[:2000]}"
    assert "The headers were obtained" in text, "the officer's fix is not in the packet"
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm is missing: `make setup` installs poppler-utils"
    first_page = pdf.with_suffix("")
    subprocess.run(
        [pdftoppm, *PDFTOPPM_FIRST_PAGE, pdf, first_page], check=True, timeout=60
    )  # fmt: skip
    image = first_page.with_suffix(".png")
    assert image.stat().st_size > 1000, image
    # the prosecutor's digital signature covers the whole file, as Poppler reads it
    pdfsig = shutil.which("pdfsig")
    assert pdfsig, "pdfsig is missing: `make setup` installs poppler-utils"
    report = subprocess.run([pdfsig, pdf], capture_output=True, text=True, timeout=60).stdout
    assert "Signature Validation: Signature is Valid." in report, report
    assert "Total document signed" in report, report


def test_the_whole_journey(either_visit: Visit) -> None:
    request_path, reference = officer_drafts(either_visit)
    reviewer_returns(either_visit, request_path)
    officer_fixes_and_resubmits(either_visit, request_path)
    reviewer_approves(either_visit, request_path)
    pdf = prosecutor_signs_and_downloads(either_visit, request_path)
    check_packet(pdf, reference)
