"""The request packet: asking for a render, its progress, and downloading the result.

Nothing here renders: ``prepare`` records a job (queued once committed) and the request
page shows its progress (``status`` serves the box alone, for mlat/static/packet.js).
A download serves only a finished render: the stored signed packet, or the draft or
internal copy of the request as it stands.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import secrets

from flask import (
    Blueprint,
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

from forms.packets import VerifyForm
from mlat.audit_actions import AuditAction, Outcome
from mlat.auth import audit, the_user
from mlat.config import Config
from mlat.db import get_session
from mlat.jobs.reaper import Liveness
from mlat.models import MlaRequest
from mlat.services import packet_jobs as svc
from mlat.services import workflow
from mlat.services.packets import MEDIA_TYPE
from mlat.services.signing import signing_keys, verify_packet
from mlat.views.common import downloadable_request
from mlat.views.transaction import attempt, commit

bp = Blueprint("packets", __name__)

KIND_NAMES = {svc.SIGNED: "stored packet", svc.DRAFT: "draft render", svc.INTERNAL: "internal copy"}


def packet_context(mla_request: MlaRequest) -> dict[str, object]:
    """What the packet box shows: whether this user may prepare and download the packet
    and, if so, the state of the external copy (signed or draft) and the internal copy,
    and a link that reloads the page at the box."""
    if not workflow.may_download(session=get_session(), user=the_user(), request=mla_request):
        return {"may_download_packet": False, "packet_copies": [], "packet_refresh_url": ""}
    copies = [
        svc.packet_state(
            session=get_session(), request=mla_request, kind=kind, stuck_after=_lost_after()
        )
        for kind in (svc.external_kind(mla_request), svc.INTERNAL)
    ]
    # The link's URL differs from the current one: a link to the same URL with a fragment
    # only scrolls, and the user wants the page reloaded.
    refresh_url = url_for("requests.show", request_id=mla_request.id,
                          refresh=secrets.token_hex(4), _anchor="packet-heading")  # fmt: skip
    return {"may_download_packet": True, "packet_copies": copies,
            "packet_refresh_url": refresh_url}  # fmt: skip


def _lost_after() -> dt.timedelta:
    """How long a render may go without a sign of life before the page offers to try again
    (the reapers queue it again meanwhile, ``mlat.jobs.reaper``)."""
    config: Config = current_app.config["MLAT"]
    return Liveness.of(config).lost_after


def _request_page(mla_request: MlaRequest) -> Response:
    target = url_for("requests.show", request_id=mla_request.id, _anchor="packet-heading")
    return redirect(target, 303)


@bp.post("/requests/<int:request_id>/packet/prepare")
def prepare(request_id: int) -> Response:
    mla_request = downloadable_request(request_id, AuditAction.packet_prepare)
    with attempt():
        svc.request_render(
            session=get_session(),
            request=mla_request,
            kind=request.form.get("kind", ""),
            user=the_user(),
            stuck_after=_lost_after(),
        )
    return _request_page(mla_request)


@bp.get("/requests/<int:request_id>/packet")
def status(request_id: int) -> str:
    """The packet box alone, as the request page shows it."""
    mla_request = downloadable_request(request_id, AuditAction.packet_status)
    return render_template(
        "packet/_download.html", mla_request=mla_request, **packet_context(mla_request)
    )


@bp.get("/requests/<int:request_id>/packet.pdf")
def download(request_id: int) -> Response:
    mla_request = downloadable_request(request_id, AuditAction.packet_download)
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
    commit()
    suffix = "-internal" if internal else ""
    return send_file(
        io.BytesIO(data),
        mimetype=MEDIA_TYPE,
        as_attachment=True,
        download_name=f"{mla_request.reference}{suffix}.pdf",
    )


@bp.route("/packets/verify", methods=["GET", "POST"])
def verify() -> str | tuple[str, int]:
    """Whether a PDF is exactly a packet this installation signed: its signature is
    intact, covers the whole file and chains to a trusted certificate, and its bytes are
    those of a stored packet."""
    form = VerifyForm()
    found = None
    if form.validate_on_submit():
        data = form.file.data.read()
        found = verify_packet(session=get_session(), data=data,
                              keys=signing_keys(current_app.config["MLAT"]))  # fmt: skip
        audit(AuditAction.packet_verify, object_type="request",
              object_id=found.request.id if found.request else "",
              outcome=Outcome.success if found.genuine else Outcome.failure,
              details={"sha256": hashlib.sha256(data).hexdigest(), "signed": found.check.signed,
                       "intact": found.check.intact, "trusted": found.check.trusted})  # fmt: skip
        commit()
    visible = (
        found is not None
        and found.request is not None
        and found.request.unit_id == the_user().unit_id
    )
    status = 400 if form.errors else 200
    page = render_template("packet/verify.html", form=form, found=found, visible=visible)
    return page, status
