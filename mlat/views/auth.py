from __future__ import annotations

import datetime as dt
import secrets

from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from forms.auth import (
    CodeForm,
    LoginCodeForm,
    LoginForm,
    PasswordChangeForm,
    ReauthenticationForm,
)
from forms.tokens import RevokeTokenForm, TokenForm
from mlat.audit_actions import AuditAction
from mlat.auth import audit, end_session, start_session, the_user
from mlat.dates import local_today
from mlat.db import get_session
from mlat.models import User, utcnow
from mlat.services import api_tokens, recovery, twofactor
from mlat.services.users import WrongPassword, authenticate, change_password, normalise_email
from mlat.views.attempts import failed, give_back, reauthenticate, remember_device, take_slot
from mlat.views.common import safe_next
from mlat.views.transaction import attempt, commit

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    form = LoginForm()
    if form.validate_on_submit():
        db = get_session()
        email = normalise_email(form.email.data)
        counters = take_slot(email)
        if isinstance(counters, str):
            form.password.errors.append(counters)
            return render_template("auth/login.html", form=form), 429
        user = authenticate(session=db, email=email, password=form.password.data)
        if user is not None:
            give_back(counters)
        if user is not None and (user.has_authenticator or twofactor.required(user)):
            commit()  # a rehashed password, the slot given back
            return _begin_second_step(user)
        if user is not None:
            audit(AuditAction.login, user=user, object_type="user", object_id=user.id)
            start_session(user)
            response = remember_device(user, redirect(safe_next(request.args.get("next"))))
            commit()
            return response
        failed(email, "")
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


def _finish_login(
    user: User,
    *,
    codes: list[str] | None = None,
    factor: str = "authenticator",
    note: str | None = None,
) -> Response:
    """Start the session; with a new set of recovery ``codes`` (just after setting up an
    authenticator), show them before going on to the page the user asked for."""
    target = safe_next(str(session.get("pending", {}).get("next") or url_for("requests.index")))
    audit(AuditAction.login, user=user, object_type="user", object_id=user.id,
          details={"second_factor": factor})  # fmt: skip
    start_session(user)
    if note:
        flash(note, "info")
    response = redirect(target) if codes is None else _codes_page(codes, target)
    remember_device(user, response)
    commit()
    return response


def _codes_page(codes: list[str], target: str) -> Response:
    """Recovery codes, shown once: never cached, never kept."""
    response = make_response(render_template("auth/recovery_codes.html", codes=codes,
                                             target=target, shown=True))  # fmt: skip
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/login/code", methods=["GET", "POST"])
def code() -> str | Response | tuple[str, int]:
    user = _pending_user()
    if user is None or not user.has_authenticator:
        flash(_("Log in again."), "info")
        return redirect(url_for("auth.login"))
    form = LoginCodeForm()
    if form.validate_on_submit():
        counters = take_slot(user.email)
        if isinstance(counters, str):
            form.code.errors.append(counters)
            return render_template("auth/code.html", form=form), 429
        db = get_session()
        now = utcnow()
        if recovery.looks_like_one(form.code.data):
            if recovery.spend(session=db, user=user, code=form.code.data, now=now):
                give_back(counters)
                left = recovery.remaining(session=db, user=user)
                note = ngettext("You logged in with a recovery code; %(num)d is left. Make new "
                                "ones from your account if you have lost your phone.",
                                "You logged in with a recovery code; %(num)d are left. Make "
                                "new ones from your account if you have lost your phone.",
                                left)  # fmt: skip
                return _finish_login(user, factor="recovery code", note=note)
            failed(user.email, "recovery code")
            form.code.errors.append(_("That recovery code is not right, or it has been used."))
            return render_template("auth/code.html", form=form)
        if twofactor.check_code(session=db, user=user, code=form.code.data, now=now):
            give_back(counters)
            return _finish_login(user)
        failed(user.email, "two-factor code")
        form.code.errors.append(
            _("That code is not right, or it has been used already. Enter the next code.")
        )
    return render_template("auth/code.html", form=form)


@bp.route("/login/enrol", methods=["GET", "POST"])
def enrol() -> Response | tuple[str, int]:
    user = _pending_user()
    db = get_session()
    secret = twofactor.pending_secret(session=db, user=user, now=utcnow()) if user else None
    if user is None or secret is None:
        flash(_("Log in again."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        codes, status = _confirm_authenticator(user, form, during_login=True)
        if codes is not None:
            return _finish_login(user, codes=codes)
    uri = twofactor.provisioning_uri(secret, user.email)
    page = render_template(
        "auth/enrol.html", form=form, secret=secret, qr=twofactor.qr_data_uri(uri)
    )
    return page, status


def _confirm_authenticator(
    user: User, form: CodeForm, *, during_login: bool
) -> tuple[list[str] | None, int]:
    """Turn two-factor on with the code that proves the app holds the secret being set
    up, and make the recovery codes; the code's check takes a slot from the login
    throttle like any other. The codes, or None and the page's status."""
    counters = take_slot(user.email)
    if isinstance(counters, str):
        form.code.errors.append(counters)
        return None, 429
    db = get_session()
    with attempt(flash_error=False) as done:
        twofactor.enable(session=db, user=user, code=form.code.data, now=utcnow())
        audit(AuditAction.user_two_factor_enabled, user=user, object_type="user",
              object_id=user.id)  # fmt: skip
        codes = recovery.issue(session=db, user=user, now=utcnow(),
                               client_addr=request.remote_addr or "")  # fmt: skip
    if done.error is None:
        give_back(counters)
        if not during_login:
            commit()
        return codes, 200
    failed(user.email, "two-factor code, to set it up")
    form.code.errors.append(done.error.translated(_, ngettext))
    return None, 200


@bp.route("/account/two-factor", methods=["GET", "POST"])
def account_two_factor() -> Response | tuple[str, int]:
    """Officers may turn two-factor authentication on for themselves."""
    user = the_user()
    if user.has_authenticator:
        flash(_("Two-factor authentication is already on for your account."), "info")
        return redirect(url_for("requests.index"))
    db = get_session()
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        codes, status = _confirm_authenticator(user, form, during_login=False)
        if codes is not None:
            flash(_("Two-factor authentication is on."), "success")
            return _codes_page(codes, url_for("requests.index"))
    # The secret being set up, kept on the server until a code confirms it.
    secret = twofactor.begin_enrolment(session=db, user=user, now=utcnow())
    commit()
    uri = twofactor.provisioning_uri(secret, user.email)
    page = render_template(
        "auth/enrol.html", form=form, secret=secret, qr=twofactor.qr_data_uri(uri), optional=True
    )
    return page, status


@bp.route("/account/recovery-codes", methods=["GET", "POST"])
def account_recovery_codes() -> str | Response | tuple[str, int]:
    """How many recovery codes are left; a new set, after the password and a code."""
    user = the_user()
    if not user.has_authenticator:
        flash(_("Recovery codes come with two-factor authentication. Turn it on first."), "info")
        return redirect(url_for("auth.account_two_factor"))
    db = get_session()
    form = ReauthenticationForm()
    if form.validate_on_submit():
        error = reauthenticate(user, password=form.password.data, code=form.code.data,
                               purpose="to make recovery codes")  # fmt: skip
        if error is None:
            codes = recovery.issue(session=db, user=user, now=utcnow(),
                                   client_addr=request.remote_addr or "")  # fmt: skip
            commit()
            return _codes_page(codes, url_for("requests.index"))
        (form.code if error.factor == "code" else form.password).errors.append(error.message)
        status = 429 if error.factor == "throttle" else 200
        return render_template("auth/recovery_codes.html", form=form,
                               left=recovery.remaining(session=db, user=user)), status  # fmt: skip
    return render_template(
        "auth/recovery_codes.html", form=form, left=recovery.remaining(session=db, user=user)
    )


@bp.route("/account/password", methods=["GET", "POST"])
def account_password() -> str | Response | tuple[str, int]:
    """Change one's own password. Every other session of the user ends; this one goes on."""
    user = the_user()
    form = PasswordChangeForm()
    if form.validate_on_submit():
        counters = take_slot(user.email)
        if isinstance(counters, str):
            form.current.errors.append(counters)
            return render_template("auth/password.html", form=form), 429
        with attempt(flash_error=False) as done:
            change_password(session=get_session(), user=user, current=form.current.data,
                            new=form.new.data, client_addr=request.remote_addr or "")  # fmt: skip
            start_session(user)
        if isinstance(done.error, WrongPassword):
            # Counted with failed logins: guessing here is guessing the password.
            failed(user.email, "current password, to change it")
            form.current.errors.append(done.error.translated(_, ngettext))
        elif done.error is not None:  # the current password was right
            give_back(counters)
            commit()
            form.new.errors.append(done.error.translated(_, ngettext))
        else:
            give_back(counters)
            commit()
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


TOKENS_MADE = "tokens_made"
"""the session's list of the token forms that made a token (their ``once``)"""


def _fresh_token_form(form: TokenForm, user: User) -> TokenForm:
    form.expires_on.data = local_today(user.unit) + dt.timedelta(days=90)
    form.scopes.data = ["read"]
    form.once.data = secrets.token_urlsafe(16)
    return form


@bp.route("/account/tokens", methods=["GET", "POST"])
def account_tokens() -> str | tuple[str, int]:
    """The user's API tokens; a new one, after the password (and a code, with two-factor
    on), shown on this page once."""
    user, db = the_user(), get_session()
    form = TokenForm()
    if request.method == "GET":
        _fresh_token_form(form, user)
    issued = None
    status = 200
    made = session.get(TOKENS_MADE, [])
    valid = form.validate_on_submit()
    if valid and form.once.data and form.once.data in made:
        flash(_("This form was already sent and made its token, listed below. A token's secret "
                "is shown only once: if you did not keep it, revoke the token and make "
                "another."), "info")  # fmt: skip
        form = _fresh_token_form(TokenForm(formdata=None), user)
    elif valid:
        if user.has_authenticator and not (form.code.data or "").strip():
            form.code.errors.append(_("Enter the code."))
            status = 400
        else:
            error = reauthenticate(user, password=form.password.data, code=form.code.data or "",
                                   purpose="to make an API token")  # fmt: skip
            if error is not None:
                (form.code if error.factor == "code" else form.password).errors.append(
                    error.message
                )
                commit()
                status = 429 if error.factor == "throttle" else 400
            else:
                with attempt(flash_error=False) as done:
                    issued = api_tokens.create_token(
                        session=db,
                        user=user,
                        name=form.name.data,
                        scopes=form.scopes.data,
                        expires_on=form.expires_on.data,
                        allowed_addrs=form.allowed_addrs.data or "",
                        now=utcnow(),
                        client_addr=request.remote_addr or "",
                    )
                if done.error is not None:
                    issued = None
                    form.name.errors.append(done.error.translated(_, ngettext))
                    status = 400
    elif request.method == "POST":
        status = 400
    if issued is not None:  # a fresh form for the next one
        if form.once.data:
            session[TOKENS_MADE] = [*made, form.once.data][-20:]
        form = _fresh_token_form(TokenForm(formdata=None), user)
    now = utcnow()
    rows = [
        (token, api_tokens.state_of(token, now), api_tokens.last_day(token))
        for token in api_tokens.user_tokens(session=db, user=user)
    ]
    page = render_template(
        "auth/tokens.html",
        form=form,
        issued=issued,
        tokens=rows,
        scopes_of=lambda token: [s for s in api_tokens.SCOPES if s in api_tokens.scopes_of(token)],
        needs_two_factor=api_tokens.needs_two_factor(user) and not user.has_authenticator,
    )
    return page, status


@bp.post("/account/tokens/revoke")
def account_token_revoke() -> Response:
    """Revoke one of the user's own tokens (any other is "No such token")."""
    form = RevokeTokenForm()
    if form.validate_on_submit():
        with attempt() as done:
            row = api_tokens.revoke_token(session=get_session(), user=the_user(),
                                          token_id=form.token_id.data or 0, now=utcnow(),
                                          client_addr=request.remote_addr or "")  # fmt: skip
        if done:
            flash(_("The token %(name)s is revoked: it no longer works.", name=row.name),
                  "success")  # fmt: skip
    else:
        flash(_("No such token."), "error")
    return redirect(url_for("auth.account_tokens"), 303)
