"""The language switcher: on every page, the login page included."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, request
from flask_login import current_user
from werkzeug.wrappers import Response

from mlat.auth import the_user
from mlat.i18n import LANGUAGE_COOKIE, LANGUAGE_COOKIE_AGE, SUPPORTED_LOCALES
from mlat.views.common import safe_next
from mlat.views.transaction import commit

bp = Blueprint("language", __name__)


@bp.post("/language")
def choose() -> Response:
    """Keep the chosen language on the account (when logged in) and in this browser, then
    go back to the page the switcher was on. An unknown language changes nothing."""
    language = request.form.get("language", "")
    response = redirect(safe_next(request.form.get("next"), fallback="/"))
    if language not in SUPPORTED_LOCALES:
        return response
    if current_user.is_authenticated:
        the_user().locale = language
        commit()
    response.set_cookie(
        LANGUAGE_COOKIE,
        language,
        max_age=LANGUAGE_COOKIE_AGE,
        httponly=True,
        samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
    )
    return response
