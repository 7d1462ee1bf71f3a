"""Evidence bundles: exporting a request's evidence as a signed bundle, checking a
bundle, and the unit's seal certificate that recipients trust."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from forms.evidence_bundles import CheckBundleForm, ExportForm
from mlat.audit_actions import AuditAction, Outcome
from mlat.auth import audit, role_required, the_user
from mlat.db import get_session
from mlat.evidence_store import EvidenceStore
from mlat.i18n import speaker
from mlat.models import utcnow
from mlat.packets.bundle import BundleCheck, certificates_of, check_bundle
from mlat.services import NotFound, evidence
from mlat.services.evidence_bundles import export_bundle, seal_chain_pem
from mlat.services.signing import signing_keys, trust_roots, unit_seal
from mlat.views.common import visible_request
from mlat.views.transaction import attempt, commit

bp = Blueprint("evidence_bundles", __name__)


def _store() -> EvidenceStore:
    store: EvidenceStore = current_app.extensions["mlat_evidence"]
    return store


@bp.route("/requests/<int:request_id>/evidence/export", methods=["GET", "POST"])
@role_required(*evidence.DOWNLOADERS)
def export(request_id: int) -> Response | tuple[str, int]:
    """Choose the files and say for whom and why; the answer is the bundle itself."""
    mla_request = visible_request(request_id)
    db = get_session()
    rows = [r for r in evidence.request_evidence(session=db, request=mla_request)
            if r.item.destroyed_at is None]  # fmt: skip
    form = ExportForm()
    chosen = {int(i) for i in request.form.getlist("item") if i.isdigit()}
    error = ""
    if request.method == "GET":
        chosen = {r.item.id or 0 for r in rows}
    elif form.validate_on_submit():
        with attempt(flash_error=False) as done:
            bundle = export_bundle(
                session=db, store=_store(), keys=signing_keys(current_app.config["MLAT"]),
                user=the_user(), request=mla_request, item_ids=sorted(chosen),
                recipient=form.recipient.data, reason=form.reason.data, now=utcnow(),
                client_addr=request.remote_addr or "",
            )  # fmt: skip
        if done:
            return _send(bundle.path, bundle.filename)
        error = str(done.error and done.error.translated(_, ngettext))
    seal = unit_seal(session=db, unit_id=the_user().unit_id or 0)
    page = render_template("evidence/export.html", mla_request=mla_request, rows=rows,
                           form=form, chosen=chosen, error=error, seal=seal)  # fmt: skip
    return page, 400 if request.method == "POST" else 200


def _send(path: Path, filename: str) -> Response:
    """The bundle as a download, read a piece at a time; its temporary file is removed
    once it is sent, or once the download stops."""
    size = path.stat().st_size

    def stream() -> Iterator[bytes]:
        try:
            with path.open("rb") as source:
                while piece := source.read(1024 * 1024):
                    yield piece
        finally:
            path.unlink(missing_ok=True)

    response = Response(stream(), mimetype="application/vnd.etsi.asic-e+zip")
    response.headers["Content-Length"] = str(size)
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/evidence/verify", methods=["GET", "POST"])
def verify() -> tuple[str, int]:
    """Check a bundle against the certificate given, or those this installation trusts:
    the manifest's signature, every file's SHA-256, and the custody log."""
    form = CheckBundleForm()
    found: BundleCheck | None = None
    if form.validate_on_submit():
        given = form.certificate.data
        trust: tuple[bytes, ...] = ()
        if given and given.filename:
            try:
                trust = certificates_of(given.read(1024 * 1024))
            except ValueError:
                form.certificate.errors.append(_("The certificate file is neither PEM nor DER."))
        else:
            trust = trust_roots(session=get_session(),
                                keys=signing_keys(current_app.config["MLAT"]))  # fmt: skip
        if not form.certificate.errors:
            # what this page reads at most: the evidence an upload can carry, twice over
            most = 2 * int(current_app.config["MLAT"].evidence.max_bytes) + 2**20
            found = check_bundle(form.bundle.data.stream, trust, max_unpacked=most)
            audit(AuditAction.evidence_verify, object_type="bundle", object_id="",
                  outcome=Outcome.success if found.valid else Outcome.failure,
                  details={"signer": found.signer, "files": len(found.files),
                           "problems": [p.kind for p in found.problems]})  # fmt: skip
            commit()
        form.bundle.data.close()
    status = 400 if form.errors else 200
    say = speaker().gettext  # a file's name kept in its own direction in Arabic
    problems = [p.words(say) for p in found.problems] if found else []
    page = render_template("evidence/verify.html", form=form, found=found, problems=problems)
    return page, status


@bp.get("/evidence/seal.pem")
def seal_certificate() -> Response:
    """The unit's seal certificate and its issuers, to give to a bundle's recipient."""
    try:
        pem = seal_chain_pem(session=get_session(), unit_id=the_user().unit_id or 0)
    except NotFound:
        abort(404)
    response = Response(pem, mimetype="application/x-pem-file")
    response.headers.set("Content-Disposition", "attachment", filename="unit-seal.pem")
    return response
