"""Workflow actions on a request (submit, approve, return, sign, transmit ...), the
reviewer's page and the user's notifications."""

from __future__ import annotations

import smtplib

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from forms.workflow import COMMENT_TARGETS, TransitionForm, comment_field_name
from mlat.audit_actions import AuditAction
from mlat.auth import audit, role_required, the_user
from mlat.config import Config
from mlat.dates import local_today
from mlat.db import get_session
from mlat.i18n import CHANNEL_LABELS
from mlat.models import MlaRequest, Role
from mlat.services import Conflict, ServiceError, notifications
from mlat.services import workflow as svc
from mlat.services.validation import validate_request
from mlat.views.common import visible_request
from mlat.workflow import BY_ACTION, available

bp = Blueprint("workflow", __name__)

REVIEW_ACTIONS = frozenset({"approve", "return"})


def transition_form() -> TransitionForm:
    form = TransitionForm()
    form.channel.choices = [("", _("Choose a channel")), *CHANNEL_LABELS.items()]
    return form


def send_notification_emails() -> None:
    """E-mail pending notifications when an SMTP server is configured; a failure to
    send leaves them pending and never fails the user's action, which is committed."""
    config: Config = current_app.config["MLAT"]
    if config.smtp is None:
        return
    try:
        notifications.send_pending(
            session=get_session(), smtp=config.smtp, base_url=config.base_url, gettext=_
        )
    except (OSError, smtplib.SMTPException):
        get_session().rollback()
        current_app.logger.warning("Could not send notification e-mails", exc_info=True)


def _inputs(form: TransitionForm) -> svc.Inputs:
    field_comments = [
        (path, request.form.get(comment_field_name(path), ""))
        for path, _label in COMMENT_TARGETS
        if request.form.get(comment_field_name(path), "").strip()
    ]
    return svc.Inputs(
        comment=form.comment.data or "",
        field_comments=field_comments,
        on=form.on.data,
        channel=form.channel.data or "",
        foreign_reference=form.foreign_reference.data or "",
        seen_digest=form.seen_digest.data or "",
    )


def _version(form: TransitionForm) -> int:
    """The version the user's page showed; 0 (always stale) when the field was tampered with."""
    try:
        return int(form.version.data)
    except (TypeError, ValueError):
        return 0


@bp.post("/requests/<int:request_id>/do/<action>")
def act(request_id: int, action: str) -> Response | tuple[str, int]:
    mla_request = visible_request(request_id)
    step = BY_ACTION.get(action)
    if step is None:
        abort(404)
    form = transition_form()
    back = url_for("requests.show", request_id=mla_request.id)
    if not form.validate_on_submit():
        if action in REVIEW_ACTIONS:
            return review_page(mla_request, form), 400
        for errors in form.errors.values():
            for error in errors:
                flash(error, "error")
        return redirect(back)
    db = get_session()
    try:
        svc.transition(
            session=db,
            request=mla_request,
            actor=the_user(),
            action=action,
            expected_version=_version(form),
            inputs=_inputs(form),
            client_addr=request.remote_addr or "",
        )
    except Conflict as exc:
        db.rollback()
        db.refresh(mla_request)
        flash(exc.translated(_), "error")
        if action in REVIEW_ACTIONS and mla_request.status == "in_review":
            # Show the request as it is now, keeping the reviewer's comments; the form is
            # pinned to what is now shown, so approving again approves that.
            form.version.data = str(mla_request.version)
            form.seen_digest.data = mla_request.content_digest
            return review_page(mla_request, form), 409
        return redirect(back, 303)
    except ServiceError as exc:
        db.rollback()
        db.refresh(mla_request)
        if action in REVIEW_ACTIONS:
            flash(exc.translated(_), "error")
            return review_page(mla_request, form), 400
        flash(exc.translated(_), "error")
        return redirect(back, 303)
    db.commit()
    send_notification_emails()
    flash(_("Done: %(action)s.", action=_(step.label)), "success")
    return redirect(back, 303)


def review_page(mla_request: MlaRequest, form: TransitionForm | None = None) -> str:
    db = get_session()
    form = form or transition_form()
    if request.method == "GET":
        form.version.data = str(mla_request.version)
        form.seen_digest.data = mla_request.content_digest
    findings = validate_request(
        request=mla_request, unit=the_user().unit, today=local_today(the_user().unit)
    )
    return render_template(
        "workflow/review.html",
        mla_request=mla_request,
        form=form,
        findings=findings,
        changes=svc.changes_since_review(db, mla_request),
        comment_targets=COMMENT_TARGETS,
        comment_field_name=comment_field_name,
        submitted=request.form,
        may_approve=svc.may_take(db, mla_request, the_user(), BY_ACTION["approve"]),
        editors=svc.editors(db, mla_request),
    )


def workflow_context(mla_request: MlaRequest) -> dict[str, object]:
    """What the request page shows of the workflow: the actions this user may take now,
    the history, and the reviewer's open comments."""
    db = get_session()
    user = the_user()
    actions = [
        step
        for step in available(mla_request.status)
        if step.action not in REVIEW_ACTIONS and svc.may_take(db, mla_request, user, step)
    ]
    form = transition_form()
    form.version.data = str(mla_request.version)
    form.on.data = local_today(user.unit)
    events = svc.history(db, mla_request)
    return {
        "actions": actions,
        "action_form": form,
        "history": events,
        "open_comments": svc.open_comments(db, mla_request)
        if mla_request.status in ("returned", "draft")
        else [],
        "can_review": mla_request.status == "in_review" and user.has_role(Role.reviewer),
        "comment_labels": dict(COMMENT_TARGETS),
        "people": svc.people(db, mla_request, events),
    }


@bp.get("/requests/<int:request_id>/review")
@role_required(Role.reviewer)
def review(request_id: int) -> str:
    mla_request = visible_request(request_id)
    page = review_page(mla_request)
    audit(AuditAction.request_view, object_type="request", object_id=mla_request.id)
    get_session().commit()
    return page


@bp.get("/notifications")
def notifications_page() -> str:
    rows = notifications.unread(get_session(), the_user())
    return render_template(
        "workflow/notifications.html", rows=rows, messages=notifications.MESSAGES
    )


@bp.post("/notifications/read")
def notifications_read() -> Response:
    ids = [int(v) for v in request.form.getlist("id") if v.isdecimal() and len(v) < 19]
    notifications.mark_read(get_session(), the_user(), ids or None)
    get_session().commit()
    return redirect(url_for("workflow.notifications_page"), 303)
