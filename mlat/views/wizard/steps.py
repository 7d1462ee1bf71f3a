"""The task list, the form steps (save, add and remove rows, live check) and the final
check page."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from forms.wizard import STEP_FORMS, StepContext, StepForm
from forms.wizard.base import add_error, flat_errors, parse_row_action, without_row
from mlat.audit_actions import AuditAction
from mlat.auth import audit, role_required, the_user
from mlat.db import get_session
from mlat.i18n import problem_text, speaker
from mlat.models import RequestStatus, Role, WorkflowAction
from mlat.rules.documents import document_kind
from mlat.rules.loader import rulebook
from mlat.services import Conflict, InvalidContent
from mlat.services.annexes import annex_rows
from mlat.services.requests import save_content
from mlat.views.transaction import attempt, commit
from mlat.views.wizard.common import (
    bp,
    client_addr,
    comments_of,
    document_of,
    editable,
    expected_version,
    findings_of,
    render_page,
    step_context,
)
from mlat.wizard import (
    BY_SLUG,
    STATE_LABELS,
    STEPS,
    anchor,
    by_step,
    errors_in,
    next_step,
    step_number,
    step_states,
)
from mlat.workflow import BY_ACTION, submittable


@bp.get("/requests/<int:request_id>/wizard")
@role_required(Role.officer)
def tasks(request_id: int) -> str | Response:
    mla_request = editable(request_id)
    ctx = step_context(mla_request)
    findings = findings_of(ctx.document, ctx.today)
    comments = comments_of(mla_request)
    return render_template(
        "wizard/tasks.html",
        mla_request=mla_request,
        steps=STEPS,
        states=step_states(ctx.document, findings),
        findings_by_step=by_step(findings, lambda f: f.field),
        comments_by_step=by_step(comments, lambda c: c.field),
        errors_in=errors_in,
        state_labels=STATE_LABELS,
    )


def _form_class(step: str) -> type[StepForm]:
    form_class = STEP_FORMS.get(step)
    if form_class is None:
        abort(404)
    return form_class


def _render(
    ctx: StepContext, form: StepForm, slug: str, status: int = 200, **values: Any
) -> tuple[str, int]:
    return render_page(
        f"wizard/{slug}.html",
        ctx,
        slug=slug,
        findings=findings_of(ctx.document, ctx.today),
        comments=comments_of(ctx.request),
        status=status,
        form=form,
        errors=flat_errors(form),
        number=step_number(slug),
        total=len(STEPS),
        **values,
    )


@bp.route("/requests/<int:request_id>/wizard/<step>", methods=["GET", "POST"])
@role_required(Role.officer)
def step(request_id: int, step: str) -> str | Response | tuple[str, int]:
    if step == "check":
        return review(request_id)
    if step == "annexes":
        from mlat.views.wizard.annexes import annexes

        return annexes(request_id)
    form_class = _form_class(step)
    mla_request = editable(request_id)
    ctx = step_context(mla_request)
    if request.method == "GET":
        form = form_class(data=form_class.initial(ctx))
        form.version.data = str(mla_request.version)
        form.prepare(ctx)
        page = _render(ctx, form, step)
        _audit_view(mla_request.id, step)
        return page
    action = parse_row_action(request.form.get("rows", ""), form_class.repeatable)
    if action is not None:
        return _edit_rows(ctx, form_class, step, action)
    form = form_class()
    form.prepare(ctx)
    if not form.validate():
        return _render(ctx, form, step)
    return _save(ctx, form, step)


def _edit_rows(
    ctx: StepContext, form_class: type[StepForm], slug: str, action: tuple[str, str, int]
) -> tuple[str, int]:
    """Add or remove a row and show the form again with everything else as typed.
    Nothing is saved until the officer saves the step."""
    verb, name, index = action
    formdata = without_row(request.form, name, index) if verb == "remove" else request.form
    form = form_class(formdata=formdata)
    rows = getattr(form, name)
    focus = None
    if verb == "add":
        if rows.max_entries is not None and len(rows) >= rows.max_entries:
            flash(_("No more rows can be added here."), "error")
        else:
            rows.append_entry()
            focus = next(f.id for f in rows[-1].form if f.type != "HiddenField")
    form.prepare(ctx)
    if expected_version(form.version.data) != ctx.request.version:  # someone saved meanwhile
        for note in form.conflict_notes(ctx.request.content):
            flash(note, "error")
    notice = _("Not saved yet: press Save and continue to keep your changes.")
    return _render(ctx, form, slug, focus_id=focus, notice=notice)


def _save(ctx: StepContext, form: StepForm, slug: str) -> Response | tuple[str, int]:
    mla_request = ctx.request
    columns = form.columns()
    state_before = mla_request.requested_state
    status_before, version_before = mla_request.status, mla_request.version
    with attempt(refresh=mla_request, flash_error=False) as saved:
        save_content(
            session=get_session(),
            request=mla_request,
            editor=the_user(),
            expected_version=expected_version(form.version.data),
            content=form.apply(mla_request.content),
            title=columns.get("title"),
            requested_state=columns.get("requested_state"),
            client_addr=client_addr(),
        )
    if isinstance(saved.error, Conflict):
        form.version.data = str(mla_request.version)  # saving again applies the input
        fresh = step_context(mla_request)
        form.prepare(fresh)  # choices, such as the identifiers, as they are now
        flash(saved.error.translated(_, ngettext), "error")
        for note in form.conflict_notes(mla_request.content):
            flash(note, "error")
        return _render(fresh, form, slug, status=409)
    if isinstance(saved.error, InvalidContent):
        for found in saved.error.errors:
            what = speaker().say(found.what.template, found.what.params)
            if not add_error(form, found.path.replace(".", "-"), what):
                flash(problem_text(found), "error")
    if saved.error is not None:
        flash(saved.error.translated(_, ngettext), "error")
        return _render(ctx, form, slug, status=400)
    if status_before == RequestStatus.approved and mla_request.status == RequestStatus.in_review:
        flash(_(BY_ACTION[WorkflowAction.edit_after_approval].done), "warning")
    elif status_before == RequestStatus.in_review and mla_request.version > version_before:
        flash(_(BY_ACTION[WorkflowAction.edit_in_review].done), "success")
    else:
        flash(_("Saved."), "success")
    if slug == "route" and mla_request.requested_state != state_before:
        flash(_("The requested state changed: check the legal basis and channel."), "info")
        return redirect(url_for("wizard.step", request_id=mla_request.id, step="route"))
    if request.form.get("then") == "tasks":
        return redirect(url_for("wizard.tasks", request_id=mla_request.id))
    following = next_step(slug).slug
    return redirect(url_for("wizard.step", request_id=mla_request.id, step=following))


@bp.post("/requests/<int:request_id>/wizard/<step>/check")
@role_required(Role.officer)
def check(request_id: int, step: str) -> str | Response:
    """The step's findings with the posted input applied in memory: nothing is saved."""
    form_class = _form_class(step)
    mla_request = editable(request_id, refused_with=409)
    ctx = step_context(mla_request)
    form = form_class()
    form.prepare(ctx)
    step_findings = []
    if form.validate():
        columns = form.columns()
        state = columns.get("requested_state") or mla_request.requested_state
        document = document_of(mla_request, form.apply(mla_request.content), state)
        step_findings = by_step(findings_of(document, ctx.today), lambda f: f.field)[step]
    return render_template(
        "wizard/_findings.html",
        step_findings=step_findings,
        form_errors=flat_errors(form),
        anchor=anchor,
    )


def _value_labels() -> dict[str, dict[str, Any]]:
    """Labels of the coded values the check page shows."""
    from forms.wizard.base import language_choices
    from forms.wizard.persons import IDENTIFIER_KINDS, ROLES
    from forms.wizard.route import PROCEEDINGS
    from forms.wizard.safeguards import ASSURANCES

    return {
        "role": dict(ROLES),
        "identifier": dict(IDENTIFIER_KINDS),
        "assurance": dict(ASSURANCES),
        "proceedings": dict(PROCEEDINGS),
        "language": dict(language_choices()),
    }


def _audit_view(request_id: int | None, step: str) -> None:
    """Showing a request's content is a consultation: audit it like the request page."""
    audit(
        AuditAction.request_view,
        object_type="request",
        object_id=request_id,
        details={"wizard_step": step},
    )
    commit()


def review(request_id: int) -> str | Response | tuple[str, int]:
    """Step 8: the whole request on one page with every finding beside its part."""
    mla_request = editable(request_id)
    if request.method == "GET":
        _audit_view(mla_request.id, "check")
    ctx = step_context(mla_request)
    findings = findings_of(ctx.document, ctx.today)
    comments = comments_of(mla_request)
    return render_page(
        "wizard/check.html",
        ctx,
        slug="check",
        findings=findings,
        comments=comments,
        findings_by_step=by_step(findings, lambda f: f.field),
        comments_by_step=by_step(comments, lambda c: c.field),
        states=step_states(ctx.document, findings),
        annexes=annex_rows(session=get_session(), request=mla_request),
        doc=ctx.document,
        document_kind=document_kind(ctx.document),
        errors=errors_in(findings),
        submittable=submittable(mla_request.status, errors=errors_in(findings)),
        submit_url=url_for("workflow.act", request_id=mla_request.id, action="submit"),
        by_slug=BY_SLUG,
        names=_value_labels(),
        instrument_names={s: i.name for s, i in rulebook().instruments.instruments.items()},
        state_labels=STATE_LABELS,
    )
