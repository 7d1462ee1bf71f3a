"""What every request and response passes: the input guard, the CSRF check and the
security headers."""

from __future__ import annotations

from flask import Flask, Response, abort, current_app, request
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect

csrf = CSRFProtect()


def init_app(app: Flask) -> None:
    # The input guard first: the CSRF check, registered next, runs after it.
    app.before_request(refuse_unusable_input)
    csrf.init_app(app)
    app.after_request(security_headers)


def refuse_unusable_input() -> None:
    """400 for what no browser form sends and the app cannot take: a multipart part
    without a name, which the CSRF check (registered next, so run after this) cannot
    read, and the NUL character, which PostgreSQL cannot store in text."""
    fields = [*request.args.items(multi=True), *request.form.items(multi=True)]
    if None in request.files or any(
        name is None or "\x00" in name or "\x00" in value for name, value in fields
    ):
        abort(400)


def security_headers(response: Response) -> Response:
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    if current_user.is_authenticated and request.endpoint != "static":
        response.headers["Cache-Control"] = "no-store"
    if current_app.config["MLAT"].secure_cookies:
        response.headers.setdefault(
            "Strict-Transport-Security", "max-age=63072000; includeSubDomains"
        )
    return response
