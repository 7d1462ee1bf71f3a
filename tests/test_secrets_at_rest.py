"""Secrets at rest: what a copy of the database shows of stored files and two-factor
secrets (nothing readable), while downloads, digests, packet checks, setting up two-factor
and logging in with it work as before; a file moved into another row does not open."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
from typing import Any

import pyotp
import pytest
from bs4 import BeautifulSoup
from flask import Flask
from sqlalchemy import text
from sqlmodel import Session, select

import mlat.views.auth
from mlat.crypto import DataKeyError
from mlat.jobs.queues import ManualQueue
from mlat.models import MlaRequest, Packet, RequestAnnex, Role, StoredFile, User, utcnow
from mlat.services import twofactor
from mlat.services.files import file_bytes
from tests.conftest import PASSWORD, Client, MakeRequest, MakeUser, check_page, form_errors, text_of
from tests.packet_jobs import manual_queue, sign
from tests.test_packet_views import SAMPLE

STATEMENT = b"Witness statement of Mariam Al-Kuwari: transfer to IBAN QA58DOHB00001234567890ABCD\n"
OTHER = b"Bank records of the account ending 7788, January to March\n"


def raw_files(db: Session) -> dict[int, tuple[bytes, str, bytes, bytes]]:
    """Each stored file's row as the database holds it: data, key id, data key, nonce."""
    found = db.execute(text("SELECT file_id, data, key_id, data_key, nonce FROM file_content"))
    return {r[0]: (bytes(r[1]), r[2], bytes(r[3]), bytes(r[4])) for r in found}


def raw_secrets(db: Session, user: User) -> str:
    row = db.execute(
        text('SELECT totp_sealed, totp_pending FROM "user" WHERE id = :id'), {"id": user.id}
    ).one()
    return " ".join(value or "" for value in row)


def upload(client: Client, db: Session, request: MlaRequest, data: bytes, name: str) -> int:
    """Upload an annex through the wizard; the new annex's id."""
    db.expire_all()
    version = db.get_one(MlaRequest, request.id).version
    response = client.submit(
        f"/requests/{request.id}/wizard/annexes",
        {"file": (io.BytesIO(data), name), "kind": "evidence", "title": name,
         "language": "en", "version": str(version)},
    )  # fmt: skip
    assert response.status_code == 302
    annex = db.exec(select(RequestAnnex).where(RequestAnnex.filename == name)).one()
    assert annex.id is not None
    return annex.id


@pytest.fixture
def officer(client: Client, make_user: MakeUser) -> User:
    user = make_user(Role.officer)
    assert client.login(user.email).status_code == 302
    return user


def test_an_annex_is_stored_encrypted_and_downloads_as_uploaded(
    client: Client, officer: User, make_request: MakeRequest, db: Session
) -> None:
    request = make_request(officer)
    annex_id = upload(client, db, request, STATEMENT, "statement.txt")
    [(data, key_id, data_key, nonce)] = raw_files(db).values()
    assert b"Mariam" not in data and b"QA58DOHB" not in data and STATEMENT not in data
    assert key_id == "test" and len(data_key) == 60 and len(nonce) == 12
    download = client.get(f"/requests/{request.id}/annexes/{annex_id}")
    assert download.status_code == 200 and download.data == STATEMENT
    stored = db.get_one(StoredFile, db.get_one(RequestAnnex, annex_id).file_id)
    assert stored.sha256 == hashlib.sha256(STATEMENT).hexdigest()  # of the plain bytes
    page = client.get(f"/requests/{request.id}/wizard/annexes").text
    assert hashlib.sha256(STATEMENT).hexdigest() in page


def test_the_signed_packet_is_stored_encrypted_and_still_checks_as_genuine(
    app: Flask, client: Client, db: Session, make_user: MakeUser, make_request: MakeRequest
) -> None:
    jobs: ManualQueue = manual_queue(app)
    request = make_request(make_user(Role.officer), content=json.loads(SAMPLE.read_text()))
    prosecutor = make_user(Role.prosecutor)
    client.login(prosecutor.email)
    sign(db, request, prosecutor)
    assert jobs.run_all() == ["done"]
    packet = db.exec(select(Packet).where(Packet.request_id == request.id)).one()
    data, key_id, _key, _nonce = raw_files(db)[packet.file_id]
    assert key_id == "test" and b"%PDF" not in data and request.reference.encode() not in data
    assert all(b"%PDF" not in row[0] for row in raw_files(db).values())

    pdf = client.get(f"/requests/{request.id}/packet.pdf").data
    assert pdf.startswith(b"%PDF-")
    assert hashlib.sha256(pdf).hexdigest() == db.get_one(StoredFile, packet.file_id).sha256
    checked = client.submit("/packets/verify", {"file": (io.BytesIO(pdf), "packet.pdf")},
                            content_type="multipart/form-data")  # fmt: skip
    verdict = text_of(BeautifulSoup(checked.text, "html.parser").select_one(".verdict"))
    assert verdict.startswith("Genuine: this is a packet signed here, unchanged.")


def test_a_file_moved_into_another_row_is_refused(
    client: Client, officer: User, make_request: MakeRequest, db: Session
) -> None:
    request = make_request(officer)
    first = upload(client, db, request, STATEMENT, "statement.txt")
    second = upload(client, db, request, OTHER, "records.txt")
    first_file = db.get_one(RequestAnnex, first).file_id
    second_file = db.get_one(RequestAnnex, second).file_id
    # Someone with the database copies the second file's row over the first's.
    data, key_id, data_key, nonce = raw_files(db)[second_file]
    db.execute(
        text("UPDATE file_content SET data = :data, key_id = :key_id, data_key = :data_key, "
             "nonce = :nonce WHERE file_id = :id"),
        {"data": data, "key_id": key_id, "data_key": data_key, "nonce": nonce, "id": first_file},
    )  # fmt: skip
    db.commit()
    with pytest.raises(DataKeyError, match=f"file {first_file} .*belongs to another row"):
        file_bytes(session=db, file_id=first_file)
    download = client.get(f"/requests/{request.id}/annexes/{first}")
    assert download.status_code == 500 and b"Bank records" not in download.data
    assert "could not be decrypted with this server's keys" in text_of(check_page(download).h1)
    assert client.get(f"/requests/{request.id}/annexes/{second}").data == OTHER


def test_a_changed_ciphertext_is_refused_not_read(
    client: Client, officer: User, make_request: MakeRequest, db: Session
) -> None:
    request = make_request(officer)
    annex = upload(client, db, request, STATEMENT, "statement.txt")
    file_id = db.get_one(RequestAnnex, annex).file_id
    data = raw_files(db)[file_id][0]
    changed = bytes([data[0] ^ 1]) + data[1:]
    db.execute(text("UPDATE file_content SET data = :data WHERE file_id = :id"),
               {"data": changed, "id": file_id})  # fmt: skip
    db.commit()
    with pytest.raises(DataKeyError, match="does not verify"):
        file_bytes(session=db, file_id=file_id)


def password_step(client: Client, user: User) -> Any:
    return client.submit("/login", {"email": user.email, "password": PASSWORD})


def cookie_session(app: Flask, client: Client) -> str:
    """The session cookie as the browser holds it, and what it decodes to."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    decoded = app.session_interface.get_signing_serializer(app).loads(cookie.value)  # type: ignore[attr-defined]
    return cookie.value + " " + json.dumps(decoded)


def secret_on(page: str) -> str:
    match = re.search(r'id="totp-secret">([A-Z2-7]+)<', page)
    assert match, page
    return match.group(1)


def test_setting_up_two_factor_keeps_the_secret_out_of_the_cookie_and_database(
    app: Flask, client: Client, make_user: MakeUser, db: Session
) -> None:
    reviewer = make_user(Role.reviewer)
    step = client.submit(
        "/login", {"email": reviewer.email, "password": "correct horse battery staple"}
    )
    assert step.location == "/login/enrol"
    shown = client.get("/login/enrol").text
    secret = secret_on(shown)
    assert secret not in cookie_session(app, client)
    assert secret not in raw_secrets(db, reviewer)
    assert secret_on(client.get("/login/enrol").text) == secret  # kept on the server

    done = client.submit("/login/enrol", {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200  # logged in, and shown the recovery codes once
    assert client.get("/dashboard").status_code == 200
    assert secret not in cookie_session(app, client)
    db.expire_all()
    stored = db.get_one(User, reviewer.id)
    assert stored.totp_pending is None and secret not in raw_secrets(db, reviewer)
    assert twofactor.secret_of(session=db, user=stored) == secret

    client.submit("/logout", {}, form_url="/dashboard")
    step = client.submit(
        "/login", {"email": reviewer.email, "password": "correct horse battery staple"}
    )
    assert step.location == "/login/code"
    later = pyotp.TOTP(secret).at(utcnow() + dt.timedelta(seconds=30))
    assert client.submit("/login/code", {"code": later}).status_code == 302
    assert client.get("/dashboard").status_code == 200


def test_an_officer_turning_it_on_sees_one_secret_until_it_expires(
    app: Flask, client: Client, officer: User, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = secret_on(client.get("/account/two-factor").text)
    page = client.get("/account/two-factor").text
    assert secret_on(page) == first
    assert first not in cookie_session(app, client) and first not in raw_secrets(db, officer)

    # The page is left open for 16 minutes before the code is entered.
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token is not None
    later = utcnow() + dt.timedelta(minutes=16)
    monkeypatch.setattr(mlat.views.auth, "utcnow", lambda: later)
    code = pyotp.TOTP(first).at(later)
    late = client.post("/account/two-factor", data={"csrf_token": token.group(1), "code": code})
    errors = form_errors(check_page(late))
    assert any("Setting up took too long" in e for e in errors), errors
    second = secret_on(late.text)
    assert second != first

    monkeypatch.undo()
    client.submit("/account/two-factor", {"code": pyotp.TOTP(second).now()})
    db.expire_all()
    assert twofactor.secret_of(session=db, user=db.get_one(User, officer.id)) == second


def test_a_secret_moved_to_another_user_does_not_open(
    client: Client, make_user: MakeUser, db: Session
) -> None:
    users = [make_user(Role.officer) for _ in range(2)]
    for user in users:
        twofactor.store_secret(session=db, user=user, secret=twofactor.new_secret())
    db.commit()
    db.execute(text('UPDATE "user" SET totp_sealed = :value WHERE id = :id'),
               {"value": users[0].totp_sealed, "id": users[1].id})  # fmt: skip
    db.commit()
    db.expire_all()
    with pytest.raises(DataKeyError, match=f"user {users[1].id} totp"):
        twofactor.secret_of(session=db, user=db.get_one(User, users[1].id))
    response = client.submit(
        "/login", {"email": users[1].email, "password": "correct horse battery staple"}
    )
    assert response.location == "/login/code"
    code = client.submit("/login/code", {"code": "123456"})
    assert code.status_code == 500
    assert client.get("/dashboard").status_code == 302
