"""Evidence bundles: an officer exports chosen files with the signed packet, the receipt
records and the custody log, under a manifest signed with the unit's seal; a recipient
checks the bundle on the page or with ``flask evidence verify``, without the database,
and a byte changed anywhere fails with the file named."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlmodel import Session, select

from mlat.audit_actions import AuditAction
from mlat.models import (
    AuditEntry,
    CustodyEvent,
    EvidenceItem,
    MlaRequest,
    Packet,
    RequestStatus,
    Role,
    Unit,
    User,
)
from mlat.packets.bundle import CUSTODY, MANIFEST, MIMETYPE, RECEIPTS, check_bundle
from mlat.packets.certificates import demo_authority, demo_signing_pkcs12
from mlat.services.packets import store_file
from mlat.services.signing import issue_demo_seal, signing_keys, unit_seal
from tests.conftest import Client, LoginAs, MakeRequest, check_page, text_of
from tests.workflow_helpers import put_in_state

TODAY = dt.date.today()
EXPORT = b"subscriber,created\r\nfinance.alwaha@mailhost.example,2025-01-04\r\n"
HEADERS = b"Received: from mailhost.example\r\nSubject: invoice\r\n" * 20
PDF = b"%PDF-1.7\n% the signed packet, as stored\n%%EOF\n"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def officer(login_as: LoginAs) -> User:
    return login_as(Role.officer)


@pytest.fixture
def sealed(app: Flask, db: Session, unit: Unit) -> Unit:
    issue_demo_seal(session=db, unit=unit, keys=signing_keys(app.config["MLAT"]))
    db.commit()
    return unit


@pytest.fixture
def received(client: Client, db: Session, officer: User, make_request: MakeRequest) -> MlaRequest:
    """A transmitted request with its signed packet stored and two files received."""
    content = {"measures": [{"kind": "subscriber_info"}, {"kind": "stored_content"}]}
    request = make_request(officer, "Mailbox of the extortionist", "US", content=content)
    request.transmitted_on = TODAY - dt.timedelta(days=20)
    request = put_in_state(db, request, RequestStatus.transmitted)
    stored = store_file(session=db, pdf=PDF)
    db.add(Packet(request_id=request.id or 0, file_id=stored.id or 0))
    db.commit()
    form = {
        "received_on": (TODAY - dt.timedelta(days=1)).isoformat(), "sender": "Google LLC",
        "sender_kind": "provider", "channel": "portal", "sender_reference": "LRS-2026-1234",
        "answer-0": "full", "answer-1": "part",
        "files": [(io.BytesIO(EXPORT), "subscriber.csv"), (io.BytesIO(HEADERS), "headers.txt")],
    }  # fmt: skip
    assert client.submit(f"/requests/{request.id}/evidence/new", form).status_code == 303
    return request


def _items(db: Session, request: MlaRequest) -> list[EvidenceItem]:
    found = db.exec(select(EvidenceItem).where(EvidenceItem.request_id == request.id))
    return sorted(found, key=lambda i: i.id or 0)


def _export(client: Client, request: MlaRequest, items: list[EvidenceItem], **extra: object):  # type: ignore[no-untyped-def]
    url = f"/requests/{request.id}/evidence/export"
    data = {"item": [str(i.id) for i in items], "recipient": "Criminal Court of Doha",
            "reason": "Disclosure to the defence", **extra}  # fmt: skip
    return client.submit(url, data)


def _trust(db: Session, unit: Unit) -> bytes:
    seal = unit_seal(session=db, unit_id=unit.id or 0)
    assert seal is not None
    return x509.load_pem_x509_certificates(seal.chain)[-1].public_bytes(Encoding.DER)


def test_an_officer_exports_a_bundle_that_holds_the_evidence_and_its_records(
    client: Client, db: Session, sealed: Unit, received: MlaRequest
) -> None:
    items = _items(db, received)
    response = _export(client, received, items[:1])
    assert response.status_code == 200, response.text[:2000]
    assert response.headers["Content-Type"] == MIMETYPE
    assert ".asice" in response.headers["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(response.data)) as bundle:
        names = bundle.namelist()
        assert names[0] == "mimetype" and bundle.read("mimetype") == MIMETYPE.encode()
        assert bundle.getinfo("mimetype").compress_type == zipfile.ZIP_STORED
        digest = hashlib.sha256(EXPORT).hexdigest()
        evidence = [n for n in names if n.startswith("evidence/")]
        assert evidence == [f"evidence/{items[0].id}-subscriber.sha256-{digest}.csv"]
        assert bundle.read(evidence[0]) == EXPORT
        assert any(n.startswith("packet/") and bundle.read(n) == PDF for n in names)
        custody = json.loads(bundle.read(CUSTODY))
        receipts = json.loads(bundle.read(RECEIPTS))
        manifest = bundle.read(MANIFEST).decode()
    (logged,) = custody["items"]
    assert logged["sha256"] == digest and logged["filename"] == "subscriber.csv"
    actions = [e["action"] for e in logged["events"]]
    assert actions[0] == "received" and actions[-1] == "exported"
    assert logged["events"][-1]["recipient"] == "Criminal Court of Doha"
    assert receipts["receipts"][0]["sender"] == "Google LLC"
    assert receipts["receipts"][0]["answers"][0]["kind"] == "subscriber_info"
    assert "asic:DataObjectReference" in manifest and "xmlenc#sha256" in manifest
    exported = db.exec(select(CustodyEvent).where(CustodyEvent.action == "exported")).all()
    assert [e.item_id for e in exported] == [items[0].id]
    assert db.exec(select(AuditEntry).where(AuditEntry.action == AuditAction.evidence_export)).one()
    checked = check_bundle(io.BytesIO(response.data), (_trust(db, sealed),))
    assert checked.valid, [p.words() for p in checked.problems]
    assert "evidence seal" in checked.signer


def test_the_export_page_lists_the_files_and_keeps_the_input_on_a_refusal(
    client: Client, db: Session, received: MlaRequest
) -> None:
    """Without a seal the bundle cannot be signed: the page says so, and what was
    typed and chosen stays."""
    items = _items(db, received)
    page = check_page(client.get(f"/requests/{received.id}/evidence/export"))
    assert page.select_one("#no-seal") is not None
    assert len(page.select("input[name=item][checked]")) == 2
    refused = _export(client, received, items[1:])
    assert refused.status_code == 400
    assert "no seal to sign evidence bundles" in refused.text
    assert 'value="Criminal Court of Doha"' in refused.text
    shown = check_page(refused)
    assert [i["value"] for i in shown.select("input[name=item][checked]")] == [str(items[1].id)]
    assert not db.exec(select(CustodyEvent).where(CustodyEvent.action == "exported")).all()


def test_an_export_needs_files_a_recipient_and_a_reason(
    client: Client, db: Session, sealed: Unit, received: MlaRequest
) -> None:
    items = _items(db, received)
    nothing = _export(client, received, [])
    assert nothing.status_code == 400 and "Choose the files to export" in nothing.text
    nobody = _export(client, received, items, recipient="")
    assert nobody.status_code == 400 and "Name who the bundle is for." in nobody.text


def _bundle(client: Client, db: Session, request: MlaRequest) -> bytes:
    response = _export(client, request, _items(db, request))
    assert response.status_code == 200
    return bytes(response.data)


def _rewritten(data: bytes, name: str, change: bytes | None = None, add: str = "") -> bytes:
    """The bundle with one member's content changed (a byte flipped unless ``change``
    is given) or a file added, written back as a tamperer would."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == name:
                content = change if change is not None else bytes([content[0] ^ 1]) + content[1:]
            target.writestr(info, content)
        if add:
            target.writestr(add, b"planted")
    return out.getvalue()


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("evidence/", "was changed after the bundle was signed"),
        ("packet/", "was changed after the bundle was signed"),
        (RECEIPTS, "was changed after the bundle was signed"),
        (CUSTODY, "was changed after the bundle was signed"),
        (MANIFEST, "The manifest was changed after it was signed"),
    ],
)
def test_a_byte_changed_anywhere_fails_with_the_file_named(
    client: Client, db: Session, sealed: Unit, received: MlaRequest, target: str, expected: str
) -> None:
    data = _bundle(client, db, received)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    name = next(n for n in names if n.startswith(target))
    checked = check_bundle(io.BytesIO(_rewritten(data, name)), (_trust(db, sealed),))
    assert not checked.valid
    said = " ".join(p.words() for p in checked.problems)
    assert expected in said
    if target != MANIFEST:
        assert name in said


def test_a_planted_file_a_wrong_certificate_and_a_non_bundle_fail(
    client: Client, db: Session, sealed: Unit, received: MlaRequest, make_unit: object
) -> None:
    data = _bundle(client, db, received)
    planted = check_bundle(io.BytesIO(_rewritten(data, "", add="evidence/extra.bin")),
                           (_trust(db, sealed),))  # fmt: skip
    assert [p.words() for p in planted.problems] == [
        "evidence/extra.bin is in the bundle but not in the signed manifest."
    ]
    untrusted = check_bundle(io.BytesIO(data), ())
    assert [p.kind for p in untrusted.problems] == ["untrusted"]
    assert [p.kind for p in check_bundle(io.BytesIO(b"not a zip"), ()).problems] == ["not_bundle"]


def test_a_custody_log_that_does_not_match_its_file_fails(
    client: Client, db: Session, sealed: Unit, received: MlaRequest
) -> None:
    """A custody log rewritten to a digest other than its file's, with the manifest
    re-signed by the same seal, still fails: the log no longer matches the file."""
    from mlat.packets.bundle import Member, write_bundle
    from mlat.services.signing import seal_credential

    data = _bundle(client, db, received)
    source = zipfile.ZipFile(io.BytesIO(data))
    custody = json.loads(source.read(CUSTODY))
    custody["items"][0]["events"][0]["sha256"] = "0" * 64
    members = [
        Member(n, [json.dumps(custody).encode() if n == CUSTODY else source.read(n)])
        for n in source.namelist() if n != "mimetype" and not n.startswith("META-INF/")
    ]  # fmt: skip
    _seal, credential = seal_credential(session=db, unit_id=sealed.id or 0,
                                        keys=signing_keys(client.application.config["MLAT"]),
                                        now=dt.datetime.now(dt.UTC))  # fmt: skip
    out = io.BytesIO()
    write_bundle(out, members, credential, when=dt.datetime.now(dt.UTC))
    checked = check_bundle(io.BytesIO(out.getvalue()), (_trust(db, sealed),))
    name = custody["items"][0]["file"]
    assert [p.words() for p in checked.problems] == [
        f"The custody log does not match {name}: a SHA-256 it records is not the file's."
    ]


def test_the_check_page_says_intact_or_names_the_changed_file(
    client: Client, db: Session, sealed: Unit, received: MlaRequest
) -> None:
    data = _bundle(client, db, received)
    pem = client.get("/evidence/seal.pem")
    assert pem.status_code == 200 and pem.data.startswith(b"-----BEGIN CERTIFICATE-----")
    intact = check_page(client.submit("/evidence/verify", {
        "bundle": (io.BytesIO(data), "bundle.asice"),
        "certificate": (io.BytesIO(pem.data), "unit-seal.pem"),
    }))  # fmt: skip
    assert "Intact: every file is the one the signed manifest lists." in text_of(
        intact.select_one("#verdict")
    )
    assert len(intact.select("#bundle-files tbody tr")) == 5  # two files, packet, records
    evidence = next(n for n in zipfile.ZipFile(io.BytesIO(data)).namelist()
                    if n.startswith("evidence/"))  # fmt: skip
    changed = check_page(client.submit("/evidence/verify", {
        "bundle": (io.BytesIO(_rewritten(data, evidence)), "bundle.asice"),
    }))  # fmt: skip
    verdict = text_of(changed.select_one("#verdict"))
    assert "Not confirmed" in verdict and f"{evidence} was changed" in verdict
    wrong = client.submit("/evidence/verify", {
        "bundle": (io.BytesIO(data), "bundle.asice"),
        "certificate": (io.BytesIO(b"not a certificate"), "x.pem"),
    })  # fmt: skip
    assert wrong.status_code == 400 and "neither PEM nor DER" in wrong.text


def test_the_command_checks_a_bundle_without_the_database(
    client: Client, db: Session, sealed: Unit, received: MlaRequest, tmp_path: Path
) -> None:
    """Run as a recipient would: another process, whose database cannot be reached."""
    data = _bundle(client, db, received)
    bundle, trust = tmp_path / "bundle.asice", tmp_path / "seal.pem"
    bundle.write_bytes(data)
    trust.write_bytes(client.get("/evidence/seal.pem").data)
    env = {**os.environ, "MLAT_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/nowhere",
           "MLAT_INSTANCE_PATH": str(tmp_path / "elsewhere")}  # fmt: skip
    command = [sys.executable, "-m", "flask", "--app", "app", "evidence", "verify"]
    ok = subprocess.run([*command, str(bundle), "--trust", str(trust)], cwd=ROOT, env=env,
                        capture_output=True, text=True, timeout=120)  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert "The bundle is intact: its 5 files" in ok.stdout
    evidence = next(n for n in zipfile.ZipFile(bundle).namelist() if n.startswith("evidence/"))
    bundle.write_bytes(_rewritten(data, evidence))
    bad = subprocess.run([*command, str(bundle), "--trust", str(trust)], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert bad.returncode == 1
    assert f"{evidence} was changed after the bundle was signed" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_an_administrator_loads_the_units_seal_and_prints_its_certificate(
    db: Session, unit: Unit, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    now = dt.datetime.now(dt.UTC)
    authority = demo_authority("Cybercrime Unit, Doha", "QA", now)
    p12 = demo_signing_pkcs12(authority, name="Doha evidence seal", email="",
                              organisation="Cybercrime Unit, Doha", country="QA",
                              passphrase=b"s3cret", now=now)  # fmt: skip
    (tmp_path / "seal.p12").write_bytes(p12)
    wrong = runner.invoke(args=["signing", "seal", "DOH", str(tmp_path / "seal.p12")],
                          env={"MLAT_PKCS12_PASSPHRASE": "wrong"})  # fmt: skip
    assert wrong.exit_code == 1 and "check that it is a PKCS#12 file" in wrong.output
    loaded = runner.invoke(args=["signing", "seal", "DOH", str(tmp_path / "seal.p12")],
                           env={"MLAT_PKCS12_PASSPHRASE": "s3cret"})  # fmt: skip
    assert loaded.exit_code == 0 and "now seals as CN=Doha evidence seal" in loaded.output
    printed = runner.invoke(args=["signing", "seal-certificate", "DOH"])
    certificates = x509.load_pem_x509_certificates(printed.output.encode())
    names = [c.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value for c in certificates]
    assert names == ["Doha evidence seal", "Cybercrime Unit, Doha demo signing authority"]
    demo = runner.invoke(args=["signing", "demo-seal", "DOH"])
    assert demo.exit_code == 0 and "(a demonstration certificate)" in demo.output
    assert runner.invoke(args=["signing", "seal-certificate", "NOPE"]).exit_code == 1


def test_a_bundle_that_unpacks_to_more_than_the_page_reads_is_refused_unread(
    app: Flask, client: Client, officer: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A few kilobytes that unpack to 40 MB (deflated zeros): the page says why it does
    not check it, at once, and points to the command, which has no such limit."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bomb:
        bomb.writestr(zipfile.ZipInfo("mimetype"), MIMETYPE, zipfile.ZIP_STORED)
        bomb.writestr("evidence/zeros.bin", b"\0" * (40 * 1024 * 1024))
    assert len(out.getvalue()) < 100_000
    config = app.config["MLAT"]
    small = dataclasses.replace(config.evidence, max_bytes=1024 * 1024)
    monkeypatch.setitem(app.config, "MLAT", dataclasses.replace(config, evidence=small))
    page = check_page(client.submit("/evidence/verify", {
        "bundle": (io.BytesIO(out.getvalue()), "bundle.asice"),
    }))  # fmt: skip
    assert "too large to be checked on this page" in text_of(page.select_one("#problems"))
    unlimited = check_bundle(io.BytesIO(out.getvalue()), ())
    assert [p.kind for p in unlimited.problems] == ["unsigned"]


def test_a_timestamp_authority_when_configured_timestamps_the_manifests_signature() -> None:
    """CAdES-T: the signature carries the authority's token, and still checks."""
    from asn1crypto import cms

    from mlat.packets.bundle import SIGNATURE, Member, write_bundle
    from mlat.packets.signature import Credential
    from tests.tsa import timestamp_authority

    now = dt.datetime.now(dt.UTC)
    authority = demo_authority("Cybercrime Unit, Doha", "QA", now)
    p12 = demo_signing_pkcs12(authority, name="Doha evidence seal", email="",
                              organisation="Cybercrime Unit, Doha", country="QA",
                              passphrase=b"pw", now=now)  # fmt: skip
    credential = Credential(p12, b"pw", (authority.certificate,))
    out = io.BytesIO()
    with timestamp_authority() as (url, answered):
        write_bundle(out, [Member("evidence/a.bin", [EXPORT])], credential, when=now,
                     timestamp_url=url)  # fmt: skip
    assert answered
    signature = zipfile.ZipFile(io.BytesIO(out.getvalue())).read(SIGNATURE)
    signer = cms.ContentInfo.load(signature)["content"]["signer_infos"][0]
    unsigned = [a["type"].native for a in signer["unsigned_attrs"]]
    assert "signature_time_stamp_token" in unsigned
    checked = check_bundle(io.BytesIO(out.getvalue()), (authority.certificate,))
    assert [p.kind for p in checked.problems] == ["missing"]  # no custody log: only that
