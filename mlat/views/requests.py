from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from forms.requests import RequestForm
from mlat.audit_actions import AuditAction
from mlat.auth import audit, role_required, the_user
from mlat.countries import state_choices
from mlat.dates import local_today
from mlat.db import get_session
from mlat.i18n import current_language
from mlat.models import CaseFile, RequestStatus, Role, WorkflowAction
from mlat.services import Conflict, ServiceError, case_teams, evidence, listing, workflow
from mlat.services import requests as svc
from mlat.services.deadlines import request_clocks
from mlat.services.search import related_requests
from mlat.services.validation import validate_request
from mlat.views.common import list_filter_form, visible_request
from mlat.views.packets import packet_context
from mlat.views.transaction import attempt, commit
from mlat.views.workflow import workflow_context
from mlat.wizard import anchor, step_for
from mlat.workflow import BY_ACTION, EDITABLE

bp = Blueprint("requests", __name__)


def _request_form() -> RequestForm:
    form = RequestForm()
    form.requested_state.choices = [("", _("Choose a state")), *state_choices(current_language())]
    form.own_state = form.requested_state.own_state = the_user().unit.state
    return form


@bp.get("/")
def index() -> str:
    """The unit's requests, filtered, sorted and paged by the GET parameters."""
    user, db = the_user(), get_session()
    form, owners, problems = list_filter_form(db, user)
    cursor = None
    if token := request.args.get("cursor"):
        try:
            cursor = listing.Cursor.decode(token)
        except listing.InvalidCursor as exc:
            problems.append(exc.translated(_, ngettext))
    page = listing.list_requests(
        session=db,
        user=user,
        filters=form.list_filters(timezone=user.unit.timezone),
        cursor=cursor,
        today=local_today(user.unit),
    )
    return render_template(
        "requests/index.html",
        form=form,
        page=page,
        problems=problems,
        owners=dict(owners),
        query_args=form.query_args(),
    )


@bp.route("/requests/new", methods=["GET", "POST"])
@role_required(Role.officer)
def new() -> str | Response:
    form = _request_form()
    if form.validate_on_submit():
        with attempt() as done:
            created = svc.create_request(
                session=get_session(),
                owner=the_user(),
                title=form.title.data,
                requested_state=form.requested_state.data,
                client_addr=request.remote_addr or "",
            )
        if done:
            flash(_("Request %(ref)s created.", ref=created.reference), "success")
            return redirect(url_for("wizard.step", request_id=created.id, step="route"))
    return render_template("requests/edit.html", form=form, mla_request=None)


@bp.get("/requests/<int:request_id>")
def show(request_id: int) -> str:
    mla_request = visible_request(request_id)
    try:
        findings = validate_request(
            request=mla_request, unit=the_user().unit, today=local_today(the_user().unit)
        )
    except ServiceError as exc:
        findings = []
        flash(exc.translated(_, ngettext), "error")
    page = render_template(
        "requests/show.html",
        mla_request=mla_request,
        findings=findings,
        clocks=request_clocks(mla_request, today=local_today(the_user().unit)),
        related=related_requests(session=get_session(), request=mla_request),
        case=get_session().get(CaseFile, mla_request.case_id) if mla_request.case_id else None,
        evidence_rows=evidence.request_evidence(session=get_session(), request=mla_request),
        answered=evidence.answered(
            mla_request, evidence.receipts(session=get_session(), request=mla_request)
        ),
        may_receive=the_user().has_role(Role.officer) and mla_request.status in evidence.RECEIVING,
        may_export=the_user().has_role(*evidence.DOWNLOADERS),
        team_advice=case_teams.request_team_advice(
            session=get_session(), request=mla_request, today=local_today(the_user().unit)
        ),
        step_for=step_for,
        anchor=anchor,
        **workflow_context(mla_request),
        **packet_context(mla_request),
    )
    audit(AuditAction.request_view, object_type="request", object_id=mla_request.id)
    workflow.prepare_for_signing(session=get_session(), request=mla_request, user=the_user())
    commit()
    return page


@bp.route("/requests/<int:request_id>/edit", methods=["GET", "POST"])
@role_required(Role.officer)
def edit(request_id: int) -> str | Response | tuple[str, int]:
    mla_request = visible_request(request_id)
    if mla_request.status not in EDITABLE:
        flash(_("This request can no longer be edited in its current state."), "error")
        return redirect(url_for("requests.show", request_id=mla_request.id))
    form = _request_form()
    if request.method == "GET":
        form.title.data = mla_request.title
        form.requested_state.data = mla_request.requested_state
        form.version.data = str(mla_request.version)
    elif form.validate_on_submit():
        status_before = mla_request.status
        try:
            expected = int(form.version.data or 0)
        except ValueError:
            expected = 0
        with attempt(refresh=mla_request) as done:
            svc.update_request(
                session=get_session(),
                request=mla_request,
                editor=the_user(),
                expected_version=expected,
                title=form.title.data,
                requested_state=form.requested_state.data,
                client_addr=request.remote_addr or "",
            )
        if isinstance(done.error, Conflict):
            # The typed values stay in the form; saving them again applies them to the latest.
            form.version.data = str(mla_request.version)
            return render_template("requests/edit.html", form=form, mla_request=mla_request), 409
        if done.error is not None:
            return render_template("requests/edit.html", form=form, mla_request=mla_request), 400
        if (status_before, mla_request.status) == (RequestStatus.approved, RequestStatus.in_review):
            flash(_(BY_ACTION[WorkflowAction.edit_after_approval].done), "warning")
        elif status_before == RequestStatus.in_review and mla_request.version > expected:
            flash(_(BY_ACTION[WorkflowAction.edit_in_review].done), "success")
        else:
            flash(_("Changes saved."), "success")
        return redirect(url_for("requests.show", request_id=mla_request.id))
    return render_template("requests/edit.html", form=form, mla_request=mla_request)
