"""An evidence item's partner access, retention and destruction: forms on the item's
page that post here and come back to it."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import TypeVar, cast

from flask import Blueprint, abort, current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from forms.evidence_keeping import AccessForm, ReasonForm, RetentionForm
from mlat.auth import role_required, the_user
from mlat.dates import local_today
from mlat.db import get_session
from mlat.evidence_store import EvidenceStore
from mlat.models import Role
from mlat.services import NotFound, evidence
from mlat.services import evidence_keeping as keeping
from mlat.views.transaction import attempt

bp = Blueprint("evidence_keeping", __name__)
logger = logging.getLogger(__name__)


def _visible(item_id: int) -> None:
    """404 for an item the user's unit does not reach, before its form is read."""
    try:
        evidence.visible_item(session=get_session(), user=the_user(), item_id=item_id)
    except NotFound:
        abort(404)


def _back(item_id: int) -> Response:
    return redirect(url_for("evidence.item", item_id=item_id), 303)


def _addr() -> str:
    return request.remote_addr or ""


F = TypeVar("F", AccessForm, ReasonForm, RetentionForm)


def _posted(item_id: int, form: F, act: Callable[[F], object]) -> Response:
    """The item's page again, after ``act`` took the valid form (the message it gives
    flashed), or with the form's or the service's reason why not."""
    _visible(item_id)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return _back(item_id)
    with attempt() as done:
        said = act(form)
    if done:
        flash(str(said), "success")
    return _back(item_id)


@bp.post("/evidence/<int:item_id>/access")
@role_required(Role.officer)
def access(item_id: int) -> Response:
    """Allow a partner unit of the case to download the item, or no longer."""

    def change(form: AccessForm) -> object:
        grant = form.grant.data == "1"
        unit = keeping.change_access(session=get_session(), user=the_user(), item_id=item_id,
                                     unit_id=form.unit.data, grant=grant,
                                     reason=form.reason.data, client_addr=_addr())  # fmt: skip
        if grant:
            return _("%(unit)s may now download this file.", unit=unit.name)
        return _("%(unit)s may no longer download this file.", unit=unit.name)

    return _posted(item_id, AccessForm(), change)


@bp.post("/evidence/<int:item_id>/retention")
@role_required(Role.admin)
def retention(item_id: int) -> Response:
    def decide(form: RetentionForm) -> object:
        keeping.set_retention(session=get_session(), user=the_user(), item_id=item_id,
                              until=cast(dt.date, form.until.data), reason=form.reason.data,
                              client_addr=_addr())  # fmt: skip
        return _("The retention is recorded in the item's chain of custody.")

    return _posted(item_id, RetentionForm(), decide)


@bp.post("/evidence/<int:item_id>/destruction")
@role_required(Role.admin)
def ask_destruction(item_id: int) -> Response:
    def ask(form: ReasonForm) -> object:
        keeping.ask_destruction(session=get_session(), user=the_user(), item_id=item_id,
                                reason=form.reason.data, today=local_today(the_user().unit),
                                client_addr=_addr())  # fmt: skip
        return _("The file is marked for destruction: another administrator of the unit "
                 "approves it.")  # fmt: skip

    return _posted(item_id, ReasonForm(), ask)


@bp.post("/evidence/<int:item_id>/destruction/cancel")
@role_required(Role.admin)
def cancel_destruction(item_id: int) -> Response:
    def cancel(form: ReasonForm) -> object:
        keeping.cancel_destruction(session=get_session(), user=the_user(), item_id=item_id,
                                   reason=form.reason.data, client_addr=_addr())  # fmt: skip
        return _("The destruction is withdrawn: the file is kept.")

    return _posted(item_id, ReasonForm(), cancel)


@bp.post("/evidence/<int:item_id>/destruction/approve")
@role_required(Role.admin)
def approve_destruction(item_id: int) -> Response:
    _visible(item_id)
    with attempt() as done:
        found = keeping.approve_destruction(session=get_session(), user=the_user(),
                                            item_id=item_id,
                                            today=local_today(the_user().unit),
                                            client_addr=_addr())  # fmt: skip
    if done:
        if found.object_name:  # committed: now its content goes
            store: EvidenceStore = current_app.extensions["mlat_evidence"]
            try:
                store.backend.delete(found.object_name)
            except Exception:  # left to the store's sweep, which finds it unnamed
                logger.exception("Evidence object %s not removed", found.object_name)
        flash(_("The file is destroyed; its record and SHA-256 remain."), "success")
    return _back(item_id)
