"""Step 7: uploading, listing, removing and downloading the annexes of a request."""

from __future__ import annotations

import io

from flask import abort, current_app, flash, redirect, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from forms.wizard.annexes import ANNEX_KINDS, AnnexRemoveForm, AnnexUploadForm
from mlat.audit_actions import AuditAction
from mlat.auth import audit, role_required, the_user
from mlat.db import get_session
from mlat.models import MlaRequest, Role
from mlat.services import Conflict, NotFound
from mlat.services import annexes as svc
from mlat.services.workflow import may_download
from mlat.views.common import downloadable_request
from mlat.views.transaction import attempt, commit
from mlat.views.wizard.common import (
    bp,
    client_addr,
    comments_of,
    editable,
    expected_version,
    findings_of,
    render_page,
    step_context,
)
from mlat.wizard import STEPS, step_number


def _max_bytes() -> int:
    return int(current_app.config.get("ANNEX_MAX_BYTES", svc.DEFAULT_MAX_BYTES))


def annexes(request_id: int) -> str | Response | tuple[str, int]:
    """GET lists the annexes with the upload form; POST uploads one."""
    mla_request = editable(request_id)
    form = AnnexUploadForm()
    form.prepare()
    if request.method == "GET":
        form.version.data = str(mla_request.version)
        form.kind.data = request.args.get("kind", "other")
        form.title.data = request.args.get("title", "")[:500]
    elif form.validate():
        upload = form.file.data
        with attempt(refresh=mla_request, flash_error=False) as done:
            svc.add_annex(
                session=get_session(),
                request=mla_request,
                editor=the_user(),
                expected_version=expected_version(form.version.data),
                data=upload.stream.read(_max_bytes() + 1),
                filename=upload.filename or "",
                kind=form.kind.data,
                title=form.title.data,
                language=form.language.data or None,
                max_bytes=_max_bytes(),
                client_addr=client_addr(),
            )
        if isinstance(done.error, Conflict):
            form.version.data = str(mla_request.version)
            flash(done.error.translated(_, ngettext), "error")
            flash(_("Choose the file again: browsers do not keep a chosen file."), "info")
            return _page(mla_request, form, 409)
        if done.error is not None:
            form.file.errors = [done.error.translated(_, ngettext)]
            return _page(mla_request, form, 400)
        flash(_("Annex uploaded."), "success")
        return redirect(url_for("wizard.step", request_id=mla_request.id, step="annexes"))
    return _page(mla_request, form, 200 if request.method == "GET" else 400)


def _page(mla_request: MlaRequest, form: AnnexUploadForm, status: int) -> tuple[str, int]:
    ctx = step_context(mla_request)
    remove = AnnexRemoveForm()
    remove.version.data = str(mla_request.version)
    return render_page(
        "wizard/annexes.html",
        ctx,
        slug="annexes",
        findings=findings_of(ctx.document, ctx.today),
        comments=comments_of(mla_request),
        status=status,
        form=form,
        remove_form=remove,
        rows=svc.annex_rows(session=get_session(), request=mla_request),
        errors=[(f.id, str(e)) for f in form for e in f.errors if f.name != "csrf_token"],
        number=step_number("annexes"),
        total=len(STEPS),
        max_size=svc.size_text(_max_bytes()),
        kind_labels=dict(ANNEX_KINDS),
        may_download=may_download(session=get_session(), user=the_user(), request=mla_request),
    )


@bp.post("/requests/<int:request_id>/wizard/annexes/remove")
@role_required(Role.officer)
def remove_annex(request_id: int) -> Response:
    mla_request = editable(request_id)
    form = AnnexRemoveForm()
    back = redirect(url_for("wizard.step", request_id=mla_request.id, step="annexes"))
    if not form.validate():
        flash(_("The annex could not be removed. Try again."), "error")
        return back
    position, annex_id = form.position.data or "", form.annex_id.data or ""
    with attempt() as done:
        svc.remove_annex(
            session=get_session(),
            request=mla_request,
            editor=the_user(),
            expected_version=expected_version(form.version.data),
            position=int(position) if position.isdecimal() else None,
            annex_id=int(annex_id) if annex_id.isdecimal() else None,
            client_addr=client_addr(),
        )
    if not done:
        return back
    flash(_("Annex removed."), "success")
    return back


@bp.get("/requests/<int:request_id>/annexes/<int:annex_id>")
def download_annex(request_id: int, annex_id: int) -> Response:
    """The uploaded file as an attachment, with the type read from its bytes at upload."""
    mla_request = downloadable_request(request_id, AuditAction.annex_download)
    db = get_session()
    try:
        annex, stored, data = svc.annex_file(session=db, request=mla_request, annex_id=annex_id)
    except NotFound:
        abort(404)
    audit(
        AuditAction.annex_download,
        object_type="request",
        object_id=request_id,
        details={"sha256": stored.sha256},
    )
    commit()
    response = send_file(
        io.BytesIO(data),
        mimetype=stored.media_type,
        as_attachment=True,
        download_name=svc.download_name(annex.filename, stored.media_type),
        max_age=0,
    )
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; sandbox; frame-ancestors 'none'"
    )
    return response
