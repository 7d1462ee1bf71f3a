"""Evidence received: files kept encrypted under their SHA-256 in a folder or an
S3-compatible store (moto's server, an emulator, on loopback), streamed and never held
whole; the receipt and the request's state; the chain of custody of each item."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlmodel import Session, select

from mlat.audit_actions import AuditAction
from mlat.crypto import DataKeyError, keyring_for
from mlat.evidence_store import (
    CHUNK,
    EvidenceStore,
    FolderBackend,
    Kept,
    S3Backend,
    bytes_chunks,
)
from mlat.models import (
    AuditEntry,
    CustodyEvent,
    EvidenceBlob,
    EvidenceItem,
    MlaRequest,
    RequestEvent,
    RequestStatus,
    Role,
    User,
)
from mlat.services import ServiceError, evidence
from tests.conftest import MakeRequest, MakeUnit, MakeUser
from tests.notifications.mailbox import free_port
from tests.workflow_helpers import put_in_state

TODAY = dt.date.today()
MB = 1024 * 1024


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on a free loopback port, for the module's tests."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(params=["folder", "s3"])
def store(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> EvidenceStore:
    if request.param == "folder":
        return EvidenceStore(FolderBackend(tmp_path / "files"), tmp_path / "incoming")
    import boto3

    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):  # fmt: skip
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=request.getfixturevalue("s3_endpoint"))
    bucket = f"evidence-{os.urandom(4).hex()}"
    client.create_bucket(Bucket=bucket)
    return EvidenceStore(S3Backend(client, bucket), tmp_path / "incoming")


def generated(size: int, seed: bytes = b"evidence") -> Iterator[bytes]:
    """``size`` bytes that differ from file to file, made as they are read."""
    block = hashlib.sha256(seed).digest() * (MB // 32)
    sent = 0
    while sent < size:
        piece = block[: min(MB, size - sent)]
        sent += len(piece)
        yield piece


def digest_of(size: int, seed: bytes = b"evidence") -> str:
    h = hashlib.sha256()
    for piece in generated(size, seed):
        h.update(piece)
    return h.hexdigest()


@pytest.fixture
def officer(make_user: MakeUser) -> User:
    return make_user(Role.officer)


@pytest.fixture
def transmitted(db: Session, officer: User, make_request: MakeRequest) -> MlaRequest:
    """A request of two measures, transmitted ten days ago."""
    content = {"measures": [{"kind": "subscriber_info"}, {"kind": "stored_content"}]}
    request = make_request(officer, "Mailbox of the extortionist", "US", content=content)
    request.transmitted_on = TODAY - dt.timedelta(days=10)
    return put_in_state(db, request, RequestStatus.transmitted)


@pytest.mark.parametrize("size", [0, 1024, CHUNK, 50 * MB])
def test_a_file_is_kept_encrypted_under_its_digest_and_read_back_whole(
    db: Session, store: EvidenceStore, size: int
) -> None:
    keyring = keyring_for(db)
    kept = store.keep(keyring, generated(size))
    assert (kept.sha256, kept.size) == (digest_of(size), size)
    assert kept.name.startswith(kept.sha256) and store.backend.exists(kept.name)
    with store.backend.open(kept.name) as stored:
        head = stored.read(64 * 1024)
    assert size < 1024 or head[:1024] not in b"".join(generated(64 * 1024))  # not in clear
    back = hashlib.sha256()
    for piece in store.read(keyring, kept):
        assert len(piece) <= CHUNK  # handed on chunk by chunk, never whole
        back.update(piece)
    assert back.hexdigest() == kept.sha256
    assert not list(store.scratch.iterdir())  # no staging file left


def test_a_changed_or_shortened_file_does_not_open(db: Session, tmp_path: Path) -> None:
    keyring = keyring_for(db)
    store = EvidenceStore(FolderBackend(tmp_path / "files"), tmp_path / "incoming")
    kept = store.keep(keyring, generated(3 * CHUNK + 10))
    path = tmp_path / "files" / kept.name[:2] / kept.name[2:4] / kept.name
    original = path.read_bytes()
    for changed in (
        original[:100] + bytes([original[100] ^ 1]) + original[101:],  # one byte
        original[: 2 * (CHUNK + 16)],  # cut at a chunk's end
        original + original[-100:],  # something added
    ):
        path.write_bytes(changed)
        with pytest.raises(DataKeyError, match=kept.sha256):
            b"".join(store.read(keyring, kept))


def test_a_file_that_breaks_off_leaves_nothing(db: Session, store: EvidenceStore) -> None:
    def broken() -> Iterator[bytes]:
        yield from generated(3 * MB)
        raise ConnectionError("the upload broke off")

    with pytest.raises(ConnectionError):
        store.keep(keyring_for(db), broken())
    assert not list(store.scratch.iterdir())


def test_a_receipt_keeps_its_files_and_the_request_follows(
    db: Session, store: EvidenceStore, officer: User, transmitted: MlaRequest
) -> None:
    given = digest_of(1024)
    received = evidence.record_receipt(
        session=db, store=store, request=transmitted, user=officer,
        received_on=TODAY - dt.timedelta(days=1), sender="Google LLC", sender_kind="provider",
        channel="portal", sender_reference="LRS-2026-1234", answers=[(0, True)], today=TODAY,
        files=[evidence.Incoming("subscriber.csv", generated(1024), sender_sha256=given),
               evidence.Incoming("headers.txt", generated(2048, b"other"),
                                 sender_sha256="0" * 64)],
    )  # fmt: skip
    db.commit()
    assert received.mismatched == ["headers.txt"]  # kept, and shown as not what was sent
    assert transmitted.status == RequestStatus.partially_executed  # one of two measures
    (step,) = db.exec(select(RequestEvent).where(RequestEvent.request_id == transmitted.id)).all()
    assert (step.action, step.comment) == ("execute_partly", "Google LLC, LRS-2026-1234")
    rows = evidence.request_evidence(session=db, request=transmitted)
    assert [(r.item.filename, r.blob.size, r.mismatch) for r in rows] == [
        ("subscriber.csv", 1024, False), ("headers.txt", 2048, True)
    ]  # fmt: skip
    events = db.exec(select(CustodyEvent)).all()
    assert [(e.action, e.sha256) for e in events] == [
        ("received", given), ("received", digest_of(2048, b"other"))
    ]  # fmt: skip
    audited = db.exec(select(AuditEntry.action).where(AuditEntry.object_type == "evidence")).all()
    assert audited == [AuditAction.evidence_custody] * 2
    evidence.record_receipt(
        session=db, store=store, request=transmitted, user=officer, received_on=TODAY,
        sender="Google LLC", sender_kind="provider", channel="portal", answers=[(1, True)],
        today=TODAY, files=[evidence.Incoming("again.csv", generated(1024))],
    )  # fmt: skip
    db.commit()
    assert str(transmitted.status) == "executed"  # every measure answered in full
    assert len(db.exec(select(EvidenceBlob)).all()) == 2  # the same content is kept once
    assert len(db.exec(select(EvidenceItem)).all()) == 3


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"received_on": TODAY + dt.timedelta(days=1)}, "after today"),
        ({"received_on": TODAY - dt.timedelta(days=11)}, "before the request was transmitted"),
        ({"sender": "  "}, "Name the sender"),
        ({"channel": "pigeon"}, "from the lists"),
        ({"answers": [(5, True)]}, "among the request's"),
    ],
)
def test_a_wrong_receipt_is_refused_and_keeps_nothing(
    db: Session, store: EvidenceStore, officer: User, transmitted: MlaRequest,
    change: dict[str, object], message: str,
) -> None:  # fmt: skip
    arguments: dict[str, object] = {
        "received_on": TODAY, "sender": "Google LLC", "sender_kind": "provider",
        "channel": "portal", "answers": [(0, True)],
    }  # fmt: skip
    with pytest.raises(ServiceError) as refused:
        evidence.record_receipt(session=db, store=store, request=transmitted, user=officer,
                                today=TODAY, files=[evidence.Incoming("a.csv", generated(10))],
                                **(arguments | change))  # type: ignore[arg-type]  # fmt: skip
    db.rollback()
    assert message in refused.value.message
    assert db.exec(select(EvidenceItem)).first() is None


def test_a_draft_takes_no_evidence_and_a_digest_must_be_one(
    db: Session, store: EvidenceStore, officer: User, transmitted: MlaRequest,
    make_request: MakeRequest,
) -> None:  # fmt: skip
    draft = make_request(officer, "Still a draft", "GB")
    for request, digest in ((draft, ""), (transmitted, "not-a-digest")):
        with pytest.raises(ServiceError):
            evidence.record_receipt(
                session=db, store=store, request=request, user=officer, received_on=TODAY,
                sender="X", sender_kind="authority", channel="courier", today=TODAY,
                files=[evidence.Incoming("a.bin", bytes_chunks(b"x"), sender_sha256=digest)],
            )  # fmt: skip
        db.rollback()


def test_a_download_needs_a_reason_names_the_digest_and_is_in_the_custody_log(
    db: Session, store: EvidenceStore, officer: User, transmitted: MlaRequest,
    make_user: MakeUser, make_unit: MakeUnit,
) -> None:  # fmt: skip
    received = evidence.record_receipt(
        session=db, store=store, request=transmitted, user=officer, received_on=TODAY,
        sender="Ministry of Justice", sender_kind="authority", channel="courier", today=TODAY,
        files=[evidence.Incoming("disk image.E01", generated(3 * MB))],
    )  # fmt: skip
    db.commit()
    item = received.items[0]
    with pytest.raises(ServiceError, match="Say why"):
        evidence.download(session=db, store=store, user=officer, item_id=item.id or 0,
                          reason=" ")  # fmt: skip
    db.rollback()
    why = "For the forensic lab"
    name, kept, chunks = evidence.download(session=db, store=store, user=officer,
                                           item_id=item.id or 0, reason=why)  # fmt: skip
    assert name == f"disk image.sha256-{kept.sha256}.E01"
    assert hashlib.sha256(b"".join(chunks)).hexdigest() == digest_of(3 * MB)
    evidence.hand_over(session=db, user=officer, item_id=item.id or 0,
                       recipient="Forensic lab, Doha police", reason="Analysis")  # fmt: skip
    db.commit()
    log = evidence.custody_log(session=db, item=item)
    assert [(e.action, e.reason, e.recipient) for e in log] == [
        ("received", "", ""),
        ("downloaded", "For the forensic lab", ""),
        ("handed_over", "Analysis", "Forensic lab, Doha police"),
    ]
    assert {e.sha256 for e in log} == {kept.sha256}
    stranger = make_user(Role.officer, unit_=make_unit(name="Lagos", code="LOS", state="NG"))
    with pytest.raises(ServiceError):
        evidence.download(session=db, store=store, user=stranger, item_id=item.id or 0,
                          reason="curious")  # fmt: skip


def test_a_file_past_the_limit_is_refused_in_words_and_leaves_nothing(
    db: Session, store: EvidenceStore, officer: User, transmitted: MlaRequest
) -> None:
    with pytest.raises(ServiceError) as refused:
        evidence.record_receipt(
            session=db, store=store, request=transmitted, user=officer, received_on=TODAY,
            sender="Google LLC", sender_kind="provider", channel="portal", today=TODAY,
            files=[evidence.Incoming("big.bin", generated(3 * MB))], max_bytes=2 * MB,
        )  # fmt: skip
    db.rollback()
    assert refused.value.message.startswith("The file is larger than %(limit)s")
    assert refused.value.params == {"limit": "2 MB"}
    assert not list(store.scratch.iterdir())
    assert db.exec(select(EvidenceBlob)).first() is None


def test_the_same_content_kept_at_the_same_moment_is_kept_once_and_reads_back(
    db: Session, store: EvidenceStore
) -> None:
    """Two officers keep the same file at once: each copy is stored under its own name
    with its own key, the first row written wins, and the other copy is removed."""
    keyring = keyring_for(db)
    first = store.keep(keyring, generated(2 * MB))
    second = store.keep(keyring, generated(2 * MB))
    assert first.sha256 == second.sha256 and first.name != second.name
    db.add(EvidenceBlob(sha256=first.sha256, size=first.size, backend=store.backend.name,
                        object_name=first.name, key_id=first.key_id, data_key=first.data_key,
                        nonce_prefix=first.nonce_prefix))  # fmt: skip
    db.commit()
    blob = evidence.keep_blob(session=db, store=store, chunks=generated(2 * MB), max_bytes=10 * MB)
    assert blob.object_name == first.name  # known content is not stored again
    assert b"".join(store.read(keyring, evidence.kept_of(blob))) == b"".join(generated(2 * MB))


def test_a_copy_stored_while_another_officer_kept_the_same_content_is_removed(
    app: Any, db: Session, store: EvidenceStore
) -> None:
    """The other officer's row is written while this copy is being stored: theirs
    stands, this copy's object is removed from the store."""
    keyring = keyring_for(db)
    keep = store.keep

    def racing(*args: Any, **kwargs: Any) -> Kept:
        mine = keep(*args, **kwargs)
        theirs = keep(keyring, generated(MB))
        with Session(app.extensions["mlat_engine"]) as other:
            other.add(EvidenceBlob(sha256=theirs.sha256, size=theirs.size, backend="x",
                                   object_name=theirs.name, key_id=theirs.key_id,
                                   data_key=theirs.data_key,
                                   nonce_prefix=theirs.nonce_prefix))  # fmt: skip
            other.commit()
        return mine

    store.keep = racing  # type: ignore[method-assign]
    blob = evidence.keep_blob(session=db, store=store, chunks=generated(MB), max_bytes=10 * MB)
    store.keep = keep  # type: ignore[method-assign]
    assert store.backend.exists(blob.object_name)
    stored = [n for n in _names(store) if n.startswith(blob.sha256)]
    assert stored == [blob.object_name]  # the losing copy is gone


def _names(store: EvidenceStore) -> list[str]:
    backend = store.backend
    if isinstance(backend, FolderBackend):
        return [p.name for p in backend.root.rglob("*") if p.is_file()]
    assert isinstance(backend, S3Backend)
    listed = backend.client.list_objects_v2(Bucket=backend.bucket, Prefix=backend.prefix)
    return [o["Key"].removeprefix(backend.prefix) for o in listed.get("Contents", [])]


def test_the_custody_log_of_a_full_life(
    app: Flask, db: Session, store: EvidenceStore, officer: User, transmitted: MlaRequest,
    make_user: MakeUser, make_unit: MakeUnit, tmp_path: Path,
) -> None:  # fmt: skip
    """A file of 50 MB received with one of 1 KB, viewed, downloaded, handed over,
    shared with a partner unit and no longer, exported, kept, and destroyed: its log
    holds each step in order with its digest, the audit trail one entry per step, the
    bundle the log up to its export, and the store no longer the file."""
    from mlat.services import evidence_keeping as keeping
    from mlat.services.cases import CaseAccess, attach, create_case, invite
    from mlat.services.evidence_bundles import export_bundle
    from mlat.services.signing import issue_demo_seal, signing_keys

    received = evidence.record_receipt(
        session=db, store=store, request=transmitted, user=officer, received_on=TODAY,
        sender="Meta Platforms Ireland", sender_kind="provider", channel="portal", today=TODAY,
        files=[evidence.Incoming("small.csv", generated(1024)),
               evidence.Incoming("mailbox.mbox", generated(50 * MB, b"mailbox"))],
    )  # fmt: skip
    item = received.items[1]
    digest, item_id = digest_of(50 * MB, b"mailbox"), item.id or 0
    first, second = make_user(Role.admin), make_user(Role.admin)
    partner = make_unit(name="Fraud Unit, Lagos", code="LOS", state="NG")
    case = create_case(session=db, user=officer, title="Operation Harbour", case_number="C-7")
    attach(session=db, access=CaseAccess(case, None), user=officer,
           request_id=transmitted.id or 0)  # fmt: skip
    invite(session=db, access=CaseAccess(case, None), user=officer, unit_id=partner.id or 0)
    keys = signing_keys(app.config["MLAT"])
    issue_demo_seal(session=db, unit=officer.unit, keys=keys)

    evidence.viewed(
        session=db, user=officer, item=item, blob=db.get_one(EvidenceBlob, item.blob_id)
    )
    _name, _kept, chunks = evidence.download(session=db, store=store, user=officer,
                                             item_id=item_id, reason="Analysis")  # fmt: skip
    back = hashlib.sha256()
    for piece in chunks:
        back.update(piece)
    assert back.hexdigest() == digest
    evidence.hand_over(session=db, user=officer, item_id=item_id, recipient="Forensics lab",
                       reason="Mailbox analysis")  # fmt: skip
    for grant in (True, False):
        keeping.change_access(session=db, user=officer, item_id=item_id,
                              unit_id=partner.id or 0, grant=grant,
                              reason="Joint analysis")  # fmt: skip
    bundle = export_bundle(session=db, store=store, keys=keys, user=officer, request=transmitted,
                           item_ids=[item_id], recipient="Criminal Court of Doha",
                           reason="Trial", now=dt.datetime.now(dt.UTC))  # fmt: skip
    bundle.path.unlink()
    item.created_at -= dt.timedelta(days=400)
    db.add(item)
    keeping.set_retention(session=db, user=first, item_id=item_id,
                          until=TODAY - dt.timedelta(days=1),
                          reason="Appeal period over")  # fmt: skip
    keeping.ask_destruction(session=db, user=first, item_id=item_id, reason="Kept long enough",
                            today=TODAY)  # fmt: skip
    destroyed = keeping.approve_destruction(session=db, user=second, item_id=item_id,
                                            today=TODAY)  # fmt: skip
    db.commit()
    store.backend.delete(destroyed.object_name)

    log = evidence.custody_log(session=db, item=item)
    assert [e.action for e in log] == [
        "received", "viewed", "downloaded", "handed_over", "access", "access", "exported",
        "retention", "retention", "destroyed",
    ]  # fmt: skip
    assert {e.sha256 for e in log} == {digest}
    assert [e.reason for e in log if e.action == "access"] == [
        "granted: Joint analysis", "removed: Joint analysis"
    ]  # fmt: skip
    audited = db.exec(
        select(AuditEntry).where(AuditEntry.object_type == "evidence",
                                 AuditEntry.object_id == str(item_id))
    ).all()  # fmt: skip
    assert len([a for a in audited if a.action == AuditAction.evidence_custody]) == len(log)
    assert not store.backend.exists(destroyed.object_name)
    assert store.backend.exists(db.get_one(EvidenceBlob, received.items[0].blob_id).object_name)
