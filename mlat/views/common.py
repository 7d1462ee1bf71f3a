"""What several blueprints share."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, request, url_for
from flask_babel import gettext as _
from sqlmodel import Session

from forms.filters import RequestFilterForm, choices
from mlat.audit_actions import AuditAction, Outcome
from mlat.auth import audit, the_user
from mlat.db import get_session
from mlat.models import MlaRequest, User
from mlat.services import NotFound
from mlat.services.listing import unit_users
from mlat.services.requests import get_visible_request
from mlat.services.workflow import may_download
from mlat.views.refusals import already_recorded
from mlat.views.transaction import commit


def visible_request(request_id: int) -> MlaRequest:
    """The request, or 404 when it does not exist or belongs to another unit."""
    try:
        return get_visible_request(session=get_session(), user=the_user(), request_id=request_id)
    except NotFound:
        abort(404)


def downloadable_request(request_id: int, action: AuditAction) -> MlaRequest:
    """The request whose files (packet, annexes, export) the user asks for, or 404 (not
    visible) or 403 (not theirs to take: recorded in the audit trail)."""
    mla_request = visible_request(request_id)
    if not may_download(session=get_session(), user=the_user(), request=mla_request):
        audit(
            action,
            object_type="request",
            object_id=request_id,
            outcome=Outcome.denied,
            reason="not a prosecutor, reviewer or one who drafted or changed it",
        )
        commit()  # the refusal is recorded, although the page is an error
        already_recorded()
        abort(403)
    return mla_request


def safe_next(target: str | None, fallback: str | None = None) -> str:
    """Only same-site paths, so that a ``next`` parameter cannot send the user elsewhere.
    Browsers read a backslash as a slash and drop tabs and line breaks, so "/\\evil" and
    "/\\t/evil" lead off the site; control characters cannot go in a header at all."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
    ):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return fallback or url_for("requests.index")


def list_filter_form(
    db: Session, user: User
) -> tuple[RequestFilterForm, list[tuple[int, str]], list[str]]:
    """The request list's filters from the GET parameters (the list and search share
    them): the form, the unit's people it offers as owners, and what was ignored, in words."""
    form = RequestFilterForm(request.args)
    form.set_states(_("Any state"))
    owners = unit_users(session=db, user=user)
    form.owner.choices = choices(("", _("Anyone")), *((str(id_), name) for id_, name in owners))
    form.validate()
    problems = [
        _("%(field)s: %(problem)s This filter was ignored.", field=field, problem=problem)
        for field, problem in form.problems()
    ]
    return form, owners, problems
