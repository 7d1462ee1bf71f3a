"""Downloading a request's packet: the stored signed packet, or a draft rendered now."""

from __future__ import annotations

import hashlib
import io

from flask import Blueprint, abort, request, send_file
from werkzeug.wrappers import Response

from mlat.auth import audit, the_user
from mlat.db import get_session
from mlat.models import MlaRequest, Role, User
from mlat.services import NotFound
from mlat.services import packets as svc
from mlat.services.requests import get_visible_request

bp = Blueprint("packets", __name__)

DOWNLOADERS = (Role.prosecutor, Role.reviewer)


def may_download(user: User, mla_request: MlaRequest) -> bool:
    """The unit's prosecutors and reviewers, and the request's owner."""
    return user.has_role(*DOWNLOADERS) or mla_request.owner_id == user.id


@bp.app_template_global("packet_digest")
def packet_digest(mla_request: MlaRequest) -> str | None:
    """The SHA-256 of the request's stored packet, for the request page."""
    found = svc.stored_packet(session=get_session(), request=mla_request)
    return found[1].sha256 if found else None


@bp.app_template_global("may_download_packet")
def may_download_packet(mla_request: MlaRequest) -> bool:
    return may_download(the_user(), mla_request)


@bp.get("/requests/<int:request_id>/packet.pdf")
def download(request_id: int) -> Response:
    db = get_session()
    user = the_user()
    try:
        mla_request = get_visible_request(session=db, user=user, request_id=request_id)
    except NotFound:
        abort(404)
    internal = request.args.get("copy") == "internal"
    if not may_download(user, mla_request):
        audit("packet.download", object_type="request", object_id=request_id,
              outcome="denied", reason="not a prosecutor, reviewer or the owner")  # fmt: skip
        db.commit()
        abort(403)
    data = svc.packet_bytes(session=db, request=mla_request, internal=internal)
    stored = svc.stored_packet(session=db, request=mla_request)
    kind = "internal copy" if internal else ("stored packet" if stored else "draft render")
    reason = f"{kind}, sha256 {hashlib.sha256(data).hexdigest()}"
    audit("packet.download", object_type="request", object_id=request_id, reason=reason)
    db.commit()
    suffix = "-internal" if internal else ""
    return send_file(
        io.BytesIO(data),
        mimetype=svc.MEDIA_TYPE,
        as_attachment=True,
        download_name=f"{mla_request.reference}{suffix}.pdf",
    )
