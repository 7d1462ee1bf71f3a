from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from forms.requests import RequestForm
from mlat.auth import role_required, the_user
from mlat.countries import state_choices
from mlat.db import get_session
from mlat.models import MlaRequest, Role
from mlat.services import Conflict, NotFound, ServiceError
from mlat.services import requests as svc
from mlat.services.validation import validate_request

bp = Blueprint("requests", __name__)

PAGE_SIZE = 50


def _request_form() -> RequestForm:
    form = RequestForm()
    form.requested_state.choices = [("", _("Choose a state")), *state_choices()]
    return form


@bp.get("/")
def index() -> str:
    page = request.args.get("page", 1, type=int) or 1
    page = max(page, 1)
    rows = svc.visible_requests(
        session=get_session(),
        user=the_user(),
        limit=PAGE_SIZE + 1,
        offset=(page - 1) * PAGE_SIZE,
    )
    return render_template(
        "requests/index.html",
        requests=rows[:PAGE_SIZE],
        page=page,
        has_next=len(rows) > PAGE_SIZE,
    )


@bp.route("/requests/new", methods=["GET", "POST"])
@role_required(Role.officer)
def new() -> str | Response:
    form = _request_form()
    if form.validate_on_submit():
        db = get_session()
        try:
            created = svc.create_request(
                session=db,
                owner=the_user(),
                title=form.title.data,
                requested_state=form.requested_state.data,
            )
        except ServiceError as exc:
            db.rollback()
            flash(exc.translated(_), "error")
        else:
            db.commit()
            flash(_("Request %(ref)s created.", ref=created.reference), "success")
            return redirect(url_for("requests.show", request_id=created.id))
    return render_template("requests/edit.html", form=form, mla_request=None)


def _visible(request_id: int) -> MlaRequest:
    try:
        return svc.get_visible_request(
            session=get_session(), user=the_user(), request_id=request_id
        )
    except NotFound:
        abort(404)


@bp.get("/requests/<int:request_id>")
def show(request_id: int) -> str:
    mla_request = _visible(request_id)
    try:
        findings = validate_request(
            request=mla_request, unit=the_user().unit, today=dt.date.today()
        )
    except ServiceError as exc:
        findings = []
        flash(exc.translated(_), "error")
    return render_template("requests/show.html", mla_request=mla_request, findings=findings)


@bp.route("/requests/<int:request_id>/edit", methods=["GET", "POST"])
@role_required(Role.officer)
def edit(request_id: int) -> str | Response | tuple[str, int]:
    mla_request = _visible(request_id)
    if mla_request.status not in svc.EDITABLE_STATES:
        flash(_("This request can no longer be edited in its current state."), "error")
        return redirect(url_for("requests.show", request_id=mla_request.id))
    form = _request_form()
    if request.method == "GET":
        form.title.data = mla_request.title
        form.requested_state.data = mla_request.requested_state
        form.version.data = str(mla_request.version)
    elif form.validate_on_submit():
        db = get_session()
        try:
            expected = int(form.version.data or 0)
        except ValueError:
            expected = 0
        try:
            svc.update_request(
                session=db,
                request=mla_request,
                editor=the_user(),
                expected_version=expected,
                title=form.title.data,
                requested_state=form.requested_state.data,
            )
        except Conflict as exc:
            db.rollback()
            db.refresh(mla_request)
            # The typed values stay in the form; saving them again applies them to the latest.
            form.version.data = str(mla_request.version)
            flash(exc.translated(_), "error")
            return render_template("requests/edit.html", form=form, mla_request=mla_request), 409
        except ServiceError as exc:
            db.rollback()
            flash(exc.translated(_), "error")
            return render_template("requests/edit.html", form=form, mla_request=mla_request), 400
        db.commit()
        flash(_("Changes saved."), "success")
        return redirect(url_for("requests.show", request_id=mla_request.id))
    return render_template("requests/edit.html", form=form, mla_request=mla_request)
