"""Packet services: draft renders, the signed packet stored once and served unchanged,
and uploaded annexes read from the database."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlmodel import Session, select

from mlat.models import (
    MlaRequest,
    Packet,
    RequestAnnex,
    RequestStatus,
    Role,
    User,
    utcnow,
)
from mlat.packets.render import html_to_pdf
from mlat.services import Conflict, ServiceError
from mlat.services import packets as svc
from mlat.services.files import keep_file
from tests.conftest import MakeRequest, MakeUser
from tests.packet_jobs import KEYS

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
SAMPLE = EXAMPLES / "qa-to-us-stored-content.json"


def sample_content() -> dict[str, Any]:
    content: dict[str, Any] = json.loads(SAMPLE.read_text())
    return content


@pytest.fixture
def officer(make_user: MakeUser) -> User:
    return make_user(Role.officer)


@pytest.fixture
def drafted(officer: User, make_request: MakeRequest) -> MlaRequest:
    return make_request(officer, content=sample_content())


@pytest.fixture
def prosecutor(make_user: MakeUser) -> User:
    return make_user(Role.prosecutor)


def sign(db: Session, request: MlaRequest, prosecutor: User) -> MlaRequest:
    request.status = RequestStatus.signed
    request.signed_at = utcnow()
    request.signed_by_id = prosecutor.id
    db.add(request)
    db.commit()
    return request


def upload(db: Session, request: MlaRequest, owner: User, *, title: str, kind: str,
           filename: str, media_type: str, data: bytes) -> None:  # fmt: skip
    stored = keep_file(session=db, data=data, media_type=media_type)
    assert request.id is not None and owner.id is not None and stored.id is not None
    db.add(RequestAnnex(request_id=request.id, file_id=stored.id, kind=kind, title=title,
                        language="en", filename=filename, uploaded_by=owner.id))  # fmt: skip
    db.commit()


def pages(pdf: bytes) -> list[str]:
    return [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]


def test_a_draft_is_rendered_on_demand_and_never_stored(db: Session, drafted: MlaRequest) -> None:
    pdf = svc.packet_bytes(session=db, request=drafted, keys=KEYS)
    assert pdf.startswith(b"%PDF-")
    assert "DRAFT" in pages(pdf)[0]
    assert svc.stored_packet(session=db, request=drafted) is None


def test_the_internal_copy_carries_the_rule_check(db: Session, drafted: MlaRequest) -> None:
    values = svc.packet_values_for(session=db, request=drafted, internal=True)
    assert values.checked_on is not None
    external = svc.packet_values_for(session=db, request=drafted, internal=False)
    assert external.findings == ()
    text = "".join(pages(svc.render_draft(session=db, request=drafted, internal=True)))
    assert "Compliance check (internal copy)" in text


def test_the_unsigned_packet_is_not_stored(db: Session, drafted: MlaRequest) -> None:
    with pytest.raises(ServiceError):
        svc.store_signed_packet(session=db, request=drafted, keys=KEYS)


def test_the_signed_packet_is_stored_once_with_its_digest(
    db: Session, drafted: MlaRequest, prosecutor: User
) -> None:
    sign(db, drafted, prosecutor)
    packet = svc.store_signed_packet(session=db, request=drafted, keys=KEYS)
    db.commit()
    found = svc.stored_packet(session=db, request=drafted)
    assert found is not None
    stored_packet, stored = found
    assert stored_packet.id == packet.id
    data = svc.packet_bytes(session=db, request=drafted, keys=KEYS)
    assert hashlib.sha256(data).hexdigest() == stored.sha256
    assert stored.size == len(data) and stored.media_type == "application/pdf"
    assert "DRAFT" not in "".join(pages(data))
    with pytest.raises(Conflict):
        svc.store_signed_packet(session=db, request=drafted, keys=KEYS)
    assert svc.packet_bytes(session=db, request=drafted, keys=KEYS) == data


def test_a_signed_request_downloaded_first_is_stored_then(
    db: Session, drafted: MlaRequest, prosecutor: User
) -> None:
    sign(db, drafted, prosecutor)
    first = svc.packet_bytes(session=db, request=drafted, keys=KEYS)
    db.commit()
    assert len(list(db.exec(select(Packet).where(Packet.request_id == drafted.id)))) == 1
    assert svc.packet_bytes(session=db, request=drafted, keys=KEYS) == first


def test_uploaded_annexes_are_appended_and_attached(
    db: Session, drafted: MlaRequest, officer: User
) -> None:
    before = len(pages(svc.render_draft(session=db, request=drafted)))
    law, _pages = html_to_pdf('<p style="break-after: page">LAW-TEXT one</p><p>LAW-TEXT two</p>')
    title = sample_content()["annexes"][0]["title"]
    upload(db, drafted, officer, title=title, kind="offence_text", filename="law.pdf",
           media_type="application/pdf", data=law)  # fmt: skip
    upload(db, drafted, officer, title="Raw headers", kind="evidence", filename="headers.txt",
           media_type="text/plain", data=b"Received: from mailhost.example")  # fmt: skip
    pdf = svc.render_draft(session=db, request=drafted)
    texts = pages(pdf)
    assert len(texts) == before + 2
    assert "LAW-TEXT one" in texts[-2] and "LAW-TEXT two" in texts[-1]
    reader = PdfReader(io.BytesIO(pdf))
    assert reader.attachments["headers.txt"] == [b"Received: from mailhost.example"]


@pytest.mark.parametrize(
    ("account_name", "title"),
    [
        ("Khalid Al-Sulaiti", ""),  # another prosecutor signed: the typed position is not theirs
        ("noora  al-thani", "Chief Prosecutor, Cybercrime Prosecution Office"),
    ],
)
def test_the_signature_block_names_the_prosecutor_whose_account_signed(
    db: Session, drafted: MlaRequest, make_user: MakeUser, account_name: str, title: str
) -> None:
    """The block once printed whatever name the officer typed as signatory."""
    before = svc.packet_values_for(session=db, request=drafted, internal=False)
    assert before.signature.name == "Noora Al-Thani"  # who is to sign, until someone does
    prosecutor = make_user(Role.prosecutor)
    prosecutor.name = account_name
    db.add(prosecutor)
    drafted.signed_by_id = prosecutor.id
    sign(db, drafted, prosecutor)
    after = svc.packet_values_for(session=db, request=drafted, internal=False)
    assert after.signature.name == account_name
    assert after.signature.title == title
    assert after.signature.signed_on is not None
