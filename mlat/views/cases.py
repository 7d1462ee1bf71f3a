"""Cases: the investigations a unit leads or is a partner of, each with its requests to
several states, its dashboard and timeline; opening one, putting requests in it,
drafting from it, sharing it with partner units, and recording its joint investigation
team. A partner's members read the case and its requests here, never on the request
pages of the lead unit."""

from __future__ import annotations

import io

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response

from forms.cases import CaseForm, DraftFromCaseForm, PartnerForm, RequestChoiceForm, TeamForm
from mlat.audit_actions import AuditAction
from mlat.auth import audit, role_required, the_user
from mlat.countries import state_choices
from mlat.dates import local_today
from mlat.db import get_session
from mlat.i18n import current_language, label
from mlat.labels import MEASURE_LABELS
from mlat.models import CaseFile, MlaRequest, Role, Unit
from mlat.rules.loader import rulebook
from mlat.rules.teams import framework_citation
from mlat.services import NotFound, case_teams, cases, evidence, evidence_keeping, workflow
from mlat.services.annexes import DEFAULT_MAX_BYTES
from mlat.services.listing import unit_users
from mlat.views.transaction import attempt, commit

bp = Blueprint("cases", __name__, url_prefix="/cases")
POLL_SECONDS = 10
"""how often the case page asks whether the case changed, where JavaScript runs"""


def _access(case_id: int) -> cases.CaseAccess:
    try:
        return cases.case_access(session=get_session(), user=the_user(), case_id=case_id)
    except NotFound:
        abort(404)


def _leading(case_id: int) -> cases.CaseAccess:
    """The case, for a change only its lead unit makes: 403 for a partner."""
    access = _access(case_id)
    if not access.leads:
        abort(403)
    return access


def _case_form(form: CaseForm) -> CaseForm:
    members = unit_users(session=get_session(), user=the_user())
    form.lead_officer.choices = [("", _("Not chosen")), *((str(i), n) for i, n in members)]
    return form


def _lead(form: CaseForm) -> int | None:
    value = form.lead_officer.data or ""
    return int(value) if value.isdecimal() and len(value) < 10 else None


def _back(access: cases.CaseAccess) -> Response:
    return redirect(url_for("cases.show", case_id=access.case.id), 303)


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
    access = _leading(case_id)
    case = access.case
    form = _case_form(CaseForm(obj=None))
    if request.method == "GET":
        form.title.data, form.case_number.data = case.title, case.case_number
        form.offences.data = case.offences
        form.lead_officer.data = str(case.lead_officer_id or "")
    elif form.validate_on_submit():
        with attempt(refresh=case, flash_error=False) as done:
            cases.update_case(
                session=get_session(),
                access=access,
                user=the_user(),
                title=form.title.data,
                case_number=form.case_number.data or "",
                offences=form.offences.data or "",
                lead_officer_id=_lead(form),
                client_addr=request.remote_addr or "",
            )
        if done:
            flash(_("Changes saved."), "success")
            return _back(access)
        form.title.errors.append(str(done.error and done.error.translated(_)))
    status = 400 if request.method == "POST" else 200
    return render_template("cases/edit.html", form=form, case=case), status


def stamp(case: CaseFile) -> str:
    team = case_teams.case_team(session=get_session(), case=case)
    return cases.stamp(session=get_session(), case=case,
                       team_changed=team.updated_at if team else None)  # fmt: skip


@bp.get("/<int:case_id>")
def show(case_id: int) -> str:
    access = _access(case_id)
    case = access.case
    db, user = get_session(), the_user()
    today = local_today(user.unit)
    held = cases.case_requests(session=db, case=case)
    ahead, past = cases.timeline(session=db, case=case, today=today, requests=held)
    team = case_teams.case_team(session=db, case=case)
    frameworks = rulebook().joint_teams
    page = render_template(
        "cases/show.html",
        case=case,
        access=access,
        lead_unit=db.get_one(Unit, case.unit_id),
        requests=held,
        board=cases.dashboard(session=db, case=case, today=today, requests=held),
        ahead=ahead,
        past=past[:200],
        names=cases.people(session=db, case=case, reader=user),
        attach_form=RequestChoiceForm(),
        attachable=cases.attachable(session=db, user=user) if access.may_draft(user) else [],
        partners=cases.partners(session=db, case=case),
        invitable=cases.invitable_units(session=db, case=case) if access.leads else [],
        partner_form=PartnerForm(),
        team=team,
        framework=frameworks.frameworks.get(team.framework) if team and frameworks else None,
        framework_citation=framework_citation(frameworks, team.framework, today)[0]
        if team
        else None,
        team_advice={
            r.id: case_teams.request_team_advice(session=db, request=r, today=today) for r in held
        }
        if team
        else {},
        today=today,
        stamp=stamp(case),
        poll_seconds=POLL_SECONDS,
    )
    audit(AuditAction.case_view, object_type="case", object_id=case.id)
    commit()
    return page


@bp.get("/<int:case_id>/live")
def live(case_id: int) -> Response:
    """Whether the case changed since the page was drawn: the page's script compares
    this stamp with its own and, when they differ, draws the page's parts again."""
    return jsonify(stamp=stamp(_access(case_id).case))


@bp.get("/<int:case_id>/requests/<int:request_id>")
def shared_request(case_id: int, request_id: int) -> str:
    """One of the case's requests, read-only: how a partner unit reads the lead's
    requests (and the lead a partner's). Nothing outside the case is reachable here."""
    access = _access(case_id)
    db = get_session()
    try:
        found = cases.case_request(session=db, case=access.case, request_id=request_id)
    except NotFound:
        abort(404)
    page = render_template(
        "cases/request.html",
        case=access.case,
        mla_request=found,
        unit=db.get_one(Unit, found.unit_id),
        history=workflow.history(session=db, request=found),
        people=cases.people(session=db, case=access.case, reader=the_user()),
        evidence_rows=evidence.request_evidence(session=db, request=found),
        answered=evidence.answered(found, evidence.receipts(session=db, request=found)),
        may_receive=False,
        may_export=False,
    )
    audit(AuditAction.case_request_view, object_type="case", object_id=access.case.id,
          details={"request": found.reference})  # fmt: skip
    commit()
    return page


def _choice(access: cases.CaseAccess, action: str) -> Response:
    form = RequestChoiceForm()
    if not form.validate_on_submit():
        flash(_("Choose a request."), "error")
        return _back(access)
    change = cases.attach if action == "attach" else cases.detach
    with attempt() as done:
        moved = change(
            session=get_session(),
            access=access,
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
    return _back(access)


def _drafting(case_id: int) -> cases.CaseAccess:
    """The case, for putting requests in it or drafting: 403 for a partner not allowed to."""
    access = _access(case_id)
    if not access.may_draft(the_user()):
        abort(403)
    return access


@bp.post("/<int:case_id>/attach")
@role_required(Role.officer)
def attach(case_id: int) -> Response:
    return _choice(_drafting(case_id), "attach")


@bp.post("/<int:case_id>/detach")
@role_required(Role.officer)
def detach(case_id: int) -> Response:
    return _choice(_drafting(case_id), "detach")


@bp.route("/<int:case_id>/draft", methods=["GET", "POST"])
@role_required(Role.officer)
def draft(case_id: int) -> str | Response | tuple[str, int]:
    """A new request in the case; ``?source=`` shows one of the case's requests, whose
    parts, persons and identifiers the officer ticks to carry over."""
    access = _drafting(case_id)
    db, user = get_session(), the_user()
    case = access.case
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
                access=access,
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


# Sharing with partner units: the lead unit's officers, from the case's page.


def _partner_change(case_id: int, change: str) -> Response:
    """Share the case with a unit (``invite``), change what it may do, or stop sharing."""
    access = _leading(case_id)
    form = PartnerForm()
    if not form.validate_on_submit():
        flash(_("Choose a unit."), "error")
        return _back(access)
    db, user, addr = get_session(), the_user(), request.remote_addr or ""
    unit_id, may_draft = form.unit_id.data, bool(form.may_draft.data)
    left: list[str] = []
    with attempt() as done:
        if change == "invite":
            cases.invite(session=db, access=access, user=user, unit_id=unit_id,
                         may_draft=may_draft, client_addr=addr)  # fmt: skip
        elif change == "change":
            cases.change_partner(session=db, access=access, user=user, unit_id=unit_id,
                                 may_draft=may_draft, client_addr=addr)  # fmt: skip
        else:
            # its downloads of the case's evidence end first, while the case still has it
            evidence_keeping.end_partner_access(session=db, user=user, case_id=case_id,
                                                unit_id=unit_id, client_addr=addr)  # fmt: skip
            left = cases.remove_partner(session=db, access=access, user=user, unit_id=unit_id,
                                        client_addr=addr)  # fmt: skip
    if done:
        name = db.get_one(Unit, unit_id).name
        said = {
            "invite": _("The case is shared with %(unit)s.", unit=name),
            "change": _("Changes saved."),
            "remove": _("The case is no longer shared with %(unit)s.", unit=name),
        }
        flash(said[change], "success")
        if left:
            flash(_("Its requests left the case with it: %(refs)s.", refs=", ".join(left)), "info")
    return _back(access)


@bp.post("/<int:case_id>/partners")
@role_required(Role.officer)
def invite(case_id: int) -> Response:
    return _partner_change(case_id, "invite")


@bp.post("/<int:case_id>/partners/change")
@role_required(Role.officer)
def change_partner(case_id: int) -> Response:
    return _partner_change(case_id, "change")


@bp.post("/<int:case_id>/partners/remove")
@role_required(Role.officer)
def remove_partner(case_id: int) -> Response:
    return _partner_change(case_id, "remove")


# The case's joint investigation team.


def _team_form(form: TeamForm) -> TeamForm:
    frameworks = rulebook().joint_teams
    form.framework.choices = [("", _("Choose the framework"))] + [
        (key, f"{f.name}, {f.article}")
        for key, f in (frameworks.frameworks.items() if frameworks else [])
    ]
    own = the_user().unit.state
    form.members.choices = [c for c in state_choices(current_language()) if c[0] != own]
    form.measures.choices = [(k, label("measure", k)) for k in MEASURE_LABELS]
    return form


def _max_bytes() -> int:
    return int(current_app.config.get("ANNEX_MAX_BYTES", DEFAULT_MAX_BYTES))


@bp.route("/<int:case_id>/team", methods=["GET", "POST"])
@role_required(Role.officer)
def team(case_id: int) -> str | Response | tuple[str, int]:
    """Record the case's joint investigation team, or change it (the lead unit)."""
    access = _leading(case_id)
    db = get_session()
    record = case_teams.case_team(session=db, case=access.case)
    saved = None
    if request.method == "GET" and record is not None:
        saved = {"name": record.name, "framework": record.framework, "scope": record.scope,
                 "members": list(record.members), "measures": list(record.measures),
                 "signed_on": record.signed_on, "starts_on": record.starts_on,
                 "ends_on": record.ends_on}  # fmt: skip
    form = _team_form(TeamForm(data=saved))
    if request.method == "GET":
        pass
    elif form.validate_on_submit():
        upload = form.agreement.data
        agreement = None
        if isinstance(upload, FileStorage) and upload.filename:
            agreement = (upload.filename or "", upload.stream.read(_max_bytes() + 1))
        with attempt(flash_error=False) as done:
            case_teams.save_team(
                session=db,
                access=access,
                user=the_user(),
                name=form.name.data,
                framework=form.framework.data,
                members=form.members.data or [],
                starts_on=form.starts_on.data,
                ends_on=form.ends_on.data,
                signed_on=form.signed_on.data,
                scope=form.scope.data or "",
                measures=form.measures.data or [],
                agreement=agreement,
                max_bytes=_max_bytes(),
                client_addr=request.remote_addr or "",
            )
        if done:
            flash(_("The joint investigation team is recorded."), "success")
            return _back(access)
        form.name.errors.append(str(done.error and done.error.translated(_)))
    status = 400 if request.method == "POST" else 200
    page = render_template("cases/team.html", case=access.case, form=form, record=record)
    return page, status


@bp.get("/<int:case_id>/team/agreement")
def team_agreement(case_id: int) -> Response:
    """The team's signed agreement, to every unit of the case; each download recorded."""
    access = _access(case_id)
    try:
        name, data = case_teams.agreement(session=get_session(), access=access, user=the_user(),
                                     client_addr=request.remote_addr or "")  # fmt: skip
    except NotFound:
        abort(404)
    commit()
    response = send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                         download_name=name, max_age=0)  # fmt: skip
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; sandbox; frame-ancestors 'none'"
    )
    return response
