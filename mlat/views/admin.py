from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from forms.admin import (
    PasswordSetForm,
    UnitForm,
    UnitSettingsForm,
    UserCreateForm,
    UserEditForm,
)
from forms.rules import ResolveReportForm
from mlat.auth import role_required, the_user
from mlat.countries import state_choices
from mlat.db import get_session
from mlat.models import Role, RuleReportStatus, Unit, User
from mlat.services import NotFound, rule_reports, twofactor
from mlat.services import users as svc
from mlat.views.transaction import attempt, commit

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@role_required(Role.admin)
def _admins_only() -> None:
    """Every page of this blueprint is for administrators."""


def _with_units(form: UserEditForm) -> UserEditForm:
    form.unit_id.choices = [(u.id, u.name) for u in svc.list_units(session=get_session())]
    return form


@bp.get("/users")
def users() -> str:
    db = get_session()
    return render_template(
        "admin/users.html", users=svc.list_users(session=db), units=svc.list_units(session=db)
    )


@bp.route("/users/new", methods=["GET", "POST"])
def new_user() -> str | Response:
    form = _with_units(UserCreateForm())
    if form.validate_on_submit():
        db = get_session()
        with attempt() as done:
            user = svc.create_user(
                session=db,
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                unit=svc.get_unit(session=db, unit_id=form.unit_id.data),
                roles=[Role(r) for r in form.roles.data],
                must_change=True,
                active=form.active.data,
                actor=the_user(),
                client_addr=request.remote_addr or "",
            )
        if done:
            flash(_("User %(email)s created.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int) -> str | Response:
    db = get_session()
    try:
        user = svc.get_user(session=db, user_id=user_id)
    except NotFound:
        abort(404)
    form = _with_units(UserEditForm(obj=user))
    if not form.is_submitted():
        form.roles.data = sorted(r.value for r in user.roles)
    if form.validate_on_submit():
        with attempt() as done:
            svc.update_user(
                session=db,
                user=user,
                name=form.name.data,
                unit=svc.get_unit(session=db, unit_id=form.unit_id.data),
                roles=[Role(r) for r in form.roles.data],
                active=form.active.data,
                acting_user=the_user(),
                client_addr=request.remote_addr or "",
            )
        if done:
            flash(_("User %(email)s saved.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    return _user_page(form, user)


def _user_page(form: UserEditForm, user: User, password_form: PasswordSetForm | None = None) -> str:
    return render_template("admin/user_form.html", form=form, user=user,
                           password_form=password_form or PasswordSetForm())  # fmt: skip


@bp.post("/users/<int:user_id>/reset-two-factor")
def reset_two_factor(user_id: int) -> Response:
    """Forget a user's authenticator (lost phone): they set up a new one at next log-in."""
    db = get_session()
    try:
        user = svc.get_user(session=db, user_id=user_id)
    except NotFound:
        abort(404)
    twofactor.reset(session=db, user=user, actor=the_user(),
                    client_addr=request.remote_addr or "")  # fmt: skip
    commit()
    flash(
        _("Two-factor authentication of %(email)s was reset; they set it up again at their "
          "next log-in.", email=user.email),
        "success",
    )  # fmt: skip
    return redirect(url_for("admin.edit_user", user_id=user.id), 303)


@bp.post("/users/<int:user_id>/password")
def set_password(user_id: int) -> str | Response | tuple[str, int]:
    """A new password for a user who forgot theirs; it ends their sessions, and they must
    choose their own at the next log-in."""
    db = get_session()
    try:
        user = svc.get_user(session=db, user_id=user_id)
    except NotFound:
        abort(404)
    password_form = PasswordSetForm()
    if password_form.validate_on_submit():
        with attempt(flash_error=False) as done:
            svc.set_password(session=db, user=user, password=password_form.password.data,
                             must_change=True, actor=the_user(),
                             client_addr=request.remote_addr or "")  # fmt: skip
        if done.error is not None:
            password_form.password.errors.append(done.error.translated(_))
        else:
            flash(
                _("A new password for %(email)s is set; they must choose their own when they "
                  "next log in.", email=user.email),
                "success",
            )  # fmt: skip
            return redirect(url_for("admin.edit_user", user_id=user.id), 303)
    form = _with_units(UserEditForm(formdata=None, obj=user))
    form.roles.data = sorted(r.value for r in user.roles)
    return _user_page(form, user, password_form), 400


@bp.route("/units/new", methods=["GET", "POST"])
def new_unit() -> str | Response:
    form = UnitForm()
    form.state.choices = [("", _("Choose a state")), *state_choices()]
    if form.validate_on_submit():
        with attempt() as done:
            unit = svc.create_unit(
                session=get_session(),
                name=form.name.data,
                code=form.code.data,
                state=form.state.data,
                timezone=form.timezone.data,
                separate_duties=form.separate_duties.data,
                actor=the_user(),
                client_addr=request.remote_addr or "",
            )
        if done:
            flash(_("Unit %(name)s created.", name=unit.name), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/unit_form.html", form=form)


@bp.route("/units/<int:unit_id>", methods=["GET", "POST"])
def unit_settings(unit_id: int) -> str | Response | tuple[str, int]:
    """The settings of the administrator's own unit; other units' are not theirs."""
    db = get_session()
    unit = db.get(Unit, unit_id)
    if unit is None or unit.id != the_user().unit_id:
        abort(404)
    form = UnitSettingsForm(obj=unit)
    if form.validate_on_submit():
        with attempt(refresh=unit) as done:
            svc.update_unit_settings(session=db, unit=unit,
                                     separate_duties=form.separate_duties.data,
                                     actor=the_user(),
                                     client_addr=request.remote_addr or "")  # fmt: skip
        if done:
            flash(_("The settings of %(name)s are saved.", name=unit.name), "success")
            return redirect(url_for("admin.users"), 303)
    page = render_template("admin/unit_settings.html", form=form, unit=unit)
    return (page, 400) if form.errors else page


@bp.get("/rule-reports")
def rule_reports_page() -> str:
    """The unit's reports of wrong rules: the open ones, or the resolved ones."""
    try:
        status = RuleReportStatus(request.args.get("status", RuleReportStatus.open))
    except ValueError:
        abort(404)
    reports = rule_reports.list_reports(session=get_session(), user=the_user(), status=status)
    return render_template("admin/rule_reports.html", reports=reports, status=status)


@bp.route("/rule-reports/<int:report_id>", methods=["GET", "POST"])
def rule_report(report_id: int) -> str | Response | tuple[str, int]:
    db = get_session()
    try:
        report = rule_reports.get_report(session=db, user=the_user(), report_id=report_id)
    except NotFound:
        abort(404)
    form = ResolveReportForm()
    if form.validate_on_submit():
        with attempt(refresh=report) as done:
            rule_reports.resolve_report(session=db, report=report, resolver=the_user(),
                                        note=form.note.data,
                                        client_addr=request.remote_addr or "")  # fmt: skip
        if done:
            flash(_("The report on %(rule)s is resolved.", rule=report.rule_ref), "success")
            return redirect(url_for("admin.rule_reports_page"))
    page = render_template("admin/rule_report.html", report=report, form=form,
                           people=rule_reports.people_of(session=db, report=report))  # fmt: skip
    return (page, 400) if form.errors else page
