"""The API's files of a request: its packet (state, rendering, download) and its annexes
(list, upload, download), each download with its SHA-256 in ``ETag`` and ``Repr-Digest``."""

from __future__ import annotations

import base64
import hashlib
import io
import re
from typing import get_args

from flask import current_app, request, send_file
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from mlat.audit_actions import AuditAction
from mlat.auth import audit
from mlat.db import get_session
from mlat.messages import N_
from mlat.models import MlaRequest
from mlat.request_format import MAX_LINE, AnnexKind
from mlat.services import annexes, packet_jobs
from mlat.views.api.core import (
    Answer,
    ProblemError,
    body_of,
    caller,
    client_addr,
    expected_version,
    link,
    operation,
    query_of,
    respond,
    version_tag,
)
from mlat.views.api.requests import REQUEST
from mlat.views.api.schemas import (
    AnnexList,
    AnnexOut,
    PacketCopy,
    PacketOut,
    PacketQuery,
    PrepareInput,
)
from mlat.views.common import downloadable_request, visible_request
from mlat.views.transaction import commit

ANNEX_KINDS: tuple[str, ...] = get_args(AnnexKind)


def _packet_copies(mla_request: MlaRequest) -> list[PacketCopy]:
    db = get_session()
    copies = []
    for kind in (packet_jobs.external_kind(mla_request), packet_jobs.INTERNAL):
        state = packet_jobs.packet_state(session=db, request=mla_request, kind=kind)
        which = "internal" if kind == packet_jobs.INTERNAL else "external"
        copies.append(
            PacketCopy(
                kind=str(kind),
                status=state.status,
                error=_(state.error) if state.error else "",
                stuck=state.stuck,
                sha256=state.sha256,
                download=link("download_packet", request_id=mla_request.id, copy=which)
                if state.status == "ready"
                else None,
            )
        )
    return copies


@operation(
    REQUEST + "/packet",
    "GET",
    tag="packet",
    scope="read",
    summary=N_("The state of a request's packet"),
    description=N_(
        "The external copy (the signed packet once signed, a draft before) and the "
        "internal copy: ready, pending, failed (with why) or none. For those who may take the "
        "request's files: its prosecutors and reviewers, and the officers who drafted it."
    ),
    answers=[Answer(200, "The packet's copies", PacketOut)],
)
def get_packet(request_id: int) -> Response:
    mla_request = downloadable_request(request_id, AuditAction.packet_status)
    return respond(PacketOut(request_id=request_id, copies=_packet_copies(mla_request)))


@operation(
    REQUEST + "/packet",
    "POST",
    tag="packet",
    scope="write",
    body=PrepareInput,
    summary=N_("Prepare a copy of the packet"),
    description=N_(
        "Queues a render of the copy (external by default); its state is then read "
        "from GET .../packet until it is ready."
    ),
    answers=[Answer(202, "The render is queued", PacketOut)],
)
def prepare_packet(request_id: int) -> Response:
    mla_request = downloadable_request(request_id, AuditAction.packet_prepare)
    given = body_of(PrepareInput) if request.content_length else PrepareInput()
    internal = given.copy_ == "internal"
    kind = packet_jobs.INTERNAL if internal else packet_jobs.external_kind(mla_request)
    packet_jobs.request_render(session=get_session(), request=mla_request, kind=kind, user=caller())
    commit()
    body = PacketOut(request_id=request_id, copies=_packet_copies(mla_request))
    return respond(body, status=202)


@operation(
    REQUEST + "/packet.pdf",
    "GET",
    tag="packet",
    scope="read",
    query=PacketQuery,
    summary=N_("Download the packet"),
    description=N_(
        "The PDF of a copy that is ready (409 not-ready otherwise). The ETag and "
        "Repr-Digest carry its SHA-256."
    ),
    answers=[Answer(200, "The PDF", None, "application/pdf", ("ETag", "Repr-Digest"))],
)
def download_packet(request_id: int) -> Response:
    query = query_of(PacketQuery)
    mla_request = downloadable_request(request_id, AuditAction.packet_download)
    internal = query.copy_ == "internal"
    kind = packet_jobs.INTERNAL if internal else packet_jobs.external_kind(mla_request)
    data = packet_jobs.ready_bytes(session=get_session(), request=mla_request, kind=kind)
    if data is None:
        raise ProblemError(
            "not-ready", _("This copy of the packet is not ready: prepare it, then wait.")
        )
    digest = hashlib.sha256(data).digest()
    names = {
        packet_jobs.SIGNED: "stored packet",
        packet_jobs.DRAFT: "draft render",
        packet_jobs.INTERNAL: "internal copy",
    }
    audit(
        AuditAction.packet_download,
        object_type="request",
        object_id=request_id,
        details={"copy": names.get(kind, str(kind)), "sha256": digest.hex()},
    )
    commit()
    suffix = "-internal" if internal else ""
    return _file(data, "application/pdf", f"{mla_request.reference}{suffix}.pdf", digest)


def _file(data: bytes, media_type: str, name: str, digest: bytes) -> Response:
    response = send_file(
        io.BytesIO(data), mimetype=media_type, as_attachment=True, download_name=name, etag=False
    )
    response.headers["ETag"] = f'"{digest.hex()}"'
    response.headers["Repr-Digest"] = f"sha-256=:{base64.b64encode(digest).decode()}:"
    if "If-None-Match" in request.headers:
        response.make_conditional(request)
    return response


def _annex_out(request_id: int, row: annexes.AnnexRow) -> AnnexOut | None:
    if row.annex is None or row.file is None or row.annex.id is None:
        return None
    return AnnexOut(
        id=row.annex.id,
        kind=row.kind,
        title=row.title,
        language=row.language,
        filename=row.annex.filename,
        media_type=row.file.media_type,
        size=row.file.size,
        sha256=row.file.sha256,
        uploaded_at=row.annex.uploaded_at,
        download=link("download_annex", request_id=request_id, annex_id=row.annex.id),
    )


@operation(
    REQUEST + "/annexes",
    "GET",
    tag="annexes",
    scope="read",
    summary=N_("List a request's uploaded annexes"),
    description=N_("Each uploaded file with its SHA-256, size and media type."),
    answers=[Answer(200, "The annexes", AnnexList)],
)
def list_annexes(request_id: int) -> Response:
    mla_request = visible_request(request_id)
    rows = annexes.annex_rows(session=get_session(), request=mla_request)
    found = [out for row in rows if (out := _annex_out(request_id, row)) is not None]
    return respond(AnnexList(request_id=request_id, annexes=found))


def _max_bytes() -> int:
    return int(current_app.config.get("ANNEX_MAX_BYTES", annexes.DEFAULT_MAX_BYTES))


@operation(
    REQUEST + "/annexes",
    "POST",
    tag="annexes",
    scope="write",
    body="multipart",
    conditional=True,
    summary=N_("Upload an annex"),
    description=N_(
        "multipart/form-data with file, kind (offence_text, judicial_order, "
        "translation, evidence, other), title and language (ISO 639-1). If-Match must hold the "
        "request's ETag. The request's version rises, as with an upload on the wizard's page."
    ),
    answers=[Answer(201, "The annex as kept", AnnexOut, headers=("ETag", "Location"))],
)
def upload_annex(request_id: int) -> Response:
    mla_request = visible_request(request_id)
    if request.mimetype != "multipart/form-data":
        raise ProblemError(
            "unsupported-media-type",
            _("Send the annex as multipart/form-data, with a part named file."),
        )
    limit = _max_bytes()
    if (request.content_length or 0) > limit + 1024 * 1024:
        raise ProblemError("too-large", _("The file is larger than the limit for annexes."))
    request.max_content_length = limit + 1024 * 1024
    request.max_form_parts = 20
    upload = request.files.get("file")
    fields = {name: request.form.get(name, "") for name in ("kind", "title", "language")}
    problems = []
    if upload is None:
        problems.append({"path": "file", "message": _("this is required")})
    if not fields["title"].strip():
        problems.append({"path": "title", "message": _("this is required")})
    elif len(fields["title"]) > MAX_LINE:
        problems.append({"path": "title", "message": _("use at most %(max_length)s characters",
                                                       max_length=MAX_LINE)})  # fmt: skip
    if fields["language"] and not re.fullmatch(r"[a-z]{2}", fields["language"]):
        problems.append({"path": "language", "message": _("give a two-letter code such as en")})
    names = [upload.filename or ""] if upload is not None else []
    if any("\x00" in value for value in [*fields.values(), *names]):
        problems.append({"path": "", "message": _("a NUL character cannot be stored")})
    if fields["kind"] and fields["kind"] not in ANNEX_KINDS:
        allowed = _(
            "use one of the values the format allows: %(expected)s", expected=", ".join(ANNEX_KINDS)
        )
        problems.append({"path": "kind", "message": allowed})
    if problems or upload is None:
        raise ProblemError(
            "invalid-content", _("The upload is not complete; see errors."), errors=problems
        )
    version = expected_version(mla_request)
    annex = annexes.add_annex(
        session=get_session(),
        request=mla_request,
        editor=caller(),
        expected_version=version,
        data=upload.stream.read(limit + 1),
        filename=upload.filename or "",
        kind=fields["kind"] or "other",
        title=fields["title"],
        language=fields["language"] or None,
        max_bytes=limit,
        client_addr=client_addr(),
    )
    commit()
    rows = annexes.annex_rows(session=get_session(), request=mla_request)
    out = next(
        o
        for r in rows
        if r.annex is not None
        and r.annex.id == annex.id
        and (o := _annex_out(request_id, r)) is not None
    )
    return respond(
        out, status=201, etag=version_tag(mla_request), headers={"Location": out.download}
    )


@operation(
    REQUEST + "/annexes/<int:annex_id>",
    "GET",
    tag="annexes",
    scope="read",
    summary=N_("Download an annex"),
    description=N_("The file as uploaded; the ETag and Repr-Digest carry its SHA-256."),
    answers=[Answer(200, "The file, of its own media type", None, "*/*", ("ETag", "Repr-Digest"))],
)
def download_annex(request_id: int, annex_id: int) -> Response:
    mla_request = downloadable_request(request_id, AuditAction.annex_download)
    annex, stored, data = annexes.annex_file(
        session=get_session(), request=mla_request, annex_id=annex_id
    )
    audit(
        AuditAction.annex_download,
        object_type="request",
        object_id=request_id,
        details={"annex": annex_id, "sha256": stored.sha256},
    )
    commit()
    name = annexes.download_name(annex.filename, stored.media_type)
    return _file(data, stored.media_type, name, bytes.fromhex(stored.sha256))
