from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response
from wtforms import Field

from forms.auth import CodeForm, LoginForm, PasswordChangeForm
from mlat.audit_actions import AuditAction, Outcome
from mlat.auth import audit, end_session, start_session, the_user
from mlat.db import get_session
from mlat.models import User, utcnow
from mlat.services import twofactor
from mlat.services.throttle import login_refused
from mlat.services.users import WrongPassword, authenticate, change_password, normalise_email
from mlat.views.common import safe_next
from mlat.views.transaction import attempt, commit

bp = Blueprint("auth", __name__)


def _throttled(email: str, field: Field) -> bool:
    """Whether the throttle refuses this attempt at the account's password or code (see
    ``mlat.services.throttle``); a refusal is audited and said on the form's field."""
    db = get_session()
    if not login_refused(
        session=db, email=email, client_addr=request.remote_addr or "", now=utcnow()
    ):
        return False
    audit(AuditAction.login, object_type="email", object_id=email[:64], outcome=Outcome.denied)
    commit()
    field.errors.append(_("Too many failed attempts. Wait 15 minutes and try again."))
    return True


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    form = LoginForm()
    if form.validate_on_submit():
        db = get_session()
        email = normalise_email(form.email.data)
        if _throttled(email, form.password):
            return render_template("auth/login.html", form=form), 429
        user = authenticate(session=db, email=email, password=form.password.data)
        if user is not None and (user.has_authenticator or twofactor.required(user)):
            commit()  # a rehashed password
            return _begin_second_step(user)
        if user is not None:
            audit(AuditAction.login, user=user, object_type="user", object_id=user.id)
            start_session(user)
            commit()
            return redirect(safe_next(request.args.get("next")))
        audit(AuditAction.login, object_type="email", object_id=email[:64], outcome=Outcome.failure)
        commit()
        form.password.errors.append(_("The e-mail address or password is not right."))
    return render_template("auth/login.html", form=form)


PENDING_SECONDS = 300


def _begin_second_step(user: User) -> Response:
    """Password accepted: remember who is half-way through logging in, for 5 minutes. A
    secret to set up is kept on the server, sealed, never in the cookie."""
    session.clear()
    session["pending"] = {
        "user": user.id,
        "epoch": user.session_epoch,
        "at": utcnow().timestamp(),
        "next": safe_next(request.args.get("next")),
    }
    if user.has_authenticator:
        return redirect(url_for("auth.code"))
    twofactor.begin_enrolment(session=get_session(), user=user, now=utcnow(), fresh=True)
    commit()
    return redirect(url_for("auth.enrol"))


def _pending_user() -> User | None:
    pending = session.get("pending")
    if not isinstance(pending, dict):
        return None
    if utcnow().timestamp() - float(pending.get("at", 0)) > PENDING_SECONDS:
        session.clear()
        return None
    user = get_session().get(User, int(pending.get("user", 0)))
    if user is None or not user.active or user.session_epoch != pending.get("epoch"):
        return None
    return user


def _finish_login(user: User) -> Response:
    target = str(session.get("pending", {}).get("next") or url_for("requests.index"))
    audit(AuditAction.login, user=user, object_type="user", object_id=user.id)
    start_session(user)
    commit()
    return redirect(safe_next(target))


@bp.route("/login/code", methods=["GET", "POST"])
def code() -> str | Response | tuple[str, int]:
    user = _pending_user()
    if user is None or not user.has_authenticator:
        flash(_("Log in again."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        if _throttled(user.email, form.code):
            return render_template("auth/code.html", form=form), 429
        db = get_session()
        now = utcnow()
        if twofactor.check_code(session=db, user=user, code=form.code.data, now=now):
            return _finish_login(user)
        audit(AuditAction.login, object_type="email", object_id=user.email[:64],
              outcome=Outcome.failure, reason="two-factor code")  # fmt: skip
        commit()
        form.code.errors.append(
            _("That code is not right, or it has been used already. Enter the next code.")
        )
    return render_template("auth/code.html", form=form)


@bp.route("/login/enrol", methods=["GET", "POST"])
def enrol() -> str | Response:
    user = _pending_user()
    db = get_session()
    secret = twofactor.pending_secret(session=db, user=user, now=utcnow()) if user else None
    if user is None or secret is None:
        flash(_("Log in again."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        with attempt(flash_error=False) as done:
            twofactor.enable(session=db, user=user, code=form.code.data, now=utcnow())
            audit(AuditAction.user_two_factor_enabled, user=user, object_type="user",
                  object_id=user.id)  # fmt: skip
        if done.error is None:
            return _finish_login(user)
        form.code.errors.append(done.error.translated(_))
    uri = twofactor.provisioning_uri(secret, user.email)
    return render_template(
        "auth/enrol.html", form=form, secret=secret, qr=twofactor.qr_data_uri(uri)
    )


@bp.route("/account/two-factor", methods=["GET", "POST"])
def account_two_factor() -> str | Response:
    """Officers may turn two-factor authentication on for themselves."""
    user = the_user()
    if user.has_authenticator:
        flash(_("Two-factor authentication is already on for your account."), "info")
        return redirect(url_for("requests.index"))
    db = get_session()
    form = CodeForm()
    if form.validate_on_submit():
        with attempt(flash_error=False) as done:
            twofactor.enable(session=db, user=user, code=form.code.data, now=utcnow())
            audit(AuditAction.user_two_factor_enabled, object_type="user", object_id=user.id)
        if done.error is None:
            flash(_("Two-factor authentication is on."), "success")
            return redirect(url_for("requests.index"))
        form.code.errors.append(done.error.translated(_))
    # The secret being set up, kept on the server until a code confirms it.
    secret = twofactor.begin_enrolment(session=db, user=user, now=utcnow())
    commit()
    uri = twofactor.provisioning_uri(secret, user.email)
    return render_template(
        "auth/enrol.html", form=form, secret=secret, qr=twofactor.qr_data_uri(uri), optional=True
    )


@bp.route("/account/password", methods=["GET", "POST"])
def account_password() -> str | Response | tuple[str, int]:
    """Change one's own password. Every other session of the user ends; this one goes on."""
    user = the_user()
    form = PasswordChangeForm()
    if form.validate_on_submit():
        if _throttled(user.email, form.current):
            return render_template("auth/password.html", form=form), 429
        with attempt(flash_error=False) as done:
            change_password(session=get_session(), user=user, current=form.current.data,
                            new=form.new.data, client_addr=request.remote_addr or "")  # fmt: skip
            start_session(user)
        if isinstance(done.error, WrongPassword):
            # Counted with failed logins: guessing here is guessing the password.
            audit(AuditAction.login, object_type="email", object_id=user.email[:64],
                  outcome=Outcome.failure, reason="current password, to change it")  # fmt: skip
            commit()
            form.current.errors.append(done.error.translated(_))
        elif done.error is not None:
            form.new.errors.append(done.error.translated(_))
        else:
            flash(
                _("Your password is changed. Any other sessions of yours have ended."),
                "success",
            )
            return redirect(url_for("requests.index"))
    return render_template("auth/password.html", form=form)


@bp.post("/logout")
def logout() -> Response:
    audit(AuditAction.logout)
    end_session()
    commit()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))
