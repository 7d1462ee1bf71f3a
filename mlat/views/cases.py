"""Cases: the unit's investigations, each with its requests to several states, its
dashboard and timeline; opening one, putting requests in it, drafting from it."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from forms.cases import CaseForm, DraftFromCaseForm, RequestChoiceForm
from mlat.audit_actions import AuditAction
from mlat.auth import audit, role_required, the_user
from mlat.countries import state_choices
from mlat.dates import local_today
from mlat.db import get_session
from mlat.i18n import current_language
from mlat.models import CaseFile, MlaRequest, Role
from mlat.services import NotFound, cases
from mlat.services.listing import unit_users
from mlat.views.transaction import attempt, commit

bp = Blueprint("cases", __name__, url_prefix="/cases")


def _case(case_id: int) -> CaseFile:
    try:
        return cases.visible_case(session=get_session(), user=the_user(), case_id=case_id)
    except NotFound:
        abort(404)


def _case_form(form: CaseForm) -> CaseForm:
    members = unit_users(session=get_session(), user=the_user())
    form.lead_officer.choices = [("", _("Not chosen")), *((str(i), n) for i, n in members)]
    return form


def _lead(form: CaseForm) -> int | None:
    value = form.lead_officer.data or ""
    return int(value) if value.isdecimal() and len(value) < 10 else None


@bp.get("/")
def index() -> str:
    rows = cases.unit_cases(session=get_session(), user=the_user())
    return render_template("cases/index.html", rows=rows)


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.officer)
def new() -> str | Response | tuple[str, int]:
    form = _case_form(CaseForm())
    if form.validate_on_submit():
        with attempt(flash_error=False) as done:
            case = cases.create_case(
                session=get_session(),
                user=the_user(),
                title=form.title.data,
                case_number=form.case_number.data or "",
                offences=form.offences.data or "",
                lead_officer_id=_lead(form),
                client_addr=request.remote_addr or "",
            )
        if done:
            flash(_("The case is opened. Put its requests in it, or draft new ones."), "success")
            return redirect(url_for("cases.show", case_id=case.id), 303)
        form.title.errors.append(str(done.error and done.error.translated(_)))
        return render_template("cases/edit.html", form=form, case=None), 400
    status = 400 if request.method == "POST" else 200
    return render_template("cases/edit.html", form=form, case=None), status


@bp.route("/<int:case_id>/edit", methods=["GET", "POST"])
@role_required(Role.officer)
def edit(case_id: int) -> str | Response | tuple[str, int]:
    case = _case(case_id)
    form = _case_form(CaseForm(obj=None))
    if request.method == "GET":
        form.title.data, form.case_number.data = case.title, case.case_number
        form.offences.data = case.offences
        form.lead_officer.data = str(case.lead_officer_id or "")
    elif form.validate_on_submit():
        with attempt(refresh=case, flash_error=False) as done:
            cases.update_case(
                session=get_session(),
                case=case,
                user=the_user(),
                title=form.title.data,
                case_number=form.case_number.data or "",
                offences=form.offences.data or "",
                lead_officer_id=_lead(form),
                client_addr=request.remote_addr or "",
            )
        if done:
            flash(_("Changes saved."), "success")
            return redirect(url_for("cases.show", case_id=case.id), 303)
        form.title.errors.append(str(done.error and done.error.translated(_)))
    status = 400 if request.method == "POST" else 200
    return render_template("cases/edit.html", form=form, case=case), status


@bp.get("/<int:case_id>")
def show(case_id: int) -> str:
    case = _case(case_id)
    db, user = get_session(), the_user()
    today = local_today(user.unit)
    held = cases.case_requests(session=db, case=case)
    ahead, past = cases.timeline(session=db, case=case, today=today, requests=held)
    names = dict(unit_users(session=db, user=user))
    attach = RequestChoiceForm()
    page = render_template(
        "cases/show.html",
        case=case,
        requests=held,
        board=cases.dashboard(session=db, case=case, today=today, requests=held),
        ahead=ahead,
        past=past[:200],
        names=names,
        attach_form=attach,
        attachable=cases.attachable(session=db, case=case) if user.has_role(Role.officer) else [],
        today=today,
    )
    audit(AuditAction.case_view, object_type="case", object_id=case.id)
    commit()
    return page


def _choice(case: CaseFile, action: str) -> Response:
    form = RequestChoiceForm()
    back = url_for("cases.show", case_id=case.id)
    if not form.validate_on_submit():
        flash(_("Choose a request."), "error")
        return redirect(back, 303)
    change = cases.attach if action == "attach" else cases.detach
    with attempt() as done:
        moved = change(
            session=get_session(),
            case=case,
            user=the_user(),
            request_id=form.request_id.data,
            client_addr=request.remote_addr or "",
        )
    if done:
        message = (
            _("Request %(ref)s is now in the case.", ref=moved.reference)
            if action == "attach"
            else _("Request %(ref)s is no longer in the case.", ref=moved.reference)
        )
        flash(message, "success")
    return redirect(back, 303)


@bp.post("/<int:case_id>/attach")
@role_required(Role.officer)
def attach(case_id: int) -> Response:
    return _choice(_case(case_id), "attach")


@bp.post("/<int:case_id>/detach")
@role_required(Role.officer)
def detach(case_id: int) -> Response:
    return _choice(_case(case_id), "detach")


@bp.route("/<int:case_id>/draft", methods=["GET", "POST"])
@role_required(Role.officer)
def draft(case_id: int) -> str | Response | tuple[str, int]:
    """A new request in the case; ``?source=`` shows one of the case's requests, whose
    parts, persons and identifiers the officer ticks to carry over."""
    case = _case(case_id)
    db, user = get_session(), the_user()
    held = cases.case_requests(session=db, case=case)
    form = DraftFromCaseForm()
    form.requested_state.choices = [("", _("Choose a state")), *state_choices(current_language())]
    form.own_state = form.requested_state.own_state = user.unit.state
    wanted = request.values.get("source", "")
    source: MlaRequest | None = next((r for r in held if str(r.id) == wanted), None)
    if request.method == "GET":
        form.parts.data = ["offences", "facts", "persons", "identifiers"]
        if source is not None:
            form.persons.data = list(range(len(source.content.get("persons") or [])))
            form.identifiers.data = list(range(len(source.content.get("identifiers") or [])))
    elif form.validate_on_submit():
        with attempt(flash_error=False) as done:
            created = cases.draft_from_case(
                session=db,
                case=case,
                user=user,
                title=form.title.data,
                requested_state=form.requested_state.data,
                source_id=source.id if source is not None else None,
                parts=form.parts.data or [],
                persons=form.persons.data or [],
                identifiers=form.identifiers.data or [],
                client_addr=request.remote_addr or "",
            )
        if done:
            flash(_("Request %(ref)s is drafted in the case.", ref=created.reference), "success")
            return redirect(url_for("wizard.step", request_id=created.id, step="route"), 303)
        form.title.errors.append(str(done.error and done.error.translated(_)))
    status = 400 if request.method == "POST" else 200
    page = render_template("cases/draft.html", case=case, form=form, held=held, source=source)
    return page, status
