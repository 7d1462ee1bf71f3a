"""What every request and response passes: the input guard, the CSRF check and the
security headers."""

from __future__ import annotations

from flask import Flask, Response, abort, current_app, request
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect

from mlat.services import evidence_uploads

csrf = CSRFProtect()


# Before logging in, nothing sent is larger than the log-in and code forms need.
ANONYMOUS_MAX_BYTES = 64 * 1024
ANONYMOUS_MAX_FIELDS = 50
# After it, far more fields than the longest wizard step has.
MAX_FIELDS = 5000
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
# The HTTP API authenticates each call by its token before it reads a body, and sets the
# limits of each operation itself (``mlat.views.api``).
API_PREFIX = "/api/"
LARGE_UPLOADS = frozenset({"evidence.receive", "evidence_bundles.verify"})
"""the pages whose forms carry files larger than the app's general limit"""
CHUNK_UPLOADS = frozenset({"evidence_uploads.put_chunk"})
"""the calls that carry one chunk of an evidence file as raw bytes, and no more"""


def init_app(app: Flask) -> None:
    # The limits first, then the input guard: the CSRF check, registered next, runs after
    # both, so no body is parsed before it is known to be of a size worth parsing.
    app.before_request(limit_input)
    app.before_request(refuse_unusable_input)
    csrf.init_app(app)
    app.after_request(security_headers)


def limit_input() -> None:
    """413 before any parsing for a body no page of the app sends: larger than the
    log-in forms before logging in, or with more fields than a form has. A URL-encoded
    body's fields are counted in its bytes (parsing millions of empty fields took
    seconds of CPU); a multipart body's by Werkzeug's part limit as it parses."""
    if request.endpoint in CHUNK_UPLOADS:  # a chunk, and a little more (it is refused)
        request.max_content_length = (
            evidence_uploads.CHUNK_SIZE + 2**16
            if current_user.is_authenticated
            else ANONYMOUS_MAX_BYTES
        )
        return
    if request.mimetype not in FORM_TYPES or request.path.startswith(API_PREFIX):
        return
    anonymous = not current_user.is_authenticated
    fields = ANONYMOUS_MAX_FIELDS if anonymous else MAX_FIELDS
    if anonymous:
        request.max_content_length = ANONYMOUS_MAX_BYTES
    elif request.endpoint in LARGE_UPLOADS:  # evidence, up to its own limit (and the form)
        request.max_content_length = current_app.config["MLAT"].evidence.max_bytes + 2**20
    request.max_form_parts = fields
    if request.mimetype == FORM_TYPES[0]:
        data = request.get_data(cache=True)  # 413 past max_content_length, unread
        if data.count(b"&") >= fields:
            abort(413)


def refuse_unusable_input() -> None:
    """400 for what no browser form sends and the app cannot take: a multipart part
    without a name, which the CSRF check (registered next, so run after this) cannot
    read, and the NUL character, which PostgreSQL cannot store in text. (The API's
    operations check what they read, once the caller is known.)"""
    if request.path.startswith(API_PREFIX):
        return
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
