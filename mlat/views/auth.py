from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import logout_user
from werkzeug.wrappers import Response

from forms.auth import LoginForm
from mlat.auth import audit, start_session
from mlat.db import get_session
from mlat.models import utcnow
from mlat.services.throttle import login_refused
from mlat.services.users import authenticate, normalise_email

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so the login page cannot be used to redirect elsewhere."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("requests.index")


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response | tuple[str, int]:
    form = LoginForm()
    if form.validate_on_submit():
        db = get_session()
        email = normalise_email(form.email.data)
        address = request.remote_addr or ""
        if login_refused(session=db, email=email, client_addr=address, now=utcnow()):
            audit("login", object_type="email", object_id=email[:64], outcome="denied")
            db.commit()
            form.password.errors.append(
                _("Too many failed attempts. Wait 15 minutes and try again.")
            )
            return render_template("auth/login.html", form=form), 429
        user = authenticate(session=db, email=email, password=form.password.data)
        if user is not None:
            audit("login", user=user, object_type="user", object_id=user.id)
            db.commit()
            start_session(user)
            return redirect(_safe_next(request.args.get("next")))
        audit("login", object_type="email", object_id=email[:64], outcome="failure")
        db.commit()
        form.password.errors.append(_("The e-mail address or password is not right."))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout() -> Response:
    audit("logout")
    get_session().commit()
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))
