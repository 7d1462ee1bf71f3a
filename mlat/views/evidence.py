"""Evidence received for a request: recording a receipt with its files, an item's page
with its chain of custody, downloading it (with a reason) and handing it over."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from forms.evidence import (
    ANSWER_LABELS,
    CHANNEL_LABELS,
    CUSTODY_LABELS,
    DownloadForm,
    HandOverForm,
    ReceiptForm,
)
from forms.evidence_keeping import RetentionForm
from mlat.auth import role_required, the_user
from mlat.dates import local_today
from mlat.db import get_session
from mlat.evidence_store import EvidenceStore, file_chunks
from mlat.models import EvidenceReceipt, MlaRequest, Role
from mlat.services import NotFound, evidence, evidence_uploads
from mlat.services import evidence_keeping as keeping
from mlat.services.annexes import size_text
from mlat.views.common import visible_request
from mlat.views.transaction import attempt, commit

bp = Blueprint("evidence", __name__)


def _store() -> EvidenceStore:
    store: EvidenceStore = current_app.extensions["mlat_evidence"]
    return store


def _max_bytes() -> int:
    return int(current_app.config["MLAT"].evidence.max_bytes)


@contextmanager
def _closing(uploads: list[FileStorage]) -> Iterator[None]:
    """The uploads' temporary files closed once read, whatever happened."""
    try:
        yield
    finally:
        for upload in uploads:
            upload.close()


def _answers(count: int) -> list[tuple[int, bool]]:
    chosen = []
    for index in range(count):
        value = request.form.get(f"answer-{index}", "")
        if value in ("part", "full"):
            chosen.append((index, value == "full"))
    return chosen


@bp.route("/requests/<int:request_id>/evidence/new", methods=["GET", "POST"])
@role_required(Role.officer)
def receive(request_id: int) -> str | Response | tuple[str, int]:
    mla_request = visible_request(request_id)
    if mla_request.status not in evidence.RECEIVING:
        flash(_("Evidence is recorded once the request is transmitted."), "error")
        return redirect(url_for("requests.show", request_id=mla_request.id), 303)
    user = the_user()
    today = local_today(user.unit)
    form = ReceiptForm(data={"received_on": today} if request.method == "GET" else None)
    measures = mla_request.content.get("measures") or []
    upload_ids = [int(v) for v in request.form.getlist("upload") if re.fullmatch(r"[0-9]{1,9}", v)]
    if form.validate_on_submit():
        uploads = [
            f for f in request.files.getlist("files") if isinstance(f, FileStorage) and f.filename
        ]
        with attempt(flash_error=False) as done, _closing(uploads):
            # files sent ahead in chunks by the form's script, then the form's own
            staged = evidence_uploads.staged(
                session=get_session(), request=mla_request, user=user, upload_ids=upload_ids
            )
            given = evidence.sender_digests(
                form.digests.data or "",
                sent=[*(s.filename for s in staged), *(u.filename or "" for u in uploads)],
            )
            received = evidence.record_receipt(
                session=get_session(),
                store=_store(),
                request=mla_request,
                user=user,
                received_on=cast(dt.date, form.received_on.data),
                sender=form.sender.data,
                sender_kind=form.sender_kind.data,
                channel=form.channel.data,
                sender_reference=form.sender_reference.data or "",
                certificate=form.certificate.data or "",
                answers=_answers(len(measures)),
                files=[
                    *evidence_uploads.incoming(
                        session=get_session(), store=_store(), uploads=staged, digests=given
                    ),
                    *(
                        evidence.Incoming(
                            u.filename or "",
                            file_chunks(u.stream),
                            given.get(u.filename or "", ""),
                        )
                        for u in uploads
                    ),
                ],
                today=today,
                max_bytes=_max_bytes(),
                client_addr=request.remote_addr or "",
            )
            sent_ahead = evidence_uploads.discard(
                session=get_session(), store=_store(), uploads=staged
            )
        if done:
            evidence_uploads.remove_staging(sent_ahead)
            flash(
                ngettext(
                    "The evidence received is recorded, with %(num)d file.",
                    "The evidence received is recorded, with %(num)d files.",
                    len(received.items),
                ),
                "success",
            )
            for name in received.mismatched:
                flash(
                    _(
                        "The SHA-256 of %(name)s is not the one the sender gave: it is kept as "
                        "it arrived. Ask the sender before relying on it.",
                        name=name,
                    ),
                    "error",
                )
            shown = url_for("requests.show", request_id=mla_request.id, _anchor="evidence")
            return redirect(shown, 303)
        form.sender.errors.append(str(done.error and done.error.translated(_, ngettext)))
    status = 400 if request.method == "POST" else 200
    page = render_template(
        "evidence/receive.html",
        mla_request=mla_request,
        form=form,
        measures=measures,
        answer_labels=ANSWER_LABELS,
        chosen={str(i): request.form.get(f"answer-{i}", "") for i in range(len(measures))},
        max_size=size_text(_max_bytes()),
        sent_ahead=evidence_uploads.pending(
            session=get_session(), request=mla_request, user=user, upload_ids=upload_ids
        ),
    )
    return page, status


def _item(item_id: int) -> evidence.ItemRow:
    try:
        item, blob, _request = evidence.visible_item(
            session=get_session(), user=the_user(), item_id=item_id
        )
    except NotFound:
        abort(404)
    receipt = get_session().get_one(EvidenceReceipt, item.receipt_id)
    return evidence.ItemRow(item, blob, receipt)


@bp.get("/evidence/<int:item_id>")
def item(item_id: int) -> str:
    row = _item(item_id)
    db, user = get_session(), the_user()
    evidence.viewed(session=db, user=user, item=row.item, blob=row.blob,
                    client_addr=request.remote_addr or "")  # fmt: skip
    mla_request = db.get_one(MlaRequest, row.item.request_id)
    log = evidence.custody_log(session=db, item=row.item)
    lead = mla_request.unit_id == user.unit_id
    page = render_template(
        "evidence/item.html",
        row=row,
        mla_request=mla_request,
        lead=lead,
        log=log,
        people=evidence.actor_names(
            session=db,
            ids=[e.actor_id for e in log] + [row.item.destruction_asked_by or 0],
            reader_unit_id=user.unit_id,
        ),
        download_form=DownloadForm(),
        hand_over_form=HandOverForm(),
        retention_form=RetentionForm(),
        may_download=evidence.may_download(
            session=db, user=user, item=row.item, request=mla_request
        ),
        partners=keeping.partner_access(session=db, item=row.item, request=mla_request)
        if lead
        else [],
        today=local_today(user.unit),
        channel_labels=CHANNEL_LABELS,
        custody_labels=CUSTODY_LABELS,
    )
    commit()
    return page


@bp.post("/evidence/<int:item_id>/download")
@role_required(*evidence.DOWNLOADERS)
def download(item_id: int) -> Response:
    row = _item(item_id)
    form = DownloadForm()
    back = url_for("evidence.item", item_id=row.item.id)
    if not form.validate_on_submit():
        flash(_("Say why you download it: the reason goes into its chain of custody."), "error")
        return redirect(back, 303)
    with attempt() as done:  # the custody event stands before the first byte leaves
        name, kept, chunks = evidence.download(
            session=get_session(), store=_store(), user=the_user(), item_id=item_id,
            reason=form.reason.data, client_addr=request.remote_addr or "",
        )  # fmt: skip
    if not done:
        return redirect(back, 303)

    def stream() -> Iterator[bytes]:
        yield from chunks

    response = Response(stream(), mimetype="application/octet-stream")
    response.headers["Content-Length"] = str(kept.size)
    response.headers.set("Content-Disposition", "attachment", filename=name)
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; sandbox; frame-ancestors 'none'"
    )
    response.headers["Repr-Digest"] = f"sha-256=:{evidence.digest_b64(kept.sha256)}:"
    return response


@bp.post("/evidence/<int:item_id>/hand-over")
@role_required(Role.officer)
def hand_over(item_id: int) -> Response:
    row = _item(item_id)
    form = HandOverForm()
    back = url_for("evidence.item", item_id=row.item.id)
    if not form.validate_on_submit():
        flash(_("Name who received it."), "error")
        return redirect(back, 303)
    with attempt() as done:
        evidence.hand_over(session=get_session(), user=the_user(), item_id=item_id,
                           recipient=form.recipient.data, reason=form.reason.data or "",
                           client_addr=request.remote_addr or "")  # fmt: skip
    if done:
        flash(_("The hand-over is recorded in the item's chain of custody."), "success")
    return redirect(back, 303)
