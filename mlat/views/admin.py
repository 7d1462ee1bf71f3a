from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from forms.admin import (
    PasswordSetForm,
    ReauthForm,
    TwoFactorResetForm,
    UnitForm,
    UnitSettingsForm,
    UserCreateForm,
    UserEditForm,
)
from forms.rules import ResolveReportForm
from mlat.audit_actions import AuditAction
from mlat.auth import role_required, the_user
from mlat.countries import state_choices
from mlat.db import get_session
from mlat.i18n import current_language
from mlat.models import Role, RuleReportStatus, User
from mlat.services import Forbidden, NotFound, rule_reports, twofactor
from mlat.services import administration as scope
from mlat.services import users as svc
from mlat.views.admin_guard import (
    reauthenticated,
    refused,
    unit_to_change,
    user_to_change,
)
from mlat.views.transaction import attempt

bp = Blueprint("admin", __name__, url_prefix="/admin")

# Fields of the user form that nobody changes about themselves.
OWN_ACCESS_FIELDS = frozenset({"unit_id", "roles", "active"})


@bp.before_request
@role_required(Role.admin, Role.installation_admin)
def _admins_only() -> None:
    """Every page of this blueprint is for administrators: of a unit, which manage that
    unit's users and settings, or of the installation, which manage every unit's."""


def _with_units(form: UserEditForm) -> UserEditForm:
    units = scope.managed_units(session=get_session(), actor=the_user())
    form.unit_id.choices = [(u.id, u.name) for u in units]
    return form


@bp.get("/users")
def users() -> str:
    db, actor = get_session(), the_user()
    shown = scope.visible_users(session=db, actor=actor)
    return render_template(
        "admin/users.html",
        users=shown,
        units=scope.managed_units(session=db, actor=actor),
        manageable={u.id for u in shown if scope.may_manage(actor, u)},
        installation=scope.is_installation_admin(actor),
    )


def _form_page(form: UserEditForm, user: User | None, **context: object) -> str:
    """The form of a new user, or the page of one (``_user_page``)."""
    own = user is not None and user.id == the_user().id
    return render_template("admin/user_form.html", form=form, user=user, own=own,
                           grantable=scope.grantable_roles(the_user()), **context)  # fmt: skip


@bp.route("/users/new", methods=["GET", "POST"])
def new_user() -> str | Response | tuple[str, int]:
    form = _with_units(UserCreateForm())
    if form.validate_on_submit():
        db = get_session()
        roles = [Role(r) for r in form.roles.data]
        with attempt() as done:
            user = svc.create_user(
                session=db,
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                unit=svc.get_unit(session=db, unit_id=form.unit_id.data),
                roles=roles,
                must_change=True,
                active=form.active.data,
                actor=the_user(),
                client_addr=request.remote_addr or "",
            )
        if done:
            flash(_("User %(email)s created.", email=user.email), "success")
            return redirect(url_for("admin.users"))
        if isinstance(done.error, Forbidden | NotFound):
            refused(AuditAction.user_create, "user", "", str(done.error), email=form.email.data,
                    unit=form.unit_id.data, roles=sorted(roles))  # fmt: skip
            return _form_page(form, None), 403
    return _form_page(form, None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id: int) -> str | Response | tuple[str, int]:
    """A user's name, unit, roles and whether they may log in. An administrator's own
    page changes only their name: a form that tries to change more is refused."""
    db, actor = get_session(), the_user()
    user = user_to_change(user_id, AuditAction.user_update)
    own = user.id == actor.id
    form = _with_units(UserEditForm(obj=user))
    if own:
        for name in OWN_ACCESS_FIELDS:
            delattr(form, name)
    elif not form.is_submitted():
        form.roles.data = sorted(r.value for r in user.roles)
    if form.validate_on_submit():
        if own and OWN_ACCESS_FIELDS & set(request.form):
            flash(_(scope.OWN_ACCOUNT), "error")
            refused(AuditAction.user_update, "user", user.id, "own unit, roles or active state",
                    asked=sorted(OWN_ACCESS_FIELDS & set(request.form)))  # fmt: skip
            return _user_page(form, user), 403
        with attempt() as done:
            svc.update_user(
                session=db,
                user=user,
                name=form.name.data,
                unit=user.unit if own else svc.get_unit(session=db, unit_id=form.unit_id.data),
                roles=user.roles if own else [Role(r) for r in form.roles.data],
                active=user.active if own else form.active.data,
                acting_user=actor,
                client_addr=request.remote_addr or "",
            )
        if done:
            flash(_("User %(email)s saved.", email=user.email), "success")
            return redirect(url_for("admin.users"))
        if isinstance(done.error, Forbidden | NotFound):
            asked = {} if own else {"unit": form.unit_id.data, "roles": sorted(form.roles.data)}
            refused(AuditAction.user_update, "user", user.id, str(done.error), **asked)
            return _user_page(form, user), 403
    return _user_page(form, user)


def _user_page(
    form: UserEditForm | None,
    user: User,
    password_form: PasswordSetForm | None = None,
    reset_form: TwoFactorResetForm | None = None,
) -> str:
    """The page of a user: their details, and the forms that reset their password and
    authenticator. ``form`` None: the details as they are stored."""
    if form is None:
        form = _with_units(UserEditForm(formdata=None, obj=user))
        form.roles.data = sorted(r.value for r in user.roles)
        if user.id == the_user().id:
            for name in OWN_ACCESS_FIELDS:
                delattr(form, name)
    return _form_page(form, user,
                      password_form=password_form or PasswordSetForm(formdata=None),
                      reset_form=reset_form or TwoFactorResetForm(formdata=None))  # fmt: skip


def _confirmed(form: ReauthForm, action: AuditAction, user: User) -> bool:
    """Whether the administrator re-authenticated in this submission; if not, why is
    shown by the field that was wrong."""
    if the_user().has_authenticator and not (form.admin_code.data or "").strip():
        form.admin_code.errors.append(_("Enter the code from your authenticator app."))
        return False
    wrong = reauthenticated(form.admin_password.data or "", form.admin_code.data or "",
                            action=action, target=user)  # fmt: skip
    if wrong is not None:
        field, message = wrong
        form[field].errors.append(message)
        return False
    return True


@bp.post("/users/<int:user_id>/reset-two-factor")
def reset_two_factor(user_id: int) -> Response | tuple[str, int]:
    """Forget a user's authenticator (lost phone): they set up a new one at next log-in.
    The administrator confirms it is them; the user is told by e-mail."""
    db = get_session()
    user = user_to_change(user_id, AuditAction.user_two_factor_reset)
    form = TwoFactorResetForm()
    if form.validate_on_submit() and _confirmed(form, AuditAction.user_two_factor_reset, user):
        with attempt(refresh=user) as done:
            twofactor.reset(session=db, user=user, actor=the_user(),
                            client_addr=request.remote_addr or "")  # fmt: skip
        if done:
            flash(
                _("Two-factor authentication of %(email)s was reset; they set it up again at "
                  "their next log-in.", email=user.email),
                "success",
            )  # fmt: skip
            return redirect(url_for("admin.edit_user", user_id=user.id), 303)
    return _user_page(None, user, reset_form=form), 400


@bp.post("/users/<int:user_id>/password")
def set_password(user_id: int) -> str | Response | tuple[str, int]:
    """A new password for a user who forgot theirs; it ends their sessions, and they must
    choose their own at the next log-in. The administrator confirms it is them; the user
    is told by e-mail."""
    db = get_session()
    user = user_to_change(user_id, AuditAction.user_password_reset)
    password_form = PasswordSetForm()
    if password_form.validate_on_submit() and _confirmed(
        password_form, AuditAction.user_password_reset, user
    ):
        with attempt(flash_error=False) as done:
            svc.set_password(session=db, user=user, password=password_form.password.data,
                             must_change=True, actor=the_user(),
                             client_addr=request.remote_addr or "")  # fmt: skip
        if done.error is not None:
            password_form.password.errors.append(done.error.translated(_, ngettext))
        else:
            flash(
                _("A new password for %(email)s is set; they must choose their own when they "
                  "next log in.", email=user.email),
                "success",
            )  # fmt: skip
            return redirect(url_for("admin.edit_user", user_id=user.id), 303)
    return _user_page(None, user, password_form=password_form), 400


@bp.route("/units/new", methods=["GET", "POST"])
def new_unit() -> str | Response:
    """A new unit: only an installation administrator creates one."""
    if not scope.is_installation_admin(the_user()):
        if request.method == "POST":
            refused(AuditAction.unit_create, "unit", "", "not an installation administrator")
        abort(403)
    form = UnitForm()
    form.state.choices = [("", _("Choose a state")), *state_choices(current_language())]
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
    """The settings of the administrator's own unit (of any unit, for an installation
    administrator); other units' are not theirs (404)."""
    db = get_session()
    unit = unit_to_change(unit_id)
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
@role_required(Role.admin)
def rule_reports_page() -> str:
    """The unit's reports of wrong rules: the open ones, or the resolved ones."""
    try:
        status = RuleReportStatus(request.args.get("status", RuleReportStatus.open))
    except ValueError:
        abort(404)
    reports = rule_reports.list_reports(session=get_session(), user=the_user(), status=status)
    return render_template("admin/rule_reports.html", reports=reports, status=status)


@bp.route("/rule-reports/<int:report_id>", methods=["GET", "POST"])
@role_required(Role.admin)
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
