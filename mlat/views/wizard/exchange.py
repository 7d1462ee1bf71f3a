"""Export a request as a JSON file in the request format; import one as a new draft."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response as BaseResponse

from forms.wizard.annexes import ImportForm
from mlat.audit_actions import AuditAction
from mlat.auth import audit, role_required, the_user
from mlat.db import get_session
from mlat.i18n import problem_text
from mlat.models import Role
from mlat.services import InvalidContent
from mlat.services.exchange import MAX_IMPORT_BYTES, export_json, import_request
from mlat.views.common import downloadable_request
from mlat.views.transaction import attempt
from mlat.views.wizard.common import bp, client_addr
from mlat.wizard import content_path


@bp.get("/requests/<int:request_id>/export.json")
def export(request_id: int) -> Response | BaseResponse:
    mla_request = downloadable_request(request_id, AuditAction.request_export)
    with attempt() as done:
        body = export_json(request=mla_request, unit=the_user().unit)
        audit(AuditAction.request_export, object_type="request", object_id=request_id,
              details={"format": "JSON"})  # fmt: skip
    if not done:
        return redirect(url_for("requests.show", request_id=request_id))
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{mla_request.reference}.json"'
    return response


@bp.route("/requests/import", methods=["GET", "POST"])
@role_required(Role.officer)
def import_json() -> str | BaseResponse | tuple[str, int]:
    form = ImportForm()
    problems: list[str] = []
    if form.validate_on_submit():
        with attempt(flash_error=False) as done:
            created = import_request(
                session=get_session(),
                owner=the_user(),
                data=form.file.data.stream.read(MAX_IMPORT_BYTES + 1),
                title=form.title.data or "",
                client_addr=client_addr(),
            )
        if done.error is not None:
            form.file.errors = [done.error.translated(_, ngettext)]
            if isinstance(done.error, InvalidContent):
                problems = [problem_text(found) for found in done.error.errors]
        else:
            flash(_("Imported as %(ref)s, a new draft.", ref=created.reference), "success")
            return redirect(url_for("wizard.tasks", request_id=created.id))
    status = 400 if form.errors else 200
    page = render_template(
        "wizard/import.html",
        form=form,
        problems=problems,
        findings_at={},
        comments_at={},
        content_path=content_path,
    )
    return page, status
