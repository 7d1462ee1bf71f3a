"""A unit administrator's webhook endpoints: register, change, rotate the secret of and
delete them, read their delivery log and send a delivery again. Only the unit's own
endpoints; another unit's are answered 404, and a change tried on one is audited."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from forms.webhooks import (
    EVENT_LABELS,
    DeleteWebhookForm,
    WebhookActionForm,
    WebhookEditForm,
    WebhookForm,
)
from mlat.audit_actions import AuditAction
from mlat.auth import role_required, the_user
from mlat.db import get_session
from mlat.models import Role, WebhookEndpoint
from mlat.services import NotFound
from mlat.services import webhooks as svc
from mlat.services.administration import OutOfScope
from mlat.services.webhook_network import Reach
from mlat.views.admin_guard import ANOTHER_UNIT, refused
from mlat.views.transaction import attempt

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")


@bp.before_request
@role_required(Role.admin)
def _unit_admins_only() -> None:
    """Every page here is for the administrators of a unit, about the unit's endpoints."""


def _reach() -> Reach:
    return Reach.of(current_app.config["MLAT"])


def _addr() -> str:
    return request.remote_addr or ""


def _endpoint(webhook_id: int, action: AuditAction) -> WebhookEndpoint:
    """An endpoint of the administrator's unit, or 404 (a change to another unit's is
    audited as ``action``, refused)."""
    try:
        return svc.get_endpoint(session=get_session(), user=the_user(), endpoint_id=webhook_id)
    except OutOfScope:
        if request.method == "POST":
            refused(action, "webhook_endpoint", webhook_id, ANOTHER_UNIT)
        abort(404)
    except NotFound:
        abort(404)


@bp.get("")
def index() -> str:
    endpoints = svc.endpoints_of(session=get_session(), user=the_user())
    return render_template("admin/webhooks.html", endpoints=endpoints, labels=EVENT_LABELS)


def _secret_page(endpoint: WebhookEndpoint, secret: str, *, new: bool) -> str:
    return render_template("admin/webhook_secret.html", endpoint=endpoint, secret=secret,
                           new=new)  # fmt: skip


@bp.route("/new", methods=["GET", "POST"])
def new() -> str | tuple[str, int]:
    form = WebhookForm()
    if form.validate_on_submit():
        with attempt(flash_error=False) as done:
            endpoint, secret = svc.create_endpoint(
                session=get_session(), actor=the_user(), url=form.url.data,
                description=form.description.data or "", events=form.events.data,
                include_content=form.include_content.data, reach=_reach(), client_addr=_addr(),
            )  # fmt: skip
        if done:
            return _secret_page(endpoint, secret, new=True)
        assert done.error is not None
        form.url.errors.append(done.error.translated(_))
    page = render_template("admin/webhook_form.html", form=form, endpoint=None)
    return (page, 400) if form.errors else page


def _endpoint_page(
    endpoint: WebhookEndpoint,
    form: WebhookEditForm | None = None,
    delete_form: DeleteWebhookForm | None = None,
) -> str:
    return render_template(
        "admin/webhook_form.html",
        endpoint=endpoint,
        form=form or WebhookEditForm(formdata=None, obj=endpoint),
        delete_form=delete_form or DeleteWebhookForm(formdata=None),
    )


@bp.route("/<int:webhook_id>", methods=["GET", "POST"])
def edit(webhook_id: int) -> str | Response | tuple[str, int]:
    endpoint = _endpoint(webhook_id, AuditAction.webhook_update)
    form = WebhookEditForm(obj=endpoint)
    if form.validate_on_submit():
        with attempt(refresh=endpoint, flash_error=False) as done:
            svc.update_endpoint(
                session=get_session(), endpoint=endpoint, actor=the_user(), url=form.url.data,
                description=form.description.data or "", events=form.events.data,
                include_content=form.include_content.data, active=form.active.data,
                reach=_reach(), client_addr=_addr(),
            )  # fmt: skip
        if done:
            flash(_("The endpoint is saved."), "success")
            return redirect(url_for("webhooks.edit", webhook_id=webhook_id), 303)
        assert done.error is not None
        form.url.errors.append(done.error.translated(_))
    page = _endpoint_page(endpoint, form)
    return (page, 400) if form.errors else page


@bp.post("/<int:webhook_id>/rotate")
def rotate(webhook_id: int) -> str | tuple[str, int]:
    """A new secret, shown on this page once; the previous one signs too for a day."""
    endpoint = _endpoint(webhook_id, AuditAction.webhook_rotate)
    if not WebhookActionForm().validate_on_submit():
        return _endpoint_page(endpoint), 400
    with attempt(refresh=endpoint) as done:
        secret = svc.rotate_secret(session=get_session(), endpoint=endpoint, actor=the_user(),
                                   client_addr=_addr())  # fmt: skip
    if not done:
        return _endpoint_page(endpoint), 400
    return _secret_page(endpoint, secret, new=False)


@bp.post("/<int:webhook_id>/delete")
def delete(webhook_id: int) -> Response | tuple[str, int]:
    endpoint = _endpoint(webhook_id, AuditAction.webhook_delete)
    form = DeleteWebhookForm()
    if form.validate_on_submit():
        url = endpoint.url
        with attempt(refresh=endpoint) as done:
            svc.delete_endpoint(session=get_session(), endpoint=endpoint, actor=the_user(),
                                client_addr=_addr())  # fmt: skip
        if done:
            flash(_("The endpoint %(url)s is deleted.", url=url), "success")
            return redirect(url_for("webhooks.index"), 303)
    return _endpoint_page(endpoint, delete_form=form), 400


@bp.get("/<int:webhook_id>/deliveries")
def deliveries(webhook_id: int) -> str:
    endpoint = _endpoint(webhook_id, AuditAction.webhook_replay)
    log = svc.delivery_log(session=get_session(), endpoint=endpoint)
    return render_template("admin/webhook_deliveries.html", endpoint=endpoint, deliveries=log,
                           limit=svc.LOG_LIMIT)  # fmt: skip


@bp.post("/deliveries/<int:delivery_id>/replay")
def replay(delivery_id: int) -> Response | tuple[str, int]:
    """Send a delivery's event again, as a new delivery of the log."""
    db = get_session()
    try:
        delivery, endpoint = svc.get_delivery(session=db, user=the_user(), delivery_id=delivery_id)
    except OutOfScope:
        refused(AuditAction.webhook_replay, "webhook_delivery", delivery_id, ANOTHER_UNIT)
        abort(404)
    except NotFound:
        abort(404)
    if WebhookActionForm().validate_on_submit():
        with attempt() as done:
            svc.replay(session=db, delivery=delivery, endpoint=endpoint, actor=the_user(),
                       client_addr=_addr())  # fmt: skip
        if done:
            flash(_("The delivery is queued to be sent again."), "success")
    return redirect(url_for("webhooks.deliveries", webhook_id=endpoint.id), 303)
