"""The audit trail for administrators: filter it, page through it newest first, and
export it as CSV (an export is itself a disclosure, so it writes an audit entry). An
administrator of a unit reads the entries about their unit; an installation
administrator reads them all."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_babel import gettext as _
from sqlmodel import col, select

from forms.audit import AuditFilterForm
from mlat.audit_actions import AuditAction
from mlat.auth import audit, role_required, the_user
from mlat.db import get_session
from mlat.messages import N_
from mlat.models import AuditEntry, MlaRequest, Role, User
from mlat.services import audit as audit_svc
from mlat.services.administration import is_installation_admin
from mlat.services.listing import day_bounds
from mlat.services.users import normalise_email
from mlat.views.transaction import commit

bp = Blueprint("audit_log", __name__, url_prefix="/admin")

PAGE_SIZE = 100
EXPORT_LIMIT = 100_000


@bp.before_request
@role_required(Role.admin, Role.installation_admin)
def _admins_only() -> None:
    """Every page of this blueprint is for administrators."""


def _unit_scope() -> int | None:
    """The unit whose entries the administrator reads; None: every unit's."""
    return None if is_installation_admin(the_user()) else the_user().unit_id


def _filters(form: AuditFilterForm) -> dict[str, Any] | None:
    """The search filters of a valid form; None when the user filter matches nobody the
    administrator may see."""
    filters: dict[str, Any] = {"unit_id": _unit_scope()}
    if form.user.data:
        email = normalise_email(form.user.data)
        query = select(User.id).where(User.email == email)
        if filters["unit_id"] is not None:
            query = query.where(User.unit_id == filters["unit_id"])
        user_id = get_session().exec(query).first()
        if user_id is None:
            form.user.errors.append(_("No user has this e-mail address."))
            return None
        filters["user_id"] = user_id
    since, until = day_bounds(form.date_from.data, form.date_to.data, the_user().unit.timezone)
    return filters | {
        "action": (form.action.data or "").strip(),
        "object_type": (form.object_type.data or "").strip(),
        "object_id": (form.object_id.data or "").strip(),
        "since": since,
        "until": until,
    }


# What the keys of an entry's details mean, in words (``mlat.services.audit.record``).
DETAIL_LABELS = {
    "active": N_("Active"),
    "asked": N_("Fields sent"),
    "code": N_("Code"),
    "copy": N_("Copy"),
    "description_only": N_("Description only"),
    "email": N_("E-mail address"),
    "entries": N_("Entries"),
    "filters": N_("Filters"),
    "format": N_("Format"),
    "from": N_("From"),
    "name": N_("Name"),
    "query": N_("Searched for"),
    "requests_shown": N_("Requests shown"),
    "roles": N_("Roles"),
    "sha256": N_("SHA-256"),
    "state": N_("State"),
    "timezone": N_("Time zone"),
    "to": N_("Until"),
    "unit": N_("Unit number"),
    "via": N_("Through"),
    "wizard_step": N_("Wizard page"),
}


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or _("none")
    if isinstance(value, dict):
        return "; ".join(f"{k}: {v}" for k, v in value.items()) or _("none")
    return str(value)


def described(details: dict[str, Any]) -> list[tuple[str, str]]:
    """An entry's details as (label, value) pairs a person reads, in a stable order."""
    return [
        (_(DETAIL_LABELS[key]) if key in DETAIL_LABELS else key.replace("_", " "), _value(value))
        for key, value in details.items()
    ]


def _names(entries: list[AuditEntry]) -> dict[int, str]:
    ids = {e.user_id for e in entries if e.user_id is not None}
    users = get_session().exec(select(User).where(col(User.id).in_(ids)))
    return {u.id: f"{u.name} <{u.email}>" for u in users if u.id is not None}


def _objects(entries: list[AuditEntry]) -> dict[tuple[str, str], str]:
    """The entries' requests and users by name: a request's reference, a user's name,
    rather than "request 6"."""
    request_ids = {int(e.object_id) for e in entries
                   if e.object_type == "request" and e.object_id.isdigit()}  # fmt: skip
    user_ids = {int(e.object_id) for e in entries
                if e.object_type == "user" and e.object_id.isdigit()}  # fmt: skip
    session = get_session()
    found: dict[tuple[str, str], str] = {}
    if request_ids:
        rows = session.exec(select(MlaRequest).where(col(MlaRequest.id).in_(request_ids)))
        found |= {("request", str(r.id)): _("Request %(ref)s", ref=r.reference) for r in rows}
    if user_ids:
        query = select(User).where(col(User.id).in_(user_ids))
        if (unit_id := _unit_scope()) is not None:  # another unit's people are not named
            query = query.where(User.unit_id == unit_id)
        found |= {("user", str(u.id)): _("User %(name)s", name=u.name) for u in session.exec(query)}
    return found


@bp.get("/audit")
def index() -> tuple[str, int] | str:
    form = AuditFilterForm(request.args)
    valid = form.validate()
    filters = _filters(form) if valid else None
    entries: list[AuditEntry] = []
    if filters is not None:
        entries = audit_svc.search(
            session=get_session(), **filters, limit=PAGE_SIZE + 1, before_seq=form.before_seq.data
        )
    page = render_template(
        "admin/audit.html",
        form=form,
        entries=entries[:PAGE_SIZE],
        next_before=entries[PAGE_SIZE - 1].seq if len(entries) > PAGE_SIZE else None,
        names=_names(entries[:PAGE_SIZE]),
        objects=_objects(entries[:PAGE_SIZE]),
        details={e.seq: described(e.details) for e in entries[:PAGE_SIZE]},
        query_args=form.query_args(),
        # The chain's head tells how much the whole installation did: not a unit's to read.
        head=audit_svc.head(session=get_session()) if _unit_scope() is None else None,
    )
    return (page, 400) if filters is None and form.errors else page


@bp.get("/audit.csv")
def export() -> Response | tuple[str, int] | str:
    form = AuditFilterForm(request.args)
    filters = _filters(form) if form.validate() else None
    if filters is None:
        return index()
    entries = audit_svc.search(session=get_session(), **filters, limit=EXPORT_LIMIT)
    filters = {k: str(v) for k, v in sorted(form.query_args().items())}
    audit(
        AuditAction.audit_export,
        object_type="audit",
        details={"entries": len(entries), "filters": filters},
    )
    commit()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return Response(
        audit_svc.to_csv(entries),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="audit-{stamp}.csv"'},
    )
