"""Export a request as a JSON file in the request format; import one as a new draft."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response as BaseResponse

from forms.wizard.annexes import ImportForm
from mlat.audit_actions import AuditAction
from mlat.auth import audit, role_required, the_user
from mlat.db import get_session
from mlat.models import Role
from mlat.services import InvalidContent, ServiceError
from mlat.services.exchange import MAX_IMPORT_BYTES, export_json, import_request
from mlat.views.wizard.common import bp, client_addr, visible
from mlat.wizard import content_path


@bp.get("/requests/<int:request_id>/export.json")
def export(request_id: int) -> Response | BaseResponse:
    mla_request = visible(request_id)
    try:
        body = export_json(request=mla_request, unit=the_user().unit)
    except ServiceError as exc:
        flash(exc.translated(_), "error")
        return redirect(url_for("requests.show", request_id=request_id))
    audit(
        AuditAction.request_export,
        object_type="request",
        object_id=request_id,
        details={"format": "JSON"},
    )
    get_session().commit()
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{mla_request.reference}.json"'
    return response


@bp.route("/requests/import", methods=["GET", "POST"])
@role_required(Role.officer)
def import_json() -> str | BaseResponse | tuple[str, int]:
    form = ImportForm()
    problems: list[tuple[str, str]] = []
    if form.validate_on_submit():
        db = get_session()
        try:
            created = import_request(
                session=db,
                owner=the_user(),
                data=form.file.data.stream.read(MAX_IMPORT_BYTES + 1),
                title=form.title.data or "",
                client_addr=client_addr(),
            )
        except InvalidContent as exc:
            db.rollback()
            form.file.errors = [exc.translated(_)]
            problems = exc.errors
        except ServiceError as exc:
            db.rollback()
            form.file.errors = [exc.translated(_)]
        else:
            db.commit()
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
