"""Resumable uploads of evidence files, for the receipt form's script
(``mlat/static/evidence-upload.js``): start an upload, put its chunks, ask how much has
arrived, remove it. JSON in and out, same-origin, with the page's CSRF token in a
header; every refusal is an answer in words, never a page.

The receipt itself is still recorded by the form (``mlat.views.evidence.receive``),
which names the uploads instead of carrying the files."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from mlat.auth import role_required, the_user
from mlat.db import get_session
from mlat.evidence_store import EvidenceStore
from mlat.models import EvidenceUpload, Role
from mlat.services import Conflict, Forbidden, NotFound, ServiceError, evidence_uploads
from mlat.views import refusals
from mlat.views.common import visible_request
from mlat.views.transaction import attempt

bp = Blueprint("evidence_uploads", __name__)
# RFC 9530's Content-Digest, a structured dictionary: the sha-256 member, base64 in colons
SHA256_MEMBER = re.compile(r"(?:^|,)\s*sha-256=:([A-Za-z0-9+/=]*):\s*(?:;[^,]*)?(?=,|$)")
STATUS = ((evidence_uploads.UploadTooLarge, 413), (NotFound, 404), (Forbidden, 403),
          (Conflict, 409))  # fmt: skip


def _store() -> EvidenceStore:
    store: EvidenceStore = current_app.extensions["mlat_evidence"]
    return store


def _state(upload: EvidenceUpload) -> dict[str, Any]:
    return {
        "id": upload.id,
        "url": url_for("evidence_uploads.show", upload_id=upload.id),
        "filename": upload.filename,
        "size": upload.size,
        "chunk_size": upload.chunk_size,
        "received": upload.received,
        "complete": evidence_uploads.is_complete(upload),
    }


def _answer(status: int, words: str, upload: EvidenceUpload | None = None) -> Response:
    response = jsonify({**(_state(upload) if upload else {}), "error": words})
    response.status_code = status
    if status in (403, 404):
        refusals.record(status)  # audited, as the pages' refusals are
    return response


def _refused(error: ServiceError, upload: EvidenceUpload | None = None) -> Response:
    status = next((code for kind, code in STATUS if isinstance(error, kind)), 400)
    return _answer(status, error.translated(_, ngettext), upload)


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> Response:
    """404, 403, 413 and the CSRF check's 400, in words, for the script to show."""
    words = {
        403: _("You do not have permission to do this."),
        404: _("There is nothing here, or you may not see it."),
        413: _("What was sent is too large, or has too many fields, to be accepted."),
    }.get(exc.code or 400, _("The request could not be understood. Go back and try again."))
    return _answer(exc.code or 400, words)


@bp.errorhandler(Exception)
def server_error(exc: Exception) -> Response:
    """Anything else, logged, and said in words rather than shown as a page."""
    current_app.logger.exception("Unhandled error", exc_info=exc)
    get_session().rollback()
    return _answer(
        500,
        _(
            "Something went wrong on our side. Nothing you entered was saved twice; "
            "please try again, and tell your administrator if it happens again."
        ),
    )


@bp.post("/requests/<int:request_id>/evidence/uploads")
@role_required(Role.officer)
def start(request_id: int) -> Response:
    mla_request = visible_request(request_id)
    data = request.get_json(silent=True)
    filename = data.get("filename") if isinstance(data, dict) else None
    size = data.get("size") if isinstance(data, dict) else None
    if not isinstance(filename, str) or not isinstance(size, int) or isinstance(size, bool):
        return _answer(400, _("Send the file's name and size, as JSON."))
    with attempt(flash_error=False) as done:
        upload = evidence_uploads.start_upload(
            session=get_session(), store=_store(), request=mla_request, user=the_user(),
            filename=filename, size=size,
            max_bytes=int(current_app.config["MLAT"].evidence.max_bytes),
        )  # fmt: skip
    if done.error:
        return _refused(done.error)
    response = jsonify(_state(upload))
    response.status_code = 201
    return response


@bp.get("/evidence/uploads/<int:upload_id>")
@role_required(Role.officer)
def show(upload_id: int) -> Response | tuple[Response, int]:
    try:
        upload = evidence_uploads.own_upload(
            session=get_session(), user=the_user(), upload_id=upload_id
        )
    except ServiceError as error:
        return _refused(error)
    return jsonify(_state(upload)), 200


def _content_digest() -> bytes | None:
    """The SHA-256 the Content-Digest header gives, or None."""
    found = SHA256_MEMBER.search(request.headers.get("Content-Digest", ""))
    try:
        digest = base64.b64decode(found.group(1), validate=True) if found else b""
    except binascii.Error:
        return None
    return digest if len(digest) == 32 else None


@bp.put("/evidence/uploads/<int:upload_id>/chunks/<int:n>")
@role_required(Role.officer)
def put_chunk(upload_id: int, n: int) -> Response | tuple[Response, int]:
    """Chunk ``n`` of the upload, as raw bytes, with its SHA-256 in ``Content-Digest``."""
    db, sha256 = get_session(), _content_digest()
    try:
        with (
            evidence_uploads.appending(
                session=db, store=_store(), user=the_user(), upload_id=upload_id
            ) as staged,
            attempt(flash_error=False) as done,  # committed while the upload is locked
        ):
            if sha256 is None:
                return _answer(400, _("Send the chunk's SHA-256 in a Content-Digest header."))
            evidence_uploads.append_chunk(
                session=db, staged=staged, n=n, sha256=sha256, body=request.stream
            )
    except ServiceError as error:  # not found, or locked by another chunk's arrival
        return _refused(error)
    if done.error:
        return _refused(done.error, staged.upload)
    return jsonify(_state(staged.upload)), 200


@bp.delete("/evidence/uploads/<int:upload_id>")
@role_required(Role.officer)
def remove(upload_id: int) -> Response | tuple[str, int]:
    with attempt(flash_error=False) as done:
        path = evidence_uploads.cancel_upload(
            session=get_session(), store=_store(), user=the_user(), upload_id=upload_id
        )
    if done.error:
        return _refused(done.error)
    evidence_uploads.remove_staging([path])
    return "", 204
