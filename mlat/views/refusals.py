"""403 and 404 answers to logged-in users, in the audit trail, without a flood of them
slowing the chain.

Someone probing for other units' requests, users or files gets 404s and 403s; each is
recorded as ``access.refused`` with the user, the object the address named (request,
user, unit, annex …), the status and the path, as many as ``mlat.services.refusals``
lets through so that a flood cannot fill the chain (``left_out`` in an entry's details
counts those left out before it). Refusals already recorded where they happen (packet
and file downloads, administrators' changes) are not written twice.
"""

from __future__ import annotations

from flask import g, request
from flask_login import current_user

from mlat.audit_actions import AuditAction, Outcome
from mlat.auth import audit
from mlat.db import get_session
from mlat.models import utcnow
from mlat.services.refusals import count_refusal
from mlat.views.attempts import counter_store
from mlat.views.transaction import commit

# The address's parameter that names the object refused, and the object's type.
OBJECTS = (("request_id", "request"), ("annex_id", "annex"), ("user_id", "user"),
           ("unit_id", "unit"), ("report_id", "rule_report"))  # fmt: skip


def already_recorded() -> None:
    """The refusal about to be answered is audited where it happened."""
    g.refusal_recorded = True


def record(status: int) -> None:
    """Audit a 403 or 404 answered to a logged-in user, within the window's allowance."""
    if status not in (403, 404) or g.get("refusal_recorded") or not current_user.is_authenticated:
        return
    db = get_session()
    db.rollback()  # nothing the refused view began is kept
    decision = count_refusal(store=counter_store(), user_id=current_user.id, now=utcnow())
    if not decision.write:
        commit()
        return
    args = request.view_args or {}
    object_type, object_id = next(
        ((kind, args[name]) for name, kind in OBJECTS if name in args), ("page", "")
    )
    details: dict[str, object] = {"status": status, "method": request.method,
                                  "path": request.path[:200]}  # fmt: skip
    if decision.left_out:
        details["left_out"] = decision.left_out
    audit(AuditAction.access_refused, object_type=object_type, object_id=object_id,
          outcome=Outcome.denied, details=details)  # fmt: skip
    commit()
