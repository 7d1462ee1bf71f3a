"""Request packets: their values, the signed packet kept once and served unchanged.

The signed packet is stored once, as a ``StoredFile`` with its SHA-256 linked by a
``Packet`` row, and served unchanged ever after. Web requests never render: they ask
for renders through ``mlat.services.packet_jobs``, done by a worker (``mlat.jobs``).
``packet_bytes`` renders in the caller's process, for the command line only.
"""

from __future__ import annotations

import contextlib
import datetime as dt

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from mlat.dates import local_date
from mlat.messages import N_
from mlat.models import (
    MlaRequest,
    Packet,
    RequestAnnex,
    StoredFile,
    Unit,
    User,
    utcnow,
)
from mlat.packets.build import AnnexInput, Issuer, Record, packet_values
from mlat.packets.render import render_packet
from mlat.packets.values import AnnexFile, PacketValues
from mlat.rules.engine import validate
from mlat.rules.loader import rulebook
from mlat.services import Conflict, ServiceError
from mlat.services.annexes import annex_rows
from mlat.services.files import file_bytes, keep_file
from mlat.services.signing import SigningKeys, credential_of, sign_packet
from mlat.services.validation import request_document

MEDIA_TYPE = "application/pdf"


def unit_of(*, session: Session, request: MlaRequest) -> Unit:
    unit = session.get(Unit, request.unit_id)
    assert unit is not None
    return unit


def annex_inputs(*, session: Session, request: MlaRequest) -> list[AnnexInput]:
    """The request's annexes as its content lists them, each with its uploaded bytes."""
    inputs: list[AnnexInput] = []
    for row in annex_rows(session=session, request=request):
        annex_file = None
        if row.annex is not None and row.file is not None:
            assert row.file.id is not None
            data = file_bytes(session=session, file_id=row.file.id)
            if data is not None:
                annex_file = _annex_file(row.annex, row.file, data)
        inputs.append(AnnexInput(row.kind, row.title, row.language or "", annex_file))
    return inputs


def _annex_file(annex: RequestAnnex, stored: StoredFile, data: bytes) -> AnnexFile:
    return AnnexFile(
        filename=annex.filename,
        media_type=stored.media_type,
        data=data,
        uploaded_at=annex.uploaded_at,
    )


def _name(session: Session, user_id: int | None) -> str:
    """The name on the account; empty for none (a request not signed yet)."""
    user = session.get(User, user_id) if user_id is not None else None
    return user.name if user is not None else ""


def _demo_signature(session: Session, user_id: int | None) -> bool:
    found = credential_of(session=session, user_id=user_id)
    return found is not None and found.demo


def packet_values_for(
    *, session: Session, request: MlaRequest, internal: bool, now: dt.datetime | None = None,
    as_signed_by: User | None = None,
) -> PacketValues:  # fmt: skip
    """The plain values a packet of the request is rendered from; ``as_signed_by``: as
    that prosecutor would sign it now."""
    unit = unit_of(session=session, request=request)
    now = now or utcnow()
    status, signed_at, signer = str(request.status), request.signed_at, request.signed_by_id
    if as_signed_by is not None:
        status, signed_at, signer = "signed", now, as_signed_by.id
    document = request_document(request=request, unit=unit)
    book = rulebook()
    findings = validate(document, book, local_date(now, unit.timezone)) if internal else []
    return packet_values(
        document,
        record=Record(
            reference=request.reference,
            subject=request.title,
            status=status,
            approved_at=request.approved_at,
            signed_at=signed_at,
            signer=_name(session, signer),
            demo_signature=_demo_signature(session, signer),
        ),
        issuer=Issuer(name=unit.name, state=unit.state, timezone=unit.timezone),
        book=book,
        annexes=annex_inputs(session=session, request=request),
        findings=findings,
        now=now,
    )


def render_draft(*, session: Session, request: MlaRequest, internal: bool = False) -> bytes:
    """A fresh render of the packet as the request stands now; never stored."""
    values = packet_values_for(session=session, request=request, internal=internal)
    return render_packet(values, internal=internal)


def stored_packet(*, session: Session, request: MlaRequest) -> tuple[Packet, StoredFile] | None:
    row = session.exec(
        select(Packet, StoredFile)
        .join(StoredFile, col(StoredFile.id) == Packet.file_id)
        .where(Packet.request_id == request.id)
    ).first()
    return (row[0], row[1]) if row else None


def store_file(*, session: Session, pdf: bytes) -> StoredFile:
    """Keep PDF bytes as a stored file (flushed, not committed)."""
    return keep_file(session=session, data=pdf, media_type=MEDIA_TYPE)


def store_signed_packet(
    *,
    session: Session,
    request: MlaRequest,
    keys: SigningKeys,
    pdf: bytes | None = None,
    signed: bool = False,
) -> Packet:
    """Keep the signed request's packet (``pdf``, rendered by a job; rendered here when
    not given, for the command line) once, with the digital signature of the prosecutor
    who signed the request (made here unless ``signed``); refuse a second time."""
    if request.signed_at is None:
        raise ServiceError(N_("Only a signed request's packet is stored."))
    if stored_packet(session=session, request=request) is not None:
        raise Conflict(N_("The packet of this request is already stored."))
    if pdf is None:
        values = packet_values_for(session=session, request=request, internal=False)
        pdf = render_packet(values, internal=False)
    if not signed:  # a job's render is signed before its claim is closed
        unit = unit_of(session=session, request=request)
        pdf = sign_packet(session=session, request=request, pdf=pdf, keys=keys,
                          location=unit.name)  # fmt: skip
    assert request.id is not None
    try:
        with session.begin_nested():
            stored = store_file(session=session, pdf=pdf)
            assert stored.id is not None
            packet = Packet(request_id=request.id, file_id=stored.id)
            session.add(packet)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(N_("The packet of this request is already stored.")) from exc
    return packet


def stored_bytes(*, session: Session, packet: Packet) -> bytes:
    data = file_bytes(session=session, file_id=packet.file_id)
    assert data is not None
    return data


def packet_bytes(
    *, session: Session, request: MlaRequest, keys: SigningKeys, internal: bool = False
) -> bytes:
    """For the command line, which may wait: the stored bytes of a signed request (stored
    now if not yet kept), else a fresh draft render; the internal copy is always fresh.
    Web requests use ``request_render`` and ``ready_bytes`` instead."""
    if internal:
        return render_draft(session=session, request=request, internal=True)
    found = stored_packet(session=session, request=request)
    if found is None and request.signed_at is not None:
        with contextlib.suppress(Conflict):  # a concurrent download stored it meanwhile
            store_signed_packet(session=session, request=request, keys=keys)
        found = stored_packet(session=session, request=request)
    if found is None:
        return render_draft(session=session, request=request)
    return stored_bytes(session=session, packet=found[0])
