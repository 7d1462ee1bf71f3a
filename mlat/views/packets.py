"""The request packet: asking for a render, its progress, and downloading the result.

Nothing here renders: ``prepare`` records a job (queued once committed) and the request
page shows its progress (``status`` serves the box alone, for mlat/static/packet.js).
A download serves only a finished render: the stored signed packet, or the draft or
internal copy of the request as it stands.
"""

from __future__ import annotations

import hashlib
import io
import secrets

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from mlat.audit_actions import AuditAction, Outcome
from mlat.auth import audit, the_user
from mlat.config import Config
from mlat.db import get_session
from mlat.jobs.queues import stuck_after
from mlat.models import MlaRequest, Role, User
from mlat.services import ServiceError
from mlat.services import packet_jobs as svc
from mlat.services.packets import MEDIA_TYPE
from mlat.views.common import visible_request

bp = Blueprint("packets", __name__)

DOWNLOADERS = (Role.prosecutor, Role.reviewer)
KIND_NAMES = {svc.SIGNED: "stored packet", svc.DRAFT: "draft render", svc.INTERNAL: "internal copy"}


def may_download(user: User, mla_request: MlaRequest) -> bool:
    """The unit's prosecutors and reviewers, and the request's owner."""
    return user.has_role(*DOWNLOADERS) or mla_request.owner_id == user.id


@bp.app_template_global("may_download_packet")
def may_download_packet(mla_request: MlaRequest) -> bool:
    return may_download(the_user(), mla_request)


@bp.app_template_global("packet_states")
def packet_states(mla_request: MlaRequest) -> list[svc.PacketState]:
    """The external copy (signed or draft) and the internal copy, for the request page."""
    config: Config = current_app.config["MLAT"]
    return [
        svc.packet_state(
            session=get_session(), request=mla_request, kind=kind, stuck_after=stuck_after(config)
        )
        for kind in (svc.external_kind(mla_request), svc.INTERNAL)
    ]


@bp.app_template_global("packet_refresh_url")
def packet_refresh_url(mla_request: MlaRequest) -> str:
    """The request page, at the packet box, under a URL other than the current one: a link
    to the same URL with a fragment only scrolls, and the user wants the page reloaded."""
    return url_for("requests.show", request_id=mla_request.id, refresh=secrets.token_hex(4),
                   _anchor="packet-heading")  # fmt: skip


def _allowed_request(request_id: int, action: AuditAction) -> MlaRequest:
    """The request, or 404 (not visible) or 403 (recorded in the audit trail)."""
    mla_request = visible_request(request_id)
    if not may_download(the_user(), mla_request):
        audit(
            action,
            object_type="request",
            object_id=request_id,
            outcome=Outcome.denied,
            reason="not a prosecutor, reviewer or the owner",
        )
        get_session().commit()
        abort(403)
    return mla_request


def _request_page(mla_request: MlaRequest) -> Response:
    target = url_for("requests.show", request_id=mla_request.id, _anchor="packet-heading")
    return redirect(target, 303)


@bp.post("/requests/<int:request_id>/packet/prepare")
def prepare(request_id: int) -> Response:
    mla_request = _allowed_request(request_id, AuditAction.packet_prepare)
    db = get_session()
    config: Config = current_app.config["MLAT"]
    try:
        svc.request_render(
            session=db,
            request=mla_request,
            kind=request.form.get("kind", ""),
            user=the_user(),
            stuck_after=stuck_after(config),
        )
    except ServiceError as exc:
        db.rollback()
        flash(exc.translated(_), "error")
        return _request_page(mla_request)
    db.commit()
    return _request_page(mla_request)


@bp.get("/requests/<int:request_id>/packet")
def status(request_id: int) -> str:
    """The packet box alone, as the request page shows it."""
    mla_request = _allowed_request(request_id, AuditAction.packet_status)
    return render_template("packet/_download.html", mla_request=mla_request)


@bp.get("/requests/<int:request_id>/packet.pdf")
def download(request_id: int) -> Response:
    mla_request = _allowed_request(request_id, AuditAction.packet_download)
    db = get_session()
    internal = request.args.get("copy") == "internal"
    kind = svc.INTERNAL if internal else svc.external_kind(mla_request)
    data = svc.ready_bytes(session=db, request=mla_request, kind=kind)
    if data is None:
        flash(
            _(
                "This copy of the packet is not ready. Prepare it below; it can be "
                "downloaded once it is ready."
            ),
            "info",
        )
        return _request_page(mla_request)
    copy = {"copy": KIND_NAMES[kind], "sha256": hashlib.sha256(data).hexdigest()}
    audit(AuditAction.packet_download, object_type="request", object_id=request_id, details=copy)
    db.commit()
    suffix = "-internal" if internal else ""
    return send_file(
        io.BytesIO(data),
        mimetype=MEDIA_TYPE,
        as_attachment=True,
        download_name=f"{mla_request.reference}{suffix}.pdf",
    )
