"""mlat: draft, validate, review, sign and track requests for mutual legal assistance."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map
from werkzeug.wrappers import Response as BaseResponse

from mlat.config import PROJECT_ROOT, Config, config_from_env

csrf = CSRFProtect()

# Endpoints anyone may reach without logging in.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "auth.code", "auth.enrol", "static", "health"})
# All a user whose password an administrator set may do until they choose their own.
MAY_CHANGE_PASSWORD = frozenset({"auth.account_password", "auth.logout"})


class DatabaseId(IntegerConverter):
    """``<int:...>`` in URLs: an id larger than the database holds matches no route (404)
    instead of reaching the database, which refuses it with an error."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


def create_app(config: Config | None = None) -> Flask:
    from mlat import auth, cli, db, i18n, views
    from mlat.jobs import queues

    config = config or config_from_env()
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=str(config.instance_path),
    )
    app.config.from_mapping(config.flask_settings())
    app.config["MLAT"] = config
    app.extensions["mlat_engine"] = db.make_engine(config.database_url)
    queues.init_app(app)
    if config.proxy_fix:  # behind that many reverse proxies (docs/deploy.md)
        hops = config.proxy_fix
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops
        )
    app.url_map.converters["int"] = DatabaseId

    @app.before_request
    def refuse_unusable_input() -> None:
        """400 for what no browser form sends and the app cannot take: a multipart part
        without a name, which the CSRF check (registered next, so run after this) cannot
        read, and the NUL character, which PostgreSQL cannot store in text."""
        fields = [*request.args.items(multi=True), *request.form.items(multi=True)]
        if None in request.files or any(
            name is None or "\x00" in name or "\x00" in value for name, value in fields
        ):
            abort(400)

    csrf.init_app(app)
    auth.login_manager.init_app(app)
    i18n.init_app(app)
    views.register(app)
    cli.register(app)
    app.teardown_appcontext(db.close_session)

    @app.before_request
    def require_login() -> BaseResponse | None:
        if request.endpoint in PUBLIC_ENDPOINTS or request.endpoint is None:
            return None
        expired = current_user.is_authenticated and auth.session_expired()
        if expired:
            flash(_("Your session has ended. Please log in again."), "info")
        if not current_user.is_authenticated:
            wanted = request.full_path.rstrip("?")
            return redirect(url_for("auth.login", next=wanted))
        if current_user.password_must_change and request.endpoint not in MAY_CHANGE_PASSWORD:
            flash(_("Choose your own password before you go on."), "info")
            return redirect(url_for("auth.account_password"))
        return None

    @app.after_request
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
        if config.secure_cookies:
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=63072000; includeSubDomains"
            )
        return response

    return app
