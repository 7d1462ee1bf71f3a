"""The evidence pages: an officer records what arrived with its files and the sender's
digests, the request page shows it per measure, an item's page shows its chain of
custody, and a download needs a reason."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re

import pytest
from sqlmodel import Session, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from mlat.models import EvidenceItem, MlaRequest, RequestStatus, Role, User
from tests.conftest import Client, LoginAs, MakeRequest, check_page, flashes, text_of
from tests.workflow_helpers import put_in_state

TODAY = dt.date.today()
HEADERS = b"Received: from mailhost.example\r\nSubject: invoice\r\n" * 20
EXPORT = b"subscriber,created\r\nfinance.alwaha@mailhost.example,2025-01-04\r\n"


@pytest.fixture
def officer(login_as: LoginAs) -> User:
    return login_as(Role.officer)


@pytest.fixture
def transmitted(db: Session, officer: User, make_request: MakeRequest) -> MlaRequest:
    content = {"measures": [{"kind": "subscriber_info"}, {"kind": "stored_content"}]}
    request = make_request(officer, "Mailbox of the extortionist", "US", content=content)
    request.transmitted_on = TODAY - dt.timedelta(days=20)
    return put_in_state(db, request, RequestStatus.transmitted)


def _receipt(transmitted: MlaRequest, **extra: object) -> dict[str, object]:
    return {
        "received_on": (TODAY - dt.timedelta(days=1)).isoformat(), "sender": "Google LLC",
        "sender_kind": "provider", "channel": "portal", "sender_reference": "LRS-2026-1234",
        "answer-0": "full", "answer-1": "part",
        "certificate": "Certificate of authenticity of business records, signed 2026-12-01",
        "files": [(io.BytesIO(EXPORT), "subscriber.csv"), (io.BytesIO(HEADERS), "headers.txt")],
        "digests": f"{hashlib.sha256(EXPORT).hexdigest()}  subscriber.csv\n"
                   f"SHA256 (headers.txt) = {'ab' * 32}\n",
        **extra,
    }  # fmt: skip


def test_an_officer_records_what_arrived_and_the_request_page_shows_it(
    client: Client, db: Session, transmitted: MlaRequest
) -> None:
    url = f"/requests/{transmitted.id}/evidence/new"
    response = client.submit(url, _receipt(transmitted), follow_redirects=True)
    page = check_page(response)
    said = " ".join(flashes(page))
    assert "recorded, with 2 files" in said
    assert "The SHA-256 of headers.txt is not the one the sender gave" in said
    measures = text_of(page.select_one("#evidence-measures"))
    assert "Subscriber information: answered in full" in measures
    assert "Stored content: answered in part" in measures
    rows = [text_of(tr) for tr in page.select("#evidence-items tbody tr")]
    assert rows[0].startswith("subscriber.csv") and "Google LLC" in rows[0]
    assert "not the digest the sender gave" in rows[1]
    assert "Partially executed" in text_of(page.select_one(".summary"))
    item = db.exec(select(EvidenceItem).where(EvidenceItem.filename == "headers.txt")).one()
    shown = check_page(client.get(f"/evidence/{item.id}"))
    assert shown.select_one("#digest-mismatch") is not None
    assert hashlib.sha256(HEADERS).hexdigest() in text_of(shown.select_one("#evidence-item"))
    log = [text_of(tr) for tr in shown.select("#custody-log tbody tr")]
    assert "Received" in log[0] and "Its record viewed" in log[1]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"received_on": (TODAY + dt.timedelta(days=2)).isoformat()}, "after today"),
        ({"received_on": "31/12/2026"}, "YYYY-MM-DD"),
        ({"digests": "abc subscriber.csv"}, "Line 1 of the digests"),
        ({"digests": f"{'cd' * 32}  other.bin"}, "a file that was not sent: other.bin"),
    ],
)
def test_a_wrong_receipt_keeps_the_input_and_says_why(
    client: Client, db: Session, transmitted: MlaRequest, change: dict[str, object],
    message: str,
) -> None:  # fmt: skip
    response = client.submit(f"/requests/{transmitted.id}/evidence/new",
                             _receipt(transmitted, **change))  # fmt: skip
    assert response.status_code == 400
    assert message in response.text
    assert 'value="LRS-2026-1234"' in response.text  # what was typed is still there
    assert db.exec(select(EvidenceItem)).first() is None


def test_a_file_larger_than_the_apps_general_limit_is_taken_as_evidence(
    client: Client, db: Session, transmitted: MlaRequest
) -> None:
    """Sent as a browser sends it: one multipart body, built here in memory (the test
    client would stage it in a temporary file that it never closes)."""
    url = f"/requests/{transmitted.id}/evidence/new"
    big = b"\x00evidence" * (30 * 1024 * 1024 // 9)  # past the 25 MB of every other form
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(url).text)
    assert token is not None
    fields = {k: v for k, v in _receipt(transmitted).items() if k not in ("files", "digests")}
    values = MultiDict([("csrf_token", token.group(1)), *fields.items(),
                        ("files", FileStorage(io.BytesIO(big), filename="disk.img"))])  # fmt: skip
    boundary, body = encode_multipart(values)
    response = client.post(url, data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")  # fmt: skip
    assert response.status_code == 303, response.status_code
    item = db.exec(select(EvidenceItem)).one()
    shown = check_page(client.get(f"/evidence/{item.id}"))
    assert hashlib.sha256(big).hexdigest() in shown.text


def test_a_download_needs_a_reason_and_is_named_by_its_digest(
    client: Client, db: Session, transmitted: MlaRequest
) -> None:
    client.submit(f"/requests/{transmitted.id}/evidence/new", _receipt(transmitted))
    item = db.exec(select(EvidenceItem).where(EvidenceItem.filename == "subscriber.csv")).one()
    url = f"/evidence/{item.id}"
    refused = client.submit(f"{url}/download", {"reason": ""}, form_url=url,
                            follow_redirects=True)  # fmt: skip
    assert "Say why you download it" in " ".join(flashes(check_page(refused)))
    got = client.submit(f"{url}/download", {"reason": "For the court file"}, form_url=url)
    digest = hashlib.sha256(EXPORT).hexdigest()
    assert got.status_code == 200 and got.data == EXPORT
    assert f"subscriber.sha256-{digest}.csv" in got.headers["Content-Disposition"]
    assert got.headers["Content-Type"] == "application/octet-stream"
    handed = client.submit(f"{url}/hand-over", {"recipient": "Digital forensics lab",
                                                "reason": "Analysis"},
                           form_url=url, follow_redirects=True)  # fmt: skip
    log = [text_of(tr) for tr in check_page(handed).select("#custody-log tbody tr")]
    assert any("Downloaded" in row and "For the court file" in row for row in log)
    assert any("Handed over" in row and "Digital forensics lab" in row for row in log)


def test_evidence_is_not_recorded_for_a_draft(
    client: Client, officer: User, make_request: MakeRequest
) -> None:
    draft = make_request(officer, "Still a draft", "GB")
    response = client.get(f"/requests/{draft.id}/evidence/new", follow_redirects=True)
    assert "once the request is transmitted" in " ".join(flashes(check_page(response)))
    assert "Record evidence received" not in client.get(f"/requests/{draft.id}").text
