"""Blueprints: thin views that parse a form, call a service, commit once and redirect."""

from __future__ import annotations

from flask import Flask, Response, render_template
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from mlat import security
from mlat.crypto import DataKeyError
from mlat.db import get_session
from mlat.views import (
    admin,
    api,
    audit_log,
    auth,
    cases,
    dashboard,
    evidence,
    evidence_bundles,
    evidence_keeping,
    evidence_uploads,
    language,
    packets,
    providers,
    refusals,
    requests,
    rule_reports,
    rules,
    webhooks,
    wizard,
    workflow,
)


def register(app: Flask) -> None:
    blueprints = (auth, requests, admin, audit_log, rules, providers, rule_reports, workflow,
                  dashboard, packets, wizard, language, api, cases, webhooks,
                  evidence, evidence_bundles, evidence_keeping, evidence_uploads)  # fmt: skip
    for module in blueprints:
        app.register_blueprint(module.bp)
    security.csrf.exempt(api.bp)  # a token authenticates each call, never a cookie

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[str, int] | Response:
        messages = {
            400: _("The request could not be understood. Go back and try again."),
            403: _("You do not have permission to do this."),
            404: _("There is nothing here, or you may not see it."),
            405: _("This action is not available here."),
            413: _("What was sent is too large, or has too many fields, to be accepted."),
        }
        if api.is_api_call():
            return api.http_problem(exc)
        code = exc.code or 500
        refusals.record(code)
        message = messages.get(code, _("Something went wrong."))
        return render_template("error.html", code=code, message=message), code

    @app.errorhandler(DataKeyError)
    def unopened(exc: DataKeyError) -> tuple[str, int] | Response:
        """Stored data the configured keys do not open: the log says which and why."""
        app.logger.error("Stored data not opened: %s", exc)
        get_session().rollback()
        if api.is_api_call():
            return api.server_problem()
        message = _(
            "Something stored here could not be decrypted with this server's keys. "
            "Tell your administrator."
        )
        return render_template("error.html", code=500, message=message), 500

    @app.errorhandler(Exception)
    def server_error(exc: Exception) -> tuple[str, int] | Response:
        app.logger.exception("Unhandled error", exc_info=exc)
        get_session().rollback()  # a failed flush would otherwise fail the page too
        if api.is_api_call():
            return api.server_problem()
        message = _(
            "Something went wrong on our side. Nothing you entered was saved twice; "
            "please try again, and tell your administrator if it happens again."
        )
        return render_template("error.html", code=500, message=message), 500
