"""Evidence files sent ahead of a receipt in chunks, each with its SHA-256, resumable
after a broken connection; staged encrypted, then recorded by the receipt form, which
names the uploads; and swept when left behind. (The form without its script, which
sends the files itself, is tested in test_evidence_pages.py.)"""

from __future__ import annotations

import base64
import datetime as dt
import fcntl
import hashlib
import io
import os
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlmodel import Session, select
from werkzeug.test import TestResponse

from mlat.evidence_store import CHUNK, EvidenceStore
from mlat.models import (
    EvidenceBlob,
    EvidenceItem,
    EvidenceReceipt,
    EvidenceUpload,
    MlaRequest,
    RequestStatus,
    Role,
    User,
)
from mlat.services import evidence_uploads
from tests.conftest import Client, LoginAs, MakeRequest, MakeUser, check_page, flashes
from tests.flask_cli import flask
from tests.route_access import token_of
from tests.test_evidence import s3_endpoint, store  # noqa: F401 (the two back ends)
from tests.workflow_helpers import put_in_state

TODAY = dt.date.today()
MB = 1024 * 1024


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 1 MiB (the smallest, one record), so that a few MB make several."""
    monkeypatch.setattr(evidence_uploads, "CHUNK_SIZE", CHUNK)


@pytest.fixture
def officer(login_as: LoginAs) -> User:
    return login_as(Role.officer)


@pytest.fixture
def transmitted(db: Session, officer: User, make_request: MakeRequest) -> MlaRequest:
    content = {"measures": [{"kind": "subscriber_info"}, {"kind": "stored_content"}]}
    request = make_request(officer, "Mailbox of the extortionist", "US", content=content)
    request.transmitted_on = TODAY - dt.timedelta(days=20)
    return put_in_state(db, request, RequestStatus.transmitted)


def _form(request: MlaRequest) -> str:
    return f"/requests/{request.id}/evidence/new"


@pytest.fixture
def token(client: Client, transmitted: MlaRequest) -> str:
    """The CSRF token of the receipt form, which its script sends in a header."""
    return token_of(client.get(_form(transmitted)).text)


def content(size: int, seed: bytes = b"evidence") -> bytes:
    """``size`` bytes that differ from file to file and from chunk to chunk."""
    block = b"".join(hashlib.sha256(seed + bytes([i])).digest() for i in range(256))
    return (block * (size // len(block) + 1))[:size]


def content_digest(data: bytes) -> str:
    return f"sha-256=:{base64.b64encode(hashlib.sha256(data).digest()).decode()}:"


class Uploader:
    """The receipt form's script, as calls: start, put chunks, ask, remove."""

    def __init__(self, client: Client, token: str, request: MlaRequest) -> None:
        self.client, self.token, self.request = client, token, request

    def start(self, name: str, size: int) -> TestResponse:
        return self.client.post(f"/requests/{self.request.id}/evidence/uploads",
                                json={"filename": name, "size": size},
                                headers={"X-CSRFToken": self.token})  # fmt: skip

    def put(self, upload_id: int, n: int, data: bytes, digest: str | None = None,
            **kwargs: Any) -> TestResponse:  # fmt: skip
        headers = {"X-CSRFToken": self.token, "Content-Digest": digest or content_digest(data)}
        return self.client.put(f"/evidence/uploads/{upload_id}/chunks/{n}", data=data,
                               headers=headers, content_type="application/octet-stream",
                               **kwargs)  # fmt: skip

    def ask(self, upload_id: int) -> TestResponse:
        return self.client.get(f"/evidence/uploads/{upload_id}")

    def remove(self, upload_id: int) -> TestResponse:
        return self.client.delete(f"/evidence/uploads/{upload_id}",
                                  headers={"X-CSRFToken": self.token})  # fmt: skip

    def send(self, name: str, data: bytes, *, upto: int | None = None) -> int:
        """Start an upload and send its chunks (those before ``upto``); its id."""
        started = self.start(name, len(data))
        assert started.status_code == 201, started.json
        upload_id: int = started.json["id"]  # type: ignore[index]
        chunks = [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]
        for n, chunk in enumerate(chunks[:upto]):
            answer = self.put(upload_id, n, chunk)
            assert answer.status_code == 200, answer.json
        return upload_id


@pytest.fixture
def uploader(client: Client, token: str, transmitted: MlaRequest) -> Uploader:
    return Uploader(client, token, transmitted)


def _receipt(client: Client, request: MlaRequest, uploads: list[int], **extra: str) -> TestResponse:
    fields = {"received_on": (TODAY - dt.timedelta(days=1)).isoformat(), "sender": "Google LLC",
              "sender_kind": "provider", "channel": "portal", "sender_reference": "LRS-1",
              "answer-0": "full", "upload": [str(u) for u in uploads], **extra}  # fmt: skip
    return client.submit(_form(request), fields)


def _staging(app: Flask, upload_id: int, db: Session) -> Path:
    db.expire_all()
    upload = db.get_one(EvidenceUpload, upload_id)
    return evidence_uploads.staging_path(app.extensions["mlat_evidence"], upload)


def test_a_file_sent_in_chunks_is_recorded_with_its_digest_checked(
    app: Flask, client: Client, db: Session, store: EvidenceStore,  # noqa: F811
    uploader: Uploader, transmitted: MlaRequest,
) -> None:  # fmt: skip
    app.extensions["mlat_evidence"] = store  # a folder, then an S3-compatible bucket
    data = content(3 * MB + MB // 2)
    started = uploader.start("mailbox.mbox", len(data))
    assert started.status_code == 201
    state = started.json
    assert state is not None and (state["chunk_size"], state["received"]) == (CHUNK, 0)
    upload_id = state["id"]
    for n in range(4):
        answer = uploader.put(upload_id, n, data[n * CHUNK : (n + 1) * CHUNK])
        assert answer.status_code == 200, answer.json
        assert answer.json is not None and answer.json["received"] == min(len(data), (n + 1) * MB)
    asked = uploader.ask(upload_id).json
    assert asked is not None and asked["complete"] and asked["size"] == len(data)
    staging = _staging(app, upload_id, db)
    assert staging.parent == store.scratch
    sha256 = hashlib.sha256(data).hexdigest()
    recorded = _receipt(client, transmitted, [upload_id], digests=f"{sha256}  mailbox.mbox")
    assert recorded.status_code == 303, recorded.text
    page = check_page(client.get(recorded.location))
    assert any("recorded, with 1 file" in said for said in flashes(page))
    assert not any("not the one the sender gave" in said for said in flashes(page))
    item = db.exec(select(EvidenceItem)).one()
    blob = db.get_one(EvidenceBlob, item.blob_id)
    assert (item.filename, item.sender_sha256, blob.sha256) == ("mailbox.mbox", sha256, sha256)
    assert db.exec(select(EvidenceUpload)).first() is None and not staging.exists()
    got = client.submit(f"/evidence/{item.id}/download", {"reason": "For the court file"},
                        form_url=f"/evidence/{item.id}")  # fmt: skip
    assert got.status_code == 200 and got.data == data


def test_a_digest_the_sender_gave_that_differs_is_flagged_for_an_uploaded_file(
    client: Client, db: Session, uploader: Uploader, transmitted: MlaRequest
) -> None:
    upload_id = uploader.send("export.csv", b"subscriber,created\r\n")
    recorded = _receipt(client, transmitted, [upload_id], digests=f"{'ab' * 32}  export.csv")
    page = check_page(client.get(recorded.location))
    assert any("The SHA-256 of export.csv is not the one" in said for said in flashes(page))
    refused = _receipt(client, transmitted, [], digests=f"{'ab' * 32}  export.csv")
    assert "a file that was not sent: export.csv" in refused.text  # the upload is recorded


def test_an_empty_file_is_whole_at_once(
    client: Client, db: Session, uploader: Uploader, transmitted: MlaRequest
) -> None:
    started = uploader.start("empty.log", 0)
    assert started.status_code == 201 and started.json is not None and started.json["complete"]
    assert _receipt(client, transmitted, [started.json["id"]]).status_code == 303
    assert db.exec(select(EvidenceBlob)).one().sha256 == hashlib.sha256(b"").hexdigest()


def test_a_broken_upload_resumes_from_what_arrived(
    app: Flask, db: Session, uploader: Uploader, client: Client, transmitted: MlaRequest
) -> None:
    data = content(3 * MB - 100)
    upload_id = uploader.send("disk.img", data, upto=1)
    staging = _staging(app, upload_id, db)
    kept = staging.stat().st_size
    # chunk 1 breaks off midway: the connection ends before its length
    broken = uploader.put(upload_id, 1, b"", input_stream=io.BytesIO(data[MB : MB + 1000]),
                          content_length=MB)  # fmt: skip
    assert broken.status_code == 400 and broken.json is not None and broken.json["error"]
    assert staging.stat().st_size == kept  # nothing of it kept
    asked = uploader.ask(upload_id).json
    assert asked is not None and (asked["received"], asked["complete"]) == (MB, False)
    again = uploader.put(upload_id, 0, data[:MB])  # chunk 0 again: the answer was lost
    assert again.status_code == 200 and again.json is not None and again.json["received"] == MB
    assert staging.stat().st_size == kept  # not written twice
    for n in (1, 2):
        assert uploader.put(upload_id, n, data[n * MB : (n + 1) * MB]).status_code == 200
    assert _receipt(client, transmitted, [upload_id]).status_code == 303
    blob = db.exec(select(EvidenceBlob)).one()
    assert blob.sha256 == hashlib.sha256(data).hexdigest()


def test_a_damaged_chunk_is_refused_and_nothing_appended(
    app: Flask, db: Session, uploader: Uploader
) -> None:
    data = content(2 * MB)
    upload_id = uploader.send("disk.img", data, upto=1)
    kept = _staging(app, upload_id, db).stat().st_size
    damaged = bytes([data[MB] ^ 1]) + data[MB + 1 :]
    refused = uploader.put(upload_id, 1, damaged, digest=content_digest(data[MB:]))
    assert refused.status_code == 400
    assert refused.json is not None
    assert refused.json["error"] == "Chunk 1 arrived damaged; send it again."
    assert refused.json["received"] == MB
    unsaid = uploader.put(upload_id, 1, data[MB:], digest="md5=:AAAA:")
    assert unsaid.status_code == 400 and "Content-Digest" in unsaid.json["error"]  # type: ignore[index]
    long = uploader.put(upload_id, 1, data[MB:] + b"x")
    assert long.status_code == 400 and "should be 1048576 bytes" in long.json["error"]  # type: ignore[index]
    assert _staging(app, upload_id, db).stat().st_size == kept
    assert db.get_one(EvidenceUpload, upload_id).received == MB


def test_a_chunk_larger_than_any_chunk_is_refused_before_it_is_read(
    uploader: Uploader,
) -> None:
    upload_id = uploader.send("disk.img", content(3 * MB), upto=0)
    refused = uploader.put(upload_id, 0, content(CHUNK + 2**17))
    assert refused.status_code == 413 and refused.json is not None
    assert "too large" in refused.json["error"]


def test_a_chunk_out_of_order_is_refused_with_the_state(uploader: Uploader) -> None:
    data = content(3 * MB)
    upload_id = uploader.send("disk.img", data, upto=1)
    refused = uploader.put(upload_id, 2, data[2 * MB :])
    assert refused.status_code == 409
    assert refused.json is not None and refused.json["received"] == MB
    assert refused.json["error"] == "Chunk 2 came before chunk 1; send chunk 1."


def test_a_chunk_arriving_while_another_is_written_is_told_to_wait(
    app: Flask, db: Session, uploader: Uploader
) -> None:
    data = content(2 * MB)
    upload_id = uploader.send("disk.img", data, upto=0)
    with _staging(app, upload_id, db).open("rb") as held:  # as the other chunk's request
        fcntl.flock(held, fcntl.LOCK_EX)
        busy = uploader.put(upload_id, 0, data[:MB])
    assert busy.status_code == 409 and "being received already" in busy.json["error"]  # type: ignore[index]
    assert uploader.put(upload_id, 0, data[:MB]).status_code == 200


def test_another_users_upload_is_not_theirs(
    app: Flask, db: Session, make_user: MakeUser, uploader: Uploader, transmitted: MlaRequest
) -> None:
    data = content(2 * MB)
    upload_id = uploader.send("disk.img", data)
    colleague: Client = app.test_client()  # type: ignore[assignment]
    assert colleague.login(make_user(Role.officer).email).status_code == 302
    theirs = Uploader(colleague, token_of(colleague.get(_form(transmitted)).text), transmitted)
    assert theirs.ask(upload_id).status_code == 404
    assert theirs.put(upload_id, 0, data[:MB]).status_code == 404
    assert theirs.remove(upload_id).status_code == 404
    refused = _receipt(colleague, transmitted, [upload_id])
    assert refused.status_code == 400 and "No such upload" in refused.text
    assert db.exec(select(EvidenceReceipt)).first() is None
    assert uploader.ask(upload_id).status_code == 200  # still the uploader's
    assert uploader.remove(upload_id).status_code == 204
    assert uploader.ask(upload_id).status_code == 404


@pytest.mark.parametrize("why", ["incomplete", "another request"])
def test_an_upload_not_ready_for_this_receipt_is_refused_and_nothing_recorded(
    app: Flask, client: Client, db: Session, officer: User, make_request: MakeRequest,
    uploader: Uploader, transmitted: MlaRequest, why: str,
) -> None:  # fmt: skip
    data = content(2 * MB)
    whole = uploader.send("whole.bin", b"complete")
    if why == "incomplete":
        upload_id, said = uploader.send("disk.img", data, upto=1), "has not arrived whole"
        target = transmitted
    else:
        upload_id, said = uploader.send("disk.img", data), "uploaded for another request"
        target = put_in_state(db, make_request(officer, "Another"), RequestStatus.acknowledged)
    refused = _receipt(client, target, [whole, upload_id])
    assert refused.status_code == 400 and said in refused.text
    assert db.exec(select(EvidenceReceipt)).first() is None
    assert db.exec(select(EvidenceBlob)).first() is None
    page = check_page(refused)  # shown again, with what was sent already
    kept = [str(tag["value"]) for tag in page.select('#sent-ahead input[name="upload"]')]
    assert kept == ([str(whole), str(upload_id)] if why == "incomplete" else [])
    assert _staging(app, upload_id, db).exists()


def test_the_staging_file_is_encrypted(app: Flask, db: Session, uploader: Uploader) -> None:
    data = b"Subject: the ransom, account 4242-1313\r\n" * (MB // 40 + 1000)
    upload_id = uploader.send("mailbox.mbox", data)
    staged = _staging(app, upload_id, db).read_bytes()
    assert len(staged) > len(data)
    assert b"ransom" not in staged and b"4242-1313" not in staged


@pytest.mark.parametrize("change", ["one byte", "cut short", "lengthened", "removed"])
def test_a_staging_file_changed_on_disk_is_refused(
    app: Flask, client: Client, db: Session, uploader: Uploader, transmitted: MlaRequest,
    change: str,
) -> None:  # fmt: skip
    upload_id = uploader.send("disk.img", content(2 * MB + 10))
    staging = _staging(app, upload_id, db)
    original = staging.read_bytes()
    if change == "one byte":
        staging.write_bytes(original[:5000] + bytes([original[5000] ^ 1]) + original[5001:])
    elif change == "cut short":
        staging.write_bytes(original[: len(original) - 30])
    elif change == "lengthened":
        staging.write_bytes(original + original[-40:])
    else:
        staging.unlink()
    refused = _receipt(client, transmitted, [upload_id])
    assert refused.status_code == 400
    said = "was changed since it arrived" if change != "removed" else "is missing or cut short"
    assert said in refused.text
    assert db.exec(select(EvidenceReceipt)).first() is None
    assert db.exec(select(EvidenceBlob)).first() is None


@pytest.mark.parametrize(
    ("body", "status", "said"),
    [
        ({"filename": "disk.img", "size": 5 * 1024**3}, 413, "larger than 4096 MB"),
        ({"filename": "disk\x00.img", "size": 10}, 400, "without control characters"),
        ({"filename": "disk\n.img", "size": 10}, 400, "without control characters"),
        ({"filename": "disk.img", "size": -1}, 400, "0 or more"),
        ({"filename": "disk.img", "size": "10"}, 400, "name and size"),
        ([], 400, "name and size"),
    ],
)
def test_an_upload_is_refused_in_words_before_anything_is_sent(
    app: Flask, client: Client, token: str, transmitted: MlaRequest, body: Any, status: int,
    said: str,
) -> None:  # fmt: skip
    answer = client.post(f"/requests/{transmitted.id}/evidence/uploads", json=body,
                         headers={"X-CSRFToken": token})  # fmt: skip
    assert answer.status_code == status and answer.json is not None
    assert said in answer.json["error"]
    scratch = app.extensions["mlat_evidence"].scratch
    assert not scratch.exists() or not list(scratch.iterdir())


def test_a_draft_takes_no_upload_and_a_call_without_the_token_is_refused_in_words(
    client: Client, db: Session, officer: User, make_request: MakeRequest, token: str,
) -> None:  # fmt: skip
    draft = make_request(officer, "Not yet sent")
    answer = client.post(f"/requests/{draft.id}/evidence/uploads",
                         json={"filename": "a.txt", "size": 1},
                         headers={"X-CSRFToken": token})  # fmt: skip
    assert answer.status_code == 400 and "once the request is transmitted" in answer.json["error"]  # type: ignore[index]
    forged = client.post(f"/requests/{draft.id}/evidence/uploads",
                         json={"filename": "a.txt", "size": 1})  # fmt: skip
    assert forged.status_code == 400 and forged.json is not None and forged.json["error"]


def test_the_sweep_removes_old_uploads_only(
    app: Flask, db: Session, runner: FlaskCliRunner, uploader: Uploader
) -> None:
    scratch = app.extensions["mlat_evidence"].scratch
    old, fresh = uploader.send("old.img", b"old", upto=0), uploader.send("new.img", b"new")
    db.get_one(EvidenceUpload, old).updated_at = dt.datetime.now(dt.UTC) - dt.timedelta(hours=49)
    db.commit()
    old_file, fresh_file = _staging(app, old, db), _staging(app, fresh, db)
    stray, new_stray = scratch / "upload-left-behind", scratch / "upload-just-made"
    stray.write_bytes(b"x")
    new_stray.write_bytes(b"x")
    three_days_ago = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3)).timestamp()
    os.utime(stray, (three_days_ago, three_days_ago))
    result = flask(runner, "evidence", "sweep-uploads", "--hours", "48")
    assert result.exit_code == 0, result.output
    assert "Removed 1 uploads not touched for 48 hours, and 1 staging files" in result.output
    db.expire_all()
    assert [u.id for u in db.exec(select(EvidenceUpload))] == [fresh]
    assert not old_file.exists() and not stray.exists()
    assert fresh_file.exists() and new_stray.exists()
