"""Signed packets carry the PAdES signature of the prosecutor who signed: valid for
Poppler's pdfsig and pyHanko, covering the whole file, broken by any change; signing asks
the prosecutor to confirm and re-authenticate; anyone can check a copy."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import re
import secrets
import shutil
import subprocess
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509 as cx509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from flask import Flask
from pypdf import PdfReader
from sqlmodel import Session, col, select

from mlat.audit_actions import AuditAction, Outcome
from mlat.jobs import runner, sandbox
from mlat.jobs.queues import ManualQueue
from mlat.models import (
    AuditEntry,
    MlaRequest,
    RequestEvent,
    RequestStatus,
    Role,
    SigningCredential,
    User,
    WorkflowAction,
    utcnow,
)
from mlat.packets.certificates import (
    demo_authority,
    demo_signing_certificate,
    demo_signing_pkcs12,
)
from mlat.packets.render import render_packet
from mlat.packets.signature import Check, Credential, check_pdf, sign_pdf
from mlat.services import ServiceError
from mlat.services import packet_jobs as svc
from mlat.services.packets import packet_values_for
from mlat.services.signing import (
    Token,
    credential_of,
    import_credential,
    import_token_credential,
    sign_packet,
    trust_roots,
    verify_packet,
)
from mlat.services.workflow import transition
from tests.conftest import Client, MakeRequest, MakeUser, PageClient, text_of
from tests.hsm import Hsm, start_hsm
from tests.packet_jobs import KEYS, manual_queue, sign
from tests.tsa import timestamp_authority

SAMPLE = (
    Path(__file__).resolve().parent.parent / "docs" / "examples" / "qa-to-us-stored-content.json"
)


@pytest.fixture
def jobs(app: Flask) -> ManualQueue:
    return manual_queue(app)


@pytest.fixture
def prosecutor(make_user: MakeUser) -> User:
    return make_user(Role.prosecutor)


@pytest.fixture
def mla_request(make_user: MakeUser, make_request: MakeRequest) -> MlaRequest:
    return make_request(make_user(Role.officer), content=json.loads(SAMPLE.read_text()))


@pytest.fixture
def signed_pdf(db: Session, jobs: ManualQueue, mla_request: MlaRequest, prosecutor: User) -> bytes:
    sign(db, mla_request, prosecutor)
    assert jobs.run_all() == ["done"]
    pdf = svc.ready_bytes(session=db, request=mla_request, kind=svc.SIGNED)
    assert pdf is not None
    return pdf


def pdfsig(pdf: bytes, tmp_path: Path) -> str:
    tool = shutil.which("pdfsig")
    assert tool, "pdfsig is missing: `make setup` installs poppler-utils"
    path = tmp_path / "packet.pdf"
    path.write_bytes(pdf)
    return subprocess.run([tool, path], capture_output=True, text=True, timeout=60).stdout


def tampered(pdf: bytes) -> bytes:
    """One byte of the signed content changed: a letter of the request's text."""
    at = pdf.index(b"/Contents") // 2
    changed = bytearray(pdf)
    changed[at] = changed[at] ^ 0x01
    return bytes(changed)


def test_the_stored_packet_carries_a_valid_signature_over_the_whole_file(
    db: Session, signed_pdf: bytes, prosecutor: User, tmp_path: Path
) -> None:
    report = pdfsig(signed_pdf, tmp_path)
    assert "Signature Validation: Signature is Valid." in report, report
    assert "Total document signed" in report, report
    assert f"Signer Certificate Common Name: {prosecutor.name}" in report, report
    assert "ETSI.CAdES.detached" in report  # PAdES baseline
    # a demonstration certificate says so in the packet itself
    text = " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(signed_pdf)).pages
    )
    assert "signed with a demonstration certificate" in text
    check = check_pdf(signed_pdf, trust_roots(session=db, keys=KEYS))
    assert check.valid and check.signer.startswith(f"Common Name: {prosecutor.name}")
    qpdf = shutil.which("qpdf")
    assert qpdf
    path = tmp_path / "packet.pdf"
    checked = subprocess.run([qpdf, "--check", path], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0 and "WARNING" not in checked.stdout + checked.stderr


def test_a_single_changed_byte_breaks_the_signature(
    db: Session, signed_pdf: bytes, tmp_path: Path
) -> None:
    changed = tampered(signed_pdf)
    assert "Signature Validation: Digest Mismatch." in pdfsig(changed, tmp_path)
    assert not check_pdf(changed, trust_roots(session=db, keys=KEYS)).intact
    found = verify_packet(session=db, data=changed, keys=KEYS)
    assert not found.genuine and found.request is None


def test_a_page_added_after_signing_is_noticed(db: Session, signed_pdf: bytes) -> None:
    """An incremental update after the signature: the signed bytes are intact, but the
    signature no longer covers the file."""
    import pikepdf

    with pikepdf.open(io.BytesIO(signed_pdf)) as pdf:
        pdf.pages.append(pdf.pages[0])
        out = io.BytesIO()
        pdf.save(out)
    found = verify_packet(session=db, data=out.getvalue(), keys=KEYS)
    assert not found.genuine


def test_the_signature_is_checked_against_the_trusted_authorities(
    db: Session, signed_pdf: bytes
) -> None:
    assert not check_pdf(signed_pdf, trust_roots=()).trusted
    found = verify_packet(session=db, data=signed_pdf, keys=KEYS)
    assert found.genuine and found.request is not None and found.signer is not None


def test_signing_without_a_certificate_is_refused_in_words(
    db: Session, mla_request: MlaRequest, make_user: MakeUser
) -> None:
    unready = make_user(Role.prosecutor)
    credential = db.exec(
        select(SigningCredential).where(SigningCredential.user_id == unready.id)
    ).one()
    db.delete(credential)
    db.commit()
    approved(db, mla_request)
    assert "has no signing certificate" in refused_signing(db, mla_request, unready)
    db.refresh(mla_request)
    assert mla_request.status == RequestStatus.approved


def test_an_imported_pkcs12_file_signs_and_is_trusted_when_configured(
    db: Session, app: Flask, jobs: ManualQueue, mla_request: MlaRequest, make_user: MakeUser,
    tmp_path: Path,
) -> None:  # fmt: skip
    """A certificate issued by an outside authority, loaded from its PKCS#12 file."""

    outside = demo_authority("Ministry of Justice", "QA", utcnow())
    data = demo_signing_pkcs12(outside, name="Khalid Al-Sulaiti", email="k@pp.qa",
                               organisation="Public Prosecution", country="QA",
                               passphrase=b"card pin", now=utcnow())  # fmt: skip
    prosecutor = make_user(Role.prosecutor)
    with pytest.raises(ServiceError):
        import_credential(session=db, user=prosecutor, data=data, passphrase=b"wrong", keys=KEYS)
    found = import_credential(session=db, user=prosecutor, data=data, passphrase=b"card pin",
                              keys=KEYS)  # fmt: skip
    db.commit()
    assert "Khalid Al-Sulaiti" in found.subject and found.demo  # made by the demo helper
    # the stored file is encrypted with the installation's secret, not the card's PIN
    key, _cert, _cas = pkcs12.load_key_and_certificates(found.pkcs12, KEYS.passphrase)
    assert key is not None
    sign(db, mla_request, prosecutor)
    assert jobs.run_all() == ["done"]
    pdf = svc.ready_bytes(session=db, request=mla_request, kind=svc.SIGNED)
    assert pdf is not None
    assert not verify_packet(session=db, data=pdf, keys=KEYS).check.trusted  # not configured
    trusted = KEYS.__class__(KEYS.passphrase, trust=(outside.certificate,))
    assert verify_packet(session=db, data=pdf, keys=trusted).genuine


def test_signing_and_checking_work_where_an_event_loop_already_runs(
    db: Session, signed_pdf: bytes, mla_request: MlaRequest
) -> None:
    """pyHanko starts an event loop of its own; inside a thread that already runs one
    (an async server, a browser driver) signing and checking must still work."""
    authority = demo_authority("Public Prosecution", "QA", utcnow())
    data = demo_signing_pkcs12(authority, name="Khalid Al-Sulaiti", email="k@pp.qa",
                               organisation="Public Prosecution", country="QA",
                               passphrase=b"pin", now=utcnow())  # fmt: skip
    credential = Credential(data, b"pin")
    pdf = render_packet(
        packet_values_for(session=db, request=mla_request, internal=False), internal=False
    )

    async def inside_a_loop() -> tuple[Check, Check]:
        asyncio.get_running_loop()  # there is one
        again = sign_pdf(pdf, credential, stamp_lines=("Khalid",), reason="r", location="Doha")
        return check_pdf(again, (authority.certificate,)), check_pdf(signed_pdf, ())

    # a thread of its own, whose loop runs the coroutine: whatever this thread runs
    with ThreadPoolExecutor(max_workers=1) as pool:
        fresh, stored = pool.submit(asyncio.run, inside_a_loop()).result()
    assert fresh.valid and fresh.signer.startswith("Common Name: Khalid Al-Sulaiti")
    assert stored.intact and stored.whole and not stored.trusted


def to_unicode_targets(cmap: str) -> list[str]:
    """The characters a ToUnicode CMap maps glyphs to (its bfchar and bfrange entries)."""
    found: list[str] = []
    section = ""
    for line in cmap.splitlines():
        if line.strip().endswith(("beginbfchar", "beginbfrange")):
            section = line.split()[-1]
            continue
        codes = re.findall(r"<([0-9A-Fa-f]+)>", line)
        if section == "beginbfchar" and len(codes) == 2:
            found.append(bytes.fromhex(codes[1]).decode("utf-16-be"))
        elif section == "beginbfrange" and "[" in line:
            found += [bytes.fromhex(code).decode("utf-16-be") for code in codes[2:]]
        elif section == "beginbfrange" and len(codes) == 3:
            low, high, start = (int(code, 16) for code in codes)
            found += [chr(start + i) for i in range(high - low + 1)]
    return found


def stamp_fonts(pdf: bytes) -> list[tuple[str, set[int], str]]:
    """Each font of the signature's visible stamp: its name, the glyph ids the stamp
    draws with it, and the characters its ToUnicode map gives for them."""
    found = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for annotation in page.get("/Annots") or []:
            widget = annotation.get_object()
            if widget.get("/FT") != "/Sig":
                continue
            forms = [widget["/AP"]["/N"].get_object()]
            while forms:
                form = forms.pop()
                resources = form.get("/Resources") or {}
                forms += [x.get_object() for x in (resources.get("/XObject") or {}).values()]
                drawn = {
                    int(gid, 16)
                    for run in re.findall(rb"<([0-9A-Fa-f]+)>", form.get_data())
                    for gid in re.findall(rb"[0-9A-Fa-f]{4}", run)
                }
                for font in (resources.get("/Font") or {}).values():
                    font = font.get_object()
                    cmap = font["/ToUnicode"].get_object().get_data().decode("latin-1")
                    chars = "".join(to_unicode_targets(cmap))
                    found.append((str(font["/BaseFont"]), drawn, chars))
    return found


@pytest.mark.parametrize(
    ("name", "font"),
    [
        ("Khalid Al-Sulaiti", "NotoSans-Regular"),
        ("خالد السليطي", "DejaVuSans"),
        ("Ирина Петрова", "DejaVuSans"),
        ("王小明", "NotoSansCJKsc"),
    ],
)
def test_the_stamp_draws_the_signers_name_in_any_script(
    db: Session, mla_request: MlaRequest, name: str, font: str
) -> None:
    """A prosecutor's name in Arabic, Cyrillic or Chinese is drawn on the stamp with a font
    that has its letters (never the empty box of a missing glyph), Arabic joined."""
    authority = demo_authority("Public Prosecution", "QA", utcnow())
    data = demo_signing_pkcs12(authority, name=name, email="p@pp.qa",
                               organisation="Public Prosecution", country="QA",
                               passphrase=b"pin", now=utcnow())  # fmt: skip
    pdf = render_packet(
        packet_values_for(session=db, request=mla_request, internal=False), internal=False
    )
    signed = sign_pdf(pdf, Credential(data, b"pin"),
                      stamp_lines=(f"Digitally signed by {name}", "2026-12-05 09:00 UTC"),
                      reason="r", location="Doha")  # fmt: skip
    assert check_pdf(signed, (authority.certificate,)).valid
    [(base_font, drawn, chars)] = stamp_fonts(signed)
    assert font in base_font
    assert 0 not in drawn, "a character of the stamp has no glyph in its font"
    # Arabic is drawn in its joined (presentation) forms, which fold back to the letters.
    letters = set(unicodedata.normalize("NFKC", chars))
    assert set(name.replace(" ", "")) <= letters, (name, chars)
    if name == "خالد السليطي":
        assert any("\ufe70" <= c <= "\ufeff" for c in chars)  # joined forms


# ------------------------------------------------ a key on a PKCS#11 token (SoftHSM2)


@pytest.fixture(scope="session")
def hsm(tmp_path_factory: pytest.TempPathFactory) -> Hsm:
    return start_hsm(tmp_path_factory.mktemp("softhsm"))


def with_token(app: Flask, hsm: Hsm) -> None:
    """The app configured as with MLAT_PKCS11_MODULE, _TOKEN and _PIN."""
    app.config["MLAT"] = dataclasses.replace(
        app.config["MLAT"], token_module=hsm.module, token_label=hsm.label, token_pin=hsm.pin
    )


def test_a_key_on_a_pkcs11_token_signs_the_packet_without_leaving_it(
    db: Session, app: Flask, runner: Any, hsm: Hsm, mla_request: MlaRequest,
    make_user: MakeUser, tmp_path: Path,
) -> None:  # fmt: skip
    prosecutor = make_user(Role.prosecutor)
    label = f"prosecutor-{prosecutor.id}-{secrets.token_hex(4)}"
    outside = demo_authority("Ministry of Justice", "QA", utcnow())
    certificate = demo_signing_certificate(
        outside, hsm.new_key(label), name="Khalid Al-Sulaiti", email="k@pp.qa",
        organisation="Public Prosecution", country="QA", now=utcnow(),
    )  # fmt: skip
    hsm.store_certificate(label, certificate)
    chain = tmp_path / "chain.pem"
    chain.write_bytes(
        cx509.load_der_x509_certificate(outside.certificate).public_bytes(Encoding.PEM)
    )
    with_token(app, hsm)
    result = runner.invoke(args=["signing", "token", prosecutor.email, label,
                                 "--chain", str(chain)])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "now signs as CN=Khalid Al-Sulaiti" in result.output
    assert f"with the key '{label}' on the token" in result.output
    db.expire_all()
    stored = credential_of(session=db, user_id=prosecutor.id)
    assert stored is not None and stored.token_key == label and stored.pkcs12 == b""

    jobs = manual_queue(app)
    sign(db, mla_request, prosecutor)
    assert jobs.run_all() == ["done"]
    pdf = svc.ready_bytes(session=db, request=mla_request, kind=svc.SIGNED)
    assert pdf is not None
    report = pdfsig(pdf, tmp_path)
    assert "Signature Validation: Signature is Valid." in report, report
    assert "Total document signed" in report, report
    assert "Signer Certificate Common Name: Khalid Al-Sulaiti" in report, report
    trusted = KEYS.__class__(KEYS.passphrase, trust=(outside.certificate,))
    found = verify_packet(session=db, data=pdf, keys=trusted)
    assert found.genuine and found.signer is not None and found.signer.id == prosecutor.id


def test_a_token_key_that_cannot_sign_is_refused_when_loaded_in_words(
    db: Session, app: Flask, runner: Any, hsm: Hsm, mla_request: MlaRequest,
    make_user: MakeUser, tmp_path: Path,
) -> None:  # fmt: skip
    prosecutor = make_user(Role.prosecutor)
    label = f"refused-{prosecutor.id}-{secrets.token_hex(4)}"
    result = runner.invoke(args=["signing", "token", prosecutor.email, label])
    assert result.exit_code == 1
    assert "No PKCS#11 token is configured (MLAT_PKCS11_MODULE)." in result.output

    with_token(app, hsm)
    result = runner.invoke(args=["signing", "token", prosecutor.email, label])
    assert result.exit_code == 1
    assert f"The key {label} on the token cannot sign:" in result.output, result.output

    # a certificate for another key: the test signature does not verify
    hsm.new_key(label)
    outside = demo_authority("Ministry of Justice", "QA", utcnow())
    other = cx509.load_der_x509_certificate(
        pkcs12.load_key_and_certificates(
            demo_signing_pkcs12(outside, name="Someone Else", email="s@pp.qa",
                                organisation="PP", country="QA", passphrase=b"x",
                                now=utcnow()), b"x")[1].public_bytes(Encoding.DER)  # type: ignore[union-attr]
    )  # fmt: skip
    path = tmp_path / "other.pem"
    path.write_bytes(other.public_bytes(Encoding.PEM))
    result = runner.invoke(args=["signing", "token", prosecutor.email, label,
                                 "--certificate", str(path)])  # fmt: skip
    assert result.exit_code == 1
    assert "the key on the token does not belong to the certificate" in result.output
    kept = credential_of(session=db, user_id=prosecutor.id)  # the demo one, untouched
    assert kept is not None and kept.token_key == "" and kept.demo


def test_a_token_key_is_refused_in_words_where_the_token_is_not_configured(
    db: Session, app: Flask, hsm: Hsm, mla_request: MlaRequest, make_user: MakeUser
) -> None:
    prosecutor = make_user(Role.prosecutor)
    label = f"gone-{prosecutor.id}-{secrets.token_hex(4)}"
    outside = demo_authority("Ministry of Justice", "QA", utcnow())
    hsm.store_certificate(label, demo_signing_certificate(
        outside, hsm.new_key(label), name="Khalid Al-Sulaiti", email="k@pp.qa",
        organisation="Public Prosecution", country="QA", now=utcnow(),
    ))  # fmt: skip
    token = Token(hsm.module, hsm.label, hsm.pin)
    keys = KEYS.__class__(KEYS.passphrase, token=token)
    import_token_credential(session=db, user=prosecutor, key_label=label, keys=keys)
    db.commit()
    mla_request.signed_by_id = prosecutor.id
    with pytest.raises(ServiceError) as refused:
        sign_packet(session=db, request=mla_request, pdf=b"%PDF-1.7", keys=KEYS,
                    location="Doha")  # fmt: skip
    assert "on a security token that this server is not set up to use" in refused.value.message
    wrong_pin = KEYS.__class__(KEYS.passphrase, token=dataclasses.replace(token, pin="0000"))
    values = packet_values_for(session=db, request=mla_request, internal=False)
    with pytest.raises(ServiceError) as refused:
        sign_packet(session=db, request=mla_request, pdf=render_packet(values, internal=False),
                    keys=wrong_pin, location="Doha")  # fmt: skip
    assert (
        refused.value.params["reason"]
        == "the token 'mlat-tests' could not be opened: the PIN is wrong"
    )


# ------------------------------------------------ the sign form: confirm and re-authenticate


def sign_form(client: Client, request: MlaRequest, **fields: str) -> Any:
    data = {"version": str(request.version), **fields}
    return client.submit(f"/requests/{request.id}/do/sign", data,
                         form_url=f"/requests/{request.id}")  # fmt: skip


def refused_signing(db: Session, request: MlaRequest, actor: User) -> str:
    """Why signing is refused to the actor (it must be), the session rolled back."""
    with pytest.raises(ServiceError) as refused:
        transition(session=db, request=request, actor=actor, action="sign",
                   expected_version=request.version)  # fmt: skip
    db.rollback()
    return refused.value.message


def approved(db: Session, request: MlaRequest) -> MlaRequest:
    request.status = RequestStatus.approved
    request.approved_digest = request.content_digest
    db.add(request)
    db.commit()
    db.refresh(request)
    return request


def test_signing_asks_for_confirmation_password_and_a_fresh_code(
    app: Flask, client: Client, db: Session, jobs: ManualQueue, mla_request: MlaRequest,
    make_user: MakeUser,
) -> None:  # fmt: skip
    from tests.conftest import PASSWORD

    prosecutor = make_user(Role.prosecutor)
    assert client.login(prosecutor.email).status_code == 302
    request = approved(db, mla_request)
    page = client.get(f"/requests/{request.id}").text
    assert "Signing puts your digital signature on the packet" in page
    phone = app.extensions["test_authenticator"]
    attempts = [
        ({"password": PASSWORD, "code": phone.code(prosecutor.email)},
         "Tick the box to confirm that you have read what you sign."),
        ({"confirm": "y", "password": "not the password", "code": phone.code(prosecutor.email)},
         "Your password is not right."),
        ({"confirm": "y", "password": PASSWORD, "code": "000000"},
         "That code is not right, or it has been used already."),
    ]  # fmt: skip
    for fields, message in attempts:
        response = sign_form(client, request, **fields)
        assert response.status_code == 303
        shown = client.get(response.location).text
        assert message in shown, shown
        db.refresh(request)
        assert request.status == RequestStatus.approved
    failures = db.exec(
        select(AuditEntry).where(
            AuditEntry.action == AuditAction.login, AuditEntry.outcome == Outcome.failure
        )
    ).all()
    assert {e.reason for e in failures} >= {"password, to sign", "two-factor code, to sign"}
    response = sign_form(client, request, confirm="y", password=PASSWORD,
                         code=phone.code(prosecutor.email))  # fmt: skip
    assert response.status_code == 303
    assert "Signed. The packet is being prepared." in client.get(response.location).text
    db.refresh(request)
    assert request.status == RequestStatus.signed and request.signed_by_id == prosecutor.id


# ------------------------------------------------ checking a copy: the page and the command


def test_the_check_page_says_whether_a_packet_is_genuine(
    client_request: PageClient, client: Client, db: Session, signed_pdf: bytes,
    mla_request: MlaRequest, prosecutor: User, login_as: Any,
) -> None:  # fmt: skip
    login_as(Role.officer)

    def check(data: bytes) -> Any:
        return client.submit("/packets/verify",
                             {"file": (io.BytesIO(data), "packet.pdf")},
                             content_type="multipart/form-data")  # fmt: skip

    genuine = check(signed_pdf)
    assert genuine.status_code == 200
    from bs4 import BeautifulSoup

    page = BeautifulSoup(genuine.text, "html.parser")
    verdict = text_of(page.select_one(".verdict"))
    assert verdict.startswith("Genuine: this is a packet signed here, unchanged.")
    assert prosecutor.name in verdict and mla_request.reference in verdict
    changed = BeautifulSoup(check(tampered(signed_pdf)).text, "html.parser")
    verdict = text_of(changed.select_one(".verdict"))
    assert verdict.startswith("Not confirmed")
    assert "No: the signed content was changed after signing." in verdict
    unsigned = BeautifulSoup(check(b"%PDF-1.7\n%%EOF\n").text, "html.parser")
    assert "The file carries no digital signature." in text_of(unsigned.select_one(".verdict"))
    empty = client.submit("/packets/verify", {}, content_type="multipart/form-data")
    assert empty.status_code == 400
    assert "Choose the PDF file to check." in empty.text
    audited = db.exec(
        select(AuditEntry).where(AuditEntry.action == AuditAction.packet_verify)
        .order_by(col(AuditEntry.seq))
    ).all()  # fmt: skip
    assert [e.outcome for e in audited] == [Outcome.success, Outcome.failure, Outcome.failure]


def test_the_verify_command_answers_and_exits_by_its_verdict(
    runner: Any, signed_pdf: bytes, mla_request: MlaRequest, tmp_path: Path
) -> None:
    good, bad = tmp_path / "good.pdf", tmp_path / "bad.pdf"
    good.write_bytes(signed_pdf)
    bad.write_bytes(tampered(signed_pdf))
    result = runner.invoke(args=["packet", "verify", str(good)])
    assert result.exit_code == 0, result.output
    assert "Genuine: yes" in result.output
    assert f"Packet of request {mla_request.reference}, as stored here." in result.output
    result = runner.invoke(args=["packet", "verify", str(bad)])
    assert result.exit_code == 1
    assert "Signature intact: NO" in result.output and "Genuine: NO" in result.output


def test_the_signing_commands_load_and_issue_certificates(
    runner: Any, db: Session, make_user: MakeUser, tmp_path: Path, monkeypatch: Any
) -> None:

    officer = make_user(Role.prosecutor)
    authority = demo_authority("Ministry of Justice", "QA", utcnow())
    path = tmp_path / "card.p12"
    path.write_bytes(demo_signing_pkcs12(authority, name="Card Holder", email="c@pp.qa",
                                         organisation="PP", country="QA", passphrase=b"1234",
                                         now=utcnow()))  # fmt: skip
    monkeypatch.setenv("MLAT_PKCS12_PASSPHRASE", "1234")
    result = runner.invoke(args=["signing", "import", officer.email, str(path)])
    assert result.exit_code == 0, result.output
    assert re.search(r"now signs as CN=Card Holder.*valid until \d{4}-\d\d-\d\d", result.output)
    monkeypatch.setenv("MLAT_PKCS12_PASSPHRASE", "wrong")
    result = runner.invoke(args=["signing", "import", officer.email, str(path)])
    assert result.exit_code == 1 and "passphrase" in result.output
    result = runner.invoke(args=["signing", "demo", officer.email])
    assert result.exit_code == 0 and "demonstration certificate" in result.output
    result = runner.invoke(args=["signing", "demo", "nobody@example.org"])
    assert result.exit_code == 1 and "No user with the e-mail address" in result.output


def test_a_timestamp_authority_when_configured_timestamps_the_signature(
    db: Session, mla_request: MlaRequest, prosecutor: User, tmp_path: Path
) -> None:
    from mlat.services.signing import SigningKeys

    values = packet_values_for(session=db, request=mla_request, internal=False)
    rendered = render_packet(values, internal=False)
    mla_request.signed_by_id, mla_request.signed_at = prosecutor.id, utcnow()
    with timestamp_authority() as (url, answered):
        keys = SigningKeys(KEYS.passphrase, timestamp_url=url)
        signed = sign_packet(session=db, request=mla_request, pdf=rendered, keys=keys,
                             location="Doha")  # fmt: skip
    assert answered  # the authority was asked
    from pyhanko.pdf_utils.reader import PdfFileReader

    embedded = PdfFileReader(io.BytesIO(signed)).embedded_signatures[-1]
    token = embedded.signer_info["unsigned_attrs"]
    assert any(a["type"].native == "signature_time_stamp_token" for a in token)
    assert "Signature Validation: Signature is Valid." in pdfsig(signed, tmp_path)


# ------------------------------------------------ a packet that cannot be rendered is not signed


def test_approval_renders_the_packet_and_a_failed_render_blocks_signing(
    db: Session, jobs: ManualQueue, mla_request: MlaRequest, prosecutor: User,
    make_user: MakeUser,
) -> None:  # fmt: skip
    from mlat.models import PacketJob, PacketJobStatus
    from mlat.services.workflow import Inputs

    mla_request.status = RequestStatus.in_review
    db.add(mla_request)
    db.commit()
    db.refresh(mla_request)
    reviewer = make_user(Role.reviewer)
    transition(session=db, request=mla_request, actor=reviewer, action="approve",
               expected_version=mla_request.version,
               inputs=Inputs(seen_digest=mla_request.content_digest))  # fmt: skip
    db.commit()
    (job,) = db.exec(select(PacketJob).where(PacketJob.request_id == mla_request.id)).all()
    assert job.kind == svc.DRAFT and job.id in jobs.queued
    # the render fails, as an annex of 3,000 pages would past the time limit
    job.status, job.error = PacketJobStatus.failed, "Rendering the packet took longer."
    db.add(job)
    db.commit()
    db.refresh(mla_request)
    assert "could not be rendered, so it cannot be signed" in refused_signing(
        db, mla_request, prosecutor
    )
    # rendered again (the annex fixed, or the limits raised), it can be signed
    jobs.queued.clear()
    svc.request_render(session=db, request=mla_request, kind=svc.DRAFT)
    db.commit()
    assert jobs.run_all() == ["done"]
    db.refresh(mla_request)
    transition(session=db, request=mla_request, actor=prosecutor, action="sign",
               expected_version=mla_request.version)  # fmt: skip
    db.commit()
    assert mla_request.status == RequestStatus.signed


def test_a_request_whose_addressee_cannot_be_reached_is_not_signed(
    db: Session, make_user: MakeUser, make_request: MakeRequest, prosecutor: User
) -> None:
    """Approved before the officer gave the addressee's e-mail (the United States' table
    has none), the request cannot be signed: the packet would print a blank there."""
    content = json.loads(SAMPLE.read_text())
    content["addressee"] = {}
    request = approved(db, make_request(make_user(Role.officer), content=content))
    message = refused_signing(db, request, prosecutor)
    assert "The packet cannot name the authority it goes to" in message
    assert "enters them under Addressee on the Route step" in message


# ------------------------------------------------ rendered while the prosecutor reads


def counted_renders(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The renders packet jobs make from now on, each still made."""
    renders: list[object] = []
    real = sandbox.render_isolated

    def counting(*args: Any, **kwargs: Any) -> bytes:
        renders.append(args)
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "render_isolated", counting)
    return renders


def test_the_packet_rendered_while_the_prosecutor_reads_is_the_one_signed(
    db: Session, client: Client, jobs: ManualQueue, mla_request: MlaRequest,
    prosecutor: User, make_user: MakeUser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    """Opening an approved request to sign it renders the packet as this prosecutor
    would sign it today; signing then only adds the signature, to those very pages."""
    approved(db, mla_request)
    client.login(make_user(Role.officer).email)
    assert client.get(f"/requests/{mla_request.id}").status_code == 200
    assert jobs.queued == []  # only someone who may sign has it prepared
    uncertified = make_user(Role.prosecutor)
    db.delete(credential_of(session=db, user_id=uncertified.id))
    db.commit()
    client.login(uncertified.email)
    assert client.get(f"/requests/{mla_request.id}").status_code == 200
    assert jobs.queued == []  # nor for a prosecutor who cannot sign yet
    client.login(prosecutor.email)
    assert client.get(f"/requests/{mla_request.id}").status_code == 200
    assert client.get(f"/requests/{mla_request.id}").status_code == 200
    assert jobs.run_all() == ["done"]  # one render, however often the page is opened
    ready = svc.packet_job(session=db, request=mla_request, kind=svc.READY)
    assert ready is not None and ready.file_id is not None and ready.values_digest
    values = packet_values_for(session=db, request=mla_request, internal=False,
                               as_signed_by=prosecutor)  # fmt: skip
    prepared = svc.ready_render(
        session=db, request_id=mla_request.id or 0, digest=svc.values_digest(values)
    )
    assert prepared is not None

    renders = counted_renders(monkeypatch)
    sign(db, mla_request, prosecutor)
    assert jobs.run_all() == ["done"]
    assert renders == []  # nothing rendered: the prepared pages were signed
    pdf = svc.ready_bytes(session=db, request=mla_request, kind=svc.SIGNED)
    assert pdf is not None and pdf.startswith(prepared)  # the signature is an update after them
    report = pdfsig(pdf, tmp_path)
    assert (
        "Signature Validation: Signature is Valid." in report and "Total document signed" in report
    )
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert prosecutor.name in text and "DRAFT" not in text
    db.expire_all()
    assert svc.packet_job(session=db, request=mla_request, kind=svc.READY) is None  # served


def test_a_packet_prepared_for_another_prosecutor_is_not_signed(
    db: Session, client: Client, jobs: ManualQueue, mla_request: MlaRequest,
    prosecutor: User, make_user: MakeUser, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    approved(db, mla_request)
    client.login(prosecutor.email)
    client.get(f"/requests/{mla_request.id}")
    assert jobs.run_all() == ["done"]
    other = make_user(Role.prosecutor)
    renders = counted_renders(monkeypatch)
    sign(db, mla_request, other)
    assert jobs.run_all() == ["done"]
    assert len(renders) == 1  # rendered afresh, with the other prosecutor's name
    pdf = svc.ready_bytes(session=db, request=mla_request, kind=svc.SIGNED)
    assert pdf is not None
    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf)).pages)
    assert other.name in text and prosecutor.name not in text


def test_the_request_page_tells_the_approver_that_another_prosecutor_signs(
    db: Session, client_request: PageClient, client: Client, mla_request: MlaRequest,
    make_user: MakeUser,
) -> None:  # fmt: skip
    both = make_user(Role.reviewer, Role.prosecutor)
    approved(db, mla_request)
    db.add(RequestEvent(request_id=mla_request.id or 0, actor_id=both.id,
                        action=WorkflowAction.approve, from_status="in_review",
                        to_status="approved"))  # fmt: skip
    db.commit()
    client.login(both.email)
    page = client_request.get(f"/requests/{mla_request.id}")
    assert not [b for b in page.select("main button") if text_of(b) == "Sign"]
    assert text_of(page.select_one(".sign-refused")) == (
        "You approved this request, so another prosecutor must sign it."
    )
    client.login(make_user(Role.prosecutor).email)
    page = client_request.get(f"/requests/{mla_request.id}")
    assert [b for b in page.select("main button") if text_of(b) == "Sign"]
    assert page.select_one(".sign-refused") is None
