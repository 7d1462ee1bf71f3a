"""What the wizard's views share: the blueprint, loading a request the officer may edit,
the step context (document, rule table, findings, review comments) and page rendering."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from forms.wizard.base import StepContext
from mlat.auth import the_user
from mlat.dates import local_today
from mlat.db import get_session
from mlat.models import MlaRequest, ReviewComment
from mlat.request_format import RequestDocument
from mlat.rules.citations import rule_citation
from mlat.rules.engine import validate
from mlat.rules.findings import Finding
from mlat.rules.loader import rulebook
from mlat.rules.provenance import Citation
from mlat.rules.schema import Ruled, StateTable
from mlat.services import ServiceError, case_teams
from mlat.services.validation import request_document
from mlat.services.workflow import open_comments
from mlat.views.common import visible_request
from mlat.wizard import (
    STEPS,
    anchor,
    by_path,
    by_step,
    content_path,
    step_for,
)
from mlat.workflow import EDITABLE

bp = Blueprint("wizard", __name__)


def editable(request_id: int, *, refused_with: int | None = None) -> MlaRequest:
    """The request; when it can no longer be edited, the view ends here, with a redirect
    to the request's page or, for what the page fetches, the status ``refused_with``."""
    mla_request = visible_request(request_id)
    if mla_request.status not in EDITABLE:
        flash(_("This request can no longer be edited in its current state."), "error")
        abort(refused_with or redirect(url_for("requests.show", request_id=mla_request.id)))
    return mla_request


def document_of(
    mla_request: MlaRequest,
    content: dict[str, Any] | None = None,
    requested_state: str | None = None,
) -> RequestDocument:
    """The request's saved content (or ``content``) as a document with the states filled
    in; an empty document (and a message) when it does not fit the request format."""
    unit = the_user().unit
    try:
        return request_document(request=mla_request, unit=unit, content=content,
                                requested_state=requested_state)  # fmt: skip
    except ServiceError as exc:
        flash(exc.translated(_, ngettext), "error")
        return RequestDocument(requesting_state=unit.state)


def step_context(mla_request: MlaRequest) -> StepContext:
    """What the steps need; ``extra["team"]`` is what the case's joint investigation
    team says of the request, if it says anything."""
    unit = the_user().unit
    document = document_of(mla_request)
    today = local_today(unit)
    team = case_teams.request_team_advice(session=get_session(), request=mla_request, today=today)
    return StepContext(
        request=mla_request,
        unit_state=unit.state,
        unit_timezone=unit.timezone,
        document=document,
        table=rulebook().state(mla_request.requested_state),
        today=today,
        extra={"team": team} if team is not None else {},
    )


def findings_of(document: RequestDocument, today: dt.date) -> list[Finding]:
    return validate(document, rulebook(), today)


def comments_of(mla_request: MlaRequest) -> list[ReviewComment]:
    """The comments the reviewer attached when last returning the request."""
    return open_comments(session=get_session(), request=mla_request)


def citer(table: StateTable | None, today: dt.date) -> Any:
    """A template helper: the citation of a rule of the requested state's table."""

    def cite(rule: Ruled) -> Citation | None:
        if table is None:
            return None
        return rule_citation(table, rule, today)

    return cite


def expected_version(raw: str | None) -> int:
    try:
        return int(raw or 0)
    except ValueError:
        return 0


def client_addr() -> str:
    return request.remote_addr or ""


def render_page(
    template: str,
    ctx: StepContext,
    *,
    slug: str,
    findings: list[Finding],
    comments: list[ReviewComment],
    status: int = 200,
    **values: Any,
) -> tuple[str, int]:
    """A wizard page with the step's findings and the reviewer's comments, each also by
    the path of the field it concerns."""
    step_findings = by_step(findings, lambda f: f.field)[slug]
    step_comments = by_step(comments, lambda c: c.field)[slug]
    page = render_template(
        template,
        mla_request=ctx.request,
        ctx=ctx,
        table=ctx.table,
        cite=citer(ctx.table, ctx.today),
        step=next(s for s in STEPS if s.slug == slug),
        steps=STEPS,
        step_findings=step_findings,
        findings_at=by_path(step_findings, lambda f: f.field),
        step_comments=step_comments,
        comments_at=by_path(step_comments, lambda c: c.field),
        anchor=anchor,
        content_path=content_path,
        step_for=step_for,
        **values,
    )
    return page, status
