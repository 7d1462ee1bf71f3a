"""Workflow actions on a request (submit, approve, return, sign, transmit ...), the
reviewer's page and the user's notifications."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from forms.workflow import COMMENT_TARGETS, TransitionForm, comment_field_name
from mlat.audit_actions import AuditAction
from mlat.auth import audit, role_required, the_user
from mlat.dates import local_today
from mlat.db import get_session
from mlat.labels import CHANNEL_LABELS
from mlat.models import MlaRequest, RequestStatus, Role
from mlat.services import Conflict, notifications
from mlat.services import workflow as svc
from mlat.services.validation import validate_request
from mlat.views.attempts import reauthenticate
from mlat.views.common import visible_request
from mlat.views.transaction import attempt, commit
from mlat.workflow import (
    BY_ACTION,
    EDITABLE,
    REVIEW_ACTIONS,
    Transition,
    available,
    may_review,
)

bp = Blueprint("workflow", __name__)


def transition_form() -> TransitionForm:
    form = TransitionForm()
    form.channel.choices = [
        ("", _("Choose a channel")),
        *((key, _(text)) for key, text in CHANNEL_LABELS.items()),
    ]
    return form


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
    if step is None or step.by_editing:
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
    if "reauth" in step.needs and not _reauthenticated(form):
        return redirect(back, 303)
    with attempt(refresh=mla_request) as done:
        svc.transition(
            session=get_session(),
            request=mla_request,
            actor=the_user(),
            action=action,
            expected_version=_version(form),
            inputs=_inputs(form),
            client_addr=request.remote_addr or "",
        )
    if isinstance(done.error, Conflict):
        if action in REVIEW_ACTIONS and mla_request.status == "in_review":
            # Show the request as it is now, keeping the reviewer's comments; the form is
            # pinned to what is now shown, so approving again approves that.
            seen = form.seen_digest.data or ""
            form.version.data = str(mla_request.version)
            form.seen_digest.data = mla_request.content_digest
            return review_page(mla_request, form, seen_digest=seen), 409
        return redirect(back, 303)
    if done.error is not None:
        if action in REVIEW_ACTIONS:
            return review_page(mla_request, form), 400
        return redirect(back, 303)
    flash(_(step.done), "success")
    return redirect(back, 303)


def _reauthenticated(form: TransitionForm) -> bool:
    """Whether the user confirmed what they sign and gave their password and a fresh
    two-factor code; failures count with failed logins (``mlat.services.throttle``)."""
    user = the_user()
    if not form.confirm.data:
        flash(_("Tick the box to confirm that you have read what you sign."), "error")
        return False
    error = reauthenticate(user, password=form.password.data or "", code=form.code.data or "",
                           purpose="to sign")  # fmt: skip
    if error is not None:
        flash(error.message, "error")
        return False
    return True


def review_page(
    mla_request: MlaRequest, form: TransitionForm | None = None, seen_digest: str = ""
) -> str:
    """The review page; after a refused decision, what changed since the version the
    reviewer had loaded (``seen_digest``)."""
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
        changes=svc.changes_since_review(session=db, request=mla_request),
        changed_meanwhile=svc.changes_since_seen(
            session=db, request=mla_request, seen_digest=seen_digest
        )
        if seen_digest
        else None,
        comment_targets=COMMENT_TARGETS,
        comment_field_name=comment_field_name,
        submitted=request.form,
        may_approve=_may_take(mla_request, BY_ACTION["approve"]),
        editors=svc.editors(session=db, request=mla_request),
    )


def _may_take(mla_request: MlaRequest, step: Transition) -> bool:
    refused = svc.refusal(session=get_session(), request=mla_request, user=the_user(), step=step)
    return refused is None


def workflow_context(mla_request: MlaRequest) -> dict[str, object]:
    """What the request page shows of the workflow: the actions this user may take now,
    the history, and the reviewer's open comments."""
    db = get_session()
    user = the_user()
    actions = [
        step
        for step in available(mla_request.status)
        if step.action not in REVIEW_ACTIONS and _may_take(mla_request, step)
    ]
    sign_refused = ""
    if mla_request.status == RequestStatus.approved and user.has_role(Role.prosecutor):
        refused = svc.refusal(session=db, request=mla_request, user=user, step=BY_ACTION["sign"])
        if refused is not None:  # say why Sign is not offered: another prosecutor signs
            sign_refused = refused.translated(_, ngettext)
    form = transition_form()
    form.version.data = str(mla_request.version)
    form.on.data = local_today(user.unit)
    events = svc.history(session=db, request=mla_request)
    return {
        "actions": actions,
        "sign_refused": sign_refused,
        "action_form": form,
        "history": events,
        "open_comments": svc.open_comments(session=db, request=mla_request)
        if mla_request.status in ("returned", "draft")
        else [],
        "can_review": may_review(mla_request.status, user),
        "editable": mla_request.status in EDITABLE,
        "comment_labels": dict(COMMENT_TARGETS),
        "people": svc.people(session=db, request=mla_request, events=events),
    }


@bp.get("/requests/<int:request_id>/review")
@role_required(Role.reviewer)
def review(request_id: int) -> str:
    mla_request = visible_request(request_id)
    page = review_page(mla_request)
    audit(AuditAction.request_view, object_type="request", object_id=mla_request.id)
    commit()
    return page


@bp.get("/notifications")
def notifications_page() -> str:
    rows = notifications.unread(session=get_session(), user=the_user())
    return render_template(
        "workflow/notifications.html",
        rows=rows,
        messages=notifications.MESSAGES,
        operator=notifications.OPERATOR,
    )


@bp.post("/notifications/read")
def notifications_read() -> Response:
    ids = [int(v) for v in request.form.getlist("id") if v.isdecimal() and len(v) < 19]
    notifications.mark_read(session=get_session(), user=the_user(), notification_ids=ids or None)
    commit()
    return redirect(url_for("workflow.notifications_page"), 303)
