"""The journey of test_journey, driven through the HTTP API by a case-management system:
each user makes a token on their account page in the browser, then the system drafts,
fixes, submits, returns, resubmits, approves, signs and downloads through the API. The
request and the packet are those the pages made, but for the reference."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import pytest
import requests
from playwright.sync_api import expect
from pypdf import PdfReader

from tests.browser.support import OFFICER, PROSECUTOR, REVIEWER, Visit
from tests.browser.test_journey import (
    FACTS,
    FACTS_FIXED,
    REVIEW_NOTE,
    officer_drafts,
    officer_fixes_and_resubmits,
    prosecutor_signs_and_downloads,
    reviewer_approves,
    reviewer_returns,
)

pytestmark = pytest.mark.browser


def token_made_on_the_account_page(visit: Visit, email: str) -> str:
    """Log in, make a token on the account page (with a code when two-factor is on), and
    read it the one time it is shown."""
    page = visit.page
    visit.login(email)
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("API tokens")
    page.get_by_label("Name", exact=True).fill("Case system")
    for scope in ("write", "workflow"):
        page.locator(f"#scopes-{scope}").check()
    page.get_by_label("Your password").fill(visit.server.passwords[email])
    if page.get_by_label("Code from your authenticator app").count():
        page.get_by_label("Code from your authenticator app").fill(visit.server.phone.code(email))
    page.get_by_role("button", name="Make the token").click()
    secret = page.locator("code.token-secret")
    expect(secret).to_be_visible()
    visit.check("token made")
    token = secret.inner_text()
    visit.goto("/account/tokens")
    expect(page.locator("code.token-secret")).to_have_count(0)  # shown once
    expect(page.locator("#token-list")).to_contain_text(token[:12])
    visit.logout()
    return token


class System:
    """The case-management system, calling the API with one user's token."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.session = base, requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, status: int = 200, **kwargs: Any) -> Any:
        url = path if path.startswith("http") else self.base + path
        answer = self.session.request(method, url, timeout=60, **kwargs)
        assert answer.status_code == status, f"{method} {path}: {answer.text}"
        return answer

    def act(self, request_id: int, action: str, **body: Any) -> Any:
        etag = self.call("GET", f"/api/v1/requests/{request_id}").headers["ETag"]
        return self.call("POST", f"/api/v1/requests/{request_id}/actions/{action}", json=body,
                         headers={"If-Match": etag}).json()  # fmt: skip


def packet_text(pdf: bytes, reference: str) -> str:
    from io import BytesIO

    text = " ".join(" ".join(p.extract_text() or "" for p in PdfReader(BytesIO(pdf)).pages).split())
    return text.replace(reference, "<reference>")


def test_the_journey_through_the_api_makes_the_same_request_and_packet(visit: Visit) -> None:
    request_path, reference = officer_drafts(visit)
    reviewer_returns(visit, request_path)
    officer_fixes_and_resubmits(visit, request_path)
    reviewer_approves(visit, request_path)
    page_pdf = prosecutor_signs_and_downloads(visit, request_path).read_bytes()
    page_id = int(request_path.rsplit("/", 1)[-1])

    visit.login(OFFICER)  # the API's page, as a person reads it
    visit.goto("/api/v1/docs")
    expect(visit.page.locator("#op-take_action")).to_contain_text("Take a workflow action")
    visit.check("API documentation")
    visit.logout()
    base = visit.server.url
    drafting = System(base, token_made_on_the_account_page(visit, OFFICER))
    reviewing = System(base, token_made_on_the_account_page(visit, REVIEWER))
    signing = System(base, token_made_on_the_account_page(visit, PROSECUTOR))
    by_pages = drafting.call("GET", f"/api/v1/requests/{page_id}/document").json()
    annexes = drafting.call("GET", f"/api/v1/requests/{page_id}/annexes").json()["annexes"]
    header_file = drafting.call("GET", annexes[0]["download"]).content

    # The system sends the first draft, as the officer first saved it: no nexus yet.
    first = by_pages | {"facts": FACTS, "nexus": "", "reference": "", "annexes": []}
    title = "Business e-mail compromise of a Doha importer"
    created = drafting.call("POST", "/api/v1/requests", 201, params={"title": title},
                           json=first).json()  # fmt: skip
    rid = created["id"]
    findings = drafting.call("GET", f"/api/v1/requests/{rid}/findings").json()
    assert not findings["submittable"]
    assert any(f["field"] == "nexus" and f["severity"] == "error" for f in findings["findings"])
    drafting.call("POST", f"/api/v1/requests/{rid}/annexes", 201,
                  headers={"If-Match": f'"v{created["version"]}"'},
                  files={"file": ("headers.txt", header_file, "text/plain")},
                  data={"kind": "evidence", "title": annexes[0]["title"],
                        "language": "en"})  # fmt: skip
    current = drafting.call("GET", f"/api/v1/requests/{rid}")
    with_nexus = current.json()["document"] | {"nexus": by_pages["nexus"]}
    drafting.call("PUT", f"/api/v1/requests/{rid}/document", json=with_nexus,
                  headers={"If-Match": current.headers["ETag"]})  # fmt: skip
    assert drafting.act(rid, "submit")["status"] == "in_review"

    read = reviewing.call("GET", f"/api/v1/requests/{rid}").json()
    note = [{"field": "facts", "comment": REVIEW_NOTE}]
    returned = reviewing.act(rid, "return", comment="", field_comments=note)
    assert returned["status"] == "returned", read

    current = drafting.call("GET", f"/api/v1/requests/{rid}")
    fixed = current.json()["document"] | {"facts": FACTS_FIXED}
    drafting.call("PUT", f"/api/v1/requests/{rid}/document", json=fixed,
                  headers={"If-Match": current.headers["ETag"]})  # fmt: skip
    assert drafting.act(rid, "submit")["status"] == "in_review"
    read = reviewing.call("GET", f"/api/v1/requests/{rid}").json()
    approved = reviewing.act(rid, "approve", seen_digest=read["content_digest"])
    assert approved["status"] == "approved"
    signed = signing.act(rid, "sign", confirm=True, password=visit.server.passwords[PROSECUTOR],
                         code=visit.server.phone.code(PROSECUTOR))  # fmt: skip
    assert signed["status"] == "signed"
    for _ in range(120):  # rendered by a job
        copy = signing.call("GET", f"/api/v1/requests/{rid}/packet").json()["copies"][0]
        if copy["status"] == "ready":
            break
        visit.page.wait_for_timeout(500)
    api_pdf = signing.call("GET", copy["download"]).content
    assert hashlib.sha256(api_pdf).hexdigest() == copy["sha256"]

    # The same request, but for its reference, and the same packet.
    by_api = drafting.call("GET", f"/api/v1/requests/{rid}/document").json()
    assert by_api["reference"] != by_pages["reference"]
    assert {**by_api, "reference": ""} == {**by_pages, "reference": ""}
    assert packet_text(api_pdf, by_api["reference"]) == packet_text(page_pdf, reference)
    history = drafting.call("GET", f"/api/v1/requests/{rid}/history").json()["events"]
    assert [e["action"] for e in history] == ["submit", "return", "submit", "approve", "sign"]
    assert re.fullmatch(r"[A-Z]+-\d{4}-\d{4}", by_api["reference"])
