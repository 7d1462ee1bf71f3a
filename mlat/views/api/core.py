"""The HTTP API's frame: bearer tokens and scopes, problem details (RFC 9457), ETags,
and the registry of operations from which the OpenAPI document is made (``spec``).

Each operation is declared once, with ``operation``: its route, the scope it needs and
the pydantic models of its query, body and answer. The same models parse what comes in
and describe it in the OpenAPI document, so the two cannot drift apart.

No cookie authenticates here and no CSRF token is asked for: a call carries its token
in ``Authorization: Bearer``, is counted against the token's rate, and is audited with
the token's name.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Blueprint, Response, current_app, g, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import AnonymousUserMixin
from pydantic import BaseModel, ValidationError
from werkzeug.exceptions import HTTPException

from mlat.audit_actions import AuditAction
from mlat.auth import SessionUser, audit
from mlat.config import Config
from mlat.db import get_session
from mlat.i18n import problem_text, speaker
from mlat.messages import N_
from mlat.models import ApiToken, MlaRequest, User, utcnow
from mlat.services import (
    Conflict,
    Forbidden,
    InvalidContent,
    NotFound,
    ServiceError,
    api_tokens,
)
from mlat.services.format_errors import PROBLEM_WORDS, in_words
from mlat.views.api.schemas import NoQuery
from mlat.views.transaction import commit

PREFIX = "/api/v1"
bp = Blueprint("api", __name__, url_prefix=PREFIX)
PROBLEM_MEDIA_TYPE = "application/problem+json"

# The problems the API answers with: the part of each ``type`` after /problems/, its
# status, and its title. The types are stable: clients may branch on them.
PROBLEMS: dict[str, tuple[int, str]] = {
    "invalid-request": (400, N_("The call could not be understood")),
    "unauthenticated": (401, N_("An API token is needed")),
    "token-refused": (401, N_("The API token was refused")),
    "insufficient-scope": (403, N_("The token's scopes do not allow this")),
    "forbidden": (403, N_("Your roles do not allow this")),
    "not-found": (404, N_("Not found, or not yours to see")),
    "method-not-allowed": (405, N_("This method is not allowed here")),
    "not-acceptable": (406, N_("The answer cannot be given in a media type asked for")),
    "conflict": (409, N_("The request changed since you read it")),
    "not-ready": (409, N_("Not ready yet")),
    "precondition-failed": (412, N_("The version you sent is not the current one")),
    "too-large": (413, N_("What was sent is too large")),
    "unsupported-media-type": (415, N_("The body is not of a media type this operation takes")),
    "invalid-content": (422, N_("The body does not fit the format")),
    "refused": (422, N_("The operation was refused")),
    "precondition-required": (428, N_("Send the version you read, in If-Match")),
    "rate-limited": (429, N_("Too many calls with this token")),
    "server-error": (500, N_("Something went wrong on the server")),
}
BY_STATUS = {
    400: "invalid-request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    412: "precondition-failed",
    413: "too-large",
    415: "unsupported-media-type",
    422: "refused",
    428: "precondition-required",
    429: "rate-limited",
}


def is_api_call() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def problem_type(slug: str) -> str:
    """The problem's ``type``: where the API's documentation page describes it."""
    return f"{PREFIX}/docs#problem-{slug}"


class ProblemError(Exception):
    """A problem to answer with: raised by the API's views, turned into
    ``application/problem+json`` by the blueprint's error handler."""

    def __init__(
        self,
        slug: str,
        detail: str = "",
        *,
        errors: Sequence[Mapping[str, str]] = (),
        headers: Mapping[str, str] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(detail or slug)
        self.slug = slug
        self.status = status or PROBLEMS[slug][0]
        self.detail = detail
        self.errors = list(errors)
        self.headers = dict(headers or {})


def problem_response(error: ProblemError) -> Response:
    title = PROBLEMS[error.slug][1] if error.slug in PROBLEMS else "Error"
    body: dict[str, Any] = {
        "type": problem_type(error.slug),
        "title": _(title),
        "status": error.status,
        "detail": error.detail or _(title),
        "instance": request.path,
    }
    if error.errors:
        body["errors"] = error.errors
    response = Response(
        json.dumps(body, ensure_ascii=False), status=error.status, mimetype=PROBLEM_MEDIA_TYPE
    )
    for name, value in error.headers.items():
        response.headers[name] = value
    if error.status == 401:
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="mlat"')
    return response


def http_problem(exc: HTTPException) -> Response:
    """An HTTP error raised anywhere under the API's prefix, as a problem."""
    code = exc.code or 500
    slug = BY_STATUS.get(code, "invalid-request" if 400 <= code < 500 else "server-error")
    detail = {
        404: _("There is no such resource, or you may not see it."),
        405: _("This method is not allowed on this resource."),
        413: _("What was sent is larger than this operation accepts."),
    }.get(code, "")
    headers = {}
    if code == 405 and exc.get_headers():
        headers = {k: v for k, v in exc.get_headers() if k.lower() == "allow"}
    return problem_response(ProblemError(slug, detail, headers=headers, status=code))


def server_problem() -> Response:
    return problem_response(
        ProblemError(
            "server-error",
            _(
                "Something went wrong on our side. Nothing was saved; try again, and tell your "
                "administrator if it happens again."
            ),
        )
    )


def service_problem(exc: ServiceError) -> ProblemError:
    """A service's refusal, as the problem that says it: its message, in the caller's
    language, and for a document that does not fit, each place and what is wrong."""
    detail = exc.translated(_, ngettext)
    if isinstance(exc, InvalidContent):
        errors = [{"path": found.path, "message": problem_text(found)} for found in exc.errors]
        return ProblemError("invalid-content", detail, errors=errors)
    if isinstance(exc, NotFound):
        return ProblemError("not-found", detail)
    if isinstance(exc, Forbidden):
        return ProblemError("forbidden", detail)
    if isinstance(exc, Conflict):
        return ProblemError("conflict", detail)
    if isinstance(exc, api_tokens.TokenRefused):
        return ProblemError("token-refused", detail)
    return ProblemError("refused", detail)


def validation_problem(exc: ValidationError, *, where: str, slug: str) -> ProblemError:
    """What pydantic refused in a query or body, each place with what is wrong in words;
    the paths of a query's parameters start with ``query.``."""
    errors = []
    for found in in_words(exc.errors()):
        if where == "query":  # a parameter is named by itself, not as a request's field
            if found.what.template == PROBLEM_WORDS["extra_forbidden"]:
                what = _("this parameter is not taken here")
            elif found.what.template == "%(reason)s":  # a query type's own words
                what = _(str(found.what.params["reason"]))
            else:
                what = speaker().say(found.what.template, found.what.params)
            errors.append({"path": f"query.{found.path}", "message": what})
        else:
            errors.append({"path": found.path, "message": problem_text(found)})
    detail = (
        _("The query's parameters are not right; see errors.")
        if where == "query"
        else _("The body does not fit the format; see errors.")
    )
    return ProblemError(slug, detail, errors=errors)


@bp.errorhandler(ProblemError)
def _problem(exc: ProblemError) -> Response:
    get_session().rollback()
    return problem_response(exc)


@bp.errorhandler(ServiceError)
def _refused(exc: ServiceError) -> Response:
    get_session().rollback()
    return problem_response(service_problem(exc))


# The token and its user, for the view and the audit entry.


def token() -> ApiToken:
    return cast(ApiToken, g.api_token)


def caller() -> User:
    return cast(User, g.api_user)


def client_addr() -> str:
    return request.remote_addr or ""


def config() -> Config:
    return cast(Config, current_app.config["MLAT"])


@bp.before_request
def authenticate() -> None:
    """The bearer token's user for this call, counted against the token's rate; or a
    problem. A session cookie sent along is ignored."""
    endpoint = (request.endpoint or "").removeprefix("api.")
    if endpoint in PUBLIC:
        return
    g._login_user = AnonymousUserMixin()  # never the cookie's user
    if "access_token" in request.args or "token" in request.args:
        raise ProblemError(
            "invalid-request",
            _("Send the token in the Authorization header, never in the URL."),
        )
    scheme, _sep, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise ProblemError(
            "unauthenticated",
            _("Send an API token in the header Authorization: Bearer <token>."),
        )
    db = get_session()
    now = utcnow()
    try:
        row, user = api_tokens.authenticate(
            session=db, secret=secret.strip(), client_addr=client_addr(), now=now
        )
    except api_tokens.TokenRefused as refused:
        db.rollback()
        api_tokens.refused_call(
            session=db,
            refused=refused,
            client_addr=client_addr(),
            method=request.method,
            path=request.path,
        )
        db.commit()
        raise ProblemError("token-refused", refused.translated(_, ngettext)) from None
    wait = api_tokens.count_call(
        session=db,
        token=row,
        now=now,
        per_minute=config().api_rate_per_minute,
        client_addr=client_addr(),
    )
    db.commit()
    if wait is not None:
        raise ProblemError(
            "rate-limited",
            ngettext(
                "This token made more than %(limit)d calls this minute. Try again in %(num)d "
                "second.",
                "This token made more than %(limit)d calls this minute. Try again in "
                "%(num)d seconds.",
                wait,
                limit=config().api_rate_per_minute,
            ),
            headers={"Retry-After": str(wait)},
        )
    g.api_token, g.api_user = row, user
    g._login_user = SessionUser(user, "")


@bp.after_request
def audit_call(response: Response) -> Response:
    """Every call made with a token goes into the audit trail, with the token's name."""
    row: ApiToken | None = g.get("api_token")
    if row is not None:
        rule = request.url_rule.rule if request.url_rule is not None else request.path
        audit(
            AuditAction.api_call,
            object_type="request" if "request_id" in (request.view_args or {}) else "",
            object_id=(request.view_args or {}).get("request_id", ""),
            details={
                "token": row.name,
                "token_id": row.id or 0,
                "method": request.method,
                "path": rule[:200],
                "status": response.status_code,
            },
        )
        commit()
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("Authorization")
    return response


# The registry of operations.

Body = type[BaseModel] | str | None
"""A pydantic model (JSON), ``"multipart"`` (an upload) or None."""


@dataclass(frozen=True)
class Answer:
    """One documented answer: its status, what it is, and its model or media type."""

    status: int
    description: str
    model: type[BaseModel] | None = None
    media_type: str = "application/json"
    headers: tuple[str, ...] = ()


@dataclass(frozen=True)
class Operation:
    endpoint: str
    method: str
    rule: str
    summary: str
    description: str
    tag: str
    scope: str | None
    query: type[BaseModel] | None = None
    body: Body = None
    answers: tuple[Answer, ...] = ()
    conditional: bool = False
    """takes If-Match (a change guarded by the version read)"""
    path_types: Mapping[str, str] = field(default_factory=dict)


OPERATIONS: list[Operation] = []
PUBLIC: set[str] = set()
"""Operations that need no token: the OpenAPI document and its page."""

F = TypeVar("F", bound=Callable[..., Any])


def operation(
    rule: str,
    method: str,
    *,
    summary: str,
    tag: str,
    scope: str | None,
    answers: Sequence[Answer],
    description: str = "",
    query: type[BaseModel] | None = None,
    body: Body = None,
    conditional: bool = False,
) -> Callable[[F], F]:
    """Declare and route an operation; the view runs only when the token has ``scope``."""

    def decorator(view: F) -> F:
        name = view.__name__

        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if scope is not None and scope not in api_tokens.scopes_of(token()):
                raise ProblemError(
                    "insufficient-scope",
                    _("This needs a token with the scope %(scope)s.", scope=scope),
                )
            if query is None:  # an operation without parameters refuses any given
                query_of(NoQuery)
            return view(*args, **kwargs)

        bp.add_url_rule(rule, endpoint=name, view_func=wrapped, methods=[method])
        converters = {
            part[1:-1].split(":")[1]: part[1:-1].split(":")[0]
            for part in rule.split("/")
            if part.startswith("<") and ":" in part
        }
        OPERATIONS.append(
            Operation(
                name,
                method.lower(),
                rule,
                summary,
                description,
                tag,
                scope,
                query,
                body,
                tuple(answers),
                conditional,
                converters,
            )
        )
        if scope is None:
            PUBLIC.add(name)
        return cast(F, wrapped)

    return decorator


# Reading what comes in.

M = TypeVar("M", bound=BaseModel)


def query_of(model: type[M]) -> M:
    """The query's parameters as ``model``, or a problem naming each that is wrong; a
    parameter the operation does not take is refused too, so that a typing slip is not
    silently ignored."""
    if any("\x00" in name or "\x00" in value for name, value in request.args.items(multi=True)):
        raise ProblemError("invalid-request", _("A parameter holds a NUL character."))
    values: dict[str, Any] = {}
    for name in request.args:
        found = request.args.getlist(name)
        values[name] = found if len(found) > 1 else found[0]
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise validation_problem(exc, where="query", slug="invalid-request") from None


MAX_JSON_BYTES = 2 * 1024 * 1024


def json_body() -> bytes:
    """The body's bytes, when it is JSON of a size an operation takes."""
    if request.mimetype != "application/json":
        raise ProblemError(
            "unsupported-media-type", _("Send the body as JSON (Content-Type: application/json).")
        )
    if (request.content_length or 0) > MAX_JSON_BYTES:
        raise ProblemError("too-large", _("The body is larger than 2 MB."))
    request.max_content_length = MAX_JSON_BYTES
    return request.get_data(cache=True)


def body_of(model: type[M]) -> M:
    """The JSON body as ``model``, or a problem naming each place that is wrong."""
    data = json_body()
    if b"\x00" in data or b"\\u0000" in data:  # PostgreSQL cannot store it in text
        raise ProblemError("invalid-content", _("The body holds a NUL character."))
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        raise validation_problem(exc, where="", slug="invalid-content") from None


# Versions, ETags and answers.


def version_tag(mla_request: MlaRequest) -> str:
    """The request's ETag: its version, raised by every change of content or state."""
    return f'"v{mla_request.version}"'


def expected_version(mla_request: MlaRequest) -> int:
    """The version the caller read, from If-Match; a problem when it is missing (428) or
    is not the current one (412)."""
    sent = request.headers.get("If-Match", "").strip()
    if not sent:
        raise ProblemError(
            "precondition-required",
            _("Send the request's ETag, as you last read it, in the If-Match header."),
        )
    if sent == "*":
        return mla_request.version
    tags = [tag.strip().removeprefix("W/") for tag in sent.split(",")]
    if version_tag(mla_request) not in tags:
        raise ProblemError(
            "precondition-failed",
            _(
                "The request changed since you read it (it is now at version %(num)d). "
                "Read it again, then send your change.",
                num=mla_request.version,
            ),
            headers={"ETag": version_tag(mla_request)},
        )
    return mla_request.version


def respond(
    value: BaseModel | Mapping[str, Any] | Sequence[Any],
    *,
    status: int = 200,
    etag: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """JSON with an ETag (the one given, or the body's digest); a GET whose If-None-Match
    holds it is answered 304."""
    if isinstance(value, BaseModel):
        text = value.model_dump_json(by_alias=True)
    else:
        text = json.dumps(value, ensure_ascii=False, default=str)
    response = Response(text, status=status, mimetype="application/json")
    for name, header in (headers or {}).items():
        response.headers[name] = header
    if etag is not None:
        response.headers["ETag"] = etag
    elif status == 200:
        response.add_etag()
    if request.method == "GET" and status == 200 and "If-None-Match" in request.headers:
        response.make_conditional(request)
    return response


def link(endpoint: str, **values: Any) -> str:
    return url_for(f"api.{endpoint}", **values)
