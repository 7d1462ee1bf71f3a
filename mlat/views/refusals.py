"""403 and 404 answers to logged-in users, in the audit trail, without a flood of them
slowing the chain.

Someone probing for other units' requests, users or files gets 404s and 403s; each is
recorded as ``access.refused`` with the user, the object the address named (request,
user, unit, annex …), the status and the path. To keep a flood from filling the chain
(every entry takes the chain's head lock), the first ``LOGGED_PER_WINDOW`` refusals of a
user in each ``WINDOW`` are written in full; later ones in that window are only counted
(a shared counter, as for the login throttle), and the first entry of the user's next
window says how many were left out (``left_out`` in its details). Refusals already
recorded where they happen (packet and file downloads) are not written twice.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from flask import g, request
from flask_login import current_user

from mlat.audit_actions import AuditAction, Outcome
from mlat.auth import audit
from mlat.db import get_session
from mlat.models import utcnow
from mlat.services import throttle
from mlat.views.attempts import counter_store
from mlat.views.transaction import commit

LOGGED_PER_WINDOW = 10
WINDOW = dt.timedelta(minutes=10)

# The address's parameter that names the object refused, and the object's type.
OBJECTS = (("request_id", "request"), ("annex_id", "annex"), ("user_id", "user"),
           ("unit_id", "unit"), ("report_id", "rule_report"))  # fmt: skip


def already_recorded() -> None:
    """The refusal about to be answered is audited where it happened."""
    g.refusal_recorded = True


@dataclass
class _Tally:
    """One step of a user's refusal count: whether this one is written, and how many of
    the window before were left out."""

    now: dt.datetime
    write: bool = False
    left_out: int = 0

    def __call__(self, state: throttle.State | None) -> throttle.State:
        if state is None or self.now - _aware(state.last_at) >= WINDOW:
            self.write = True
            self.left_out = max(state.failures - LOGGED_PER_WINDOW, 0) if state else 0
            return throttle.State(1, self.now, self.now)
        count = state.failures + 1
        self.write, self.left_out = count <= LOGGED_PER_WINDOW, 0
        return throttle.State(count, state.last_at, state.wait_until)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def record(status: int) -> None:
    """Audit a 403 or 404 answered to a logged-in user, within the window's allowance."""
    if status not in (403, 404) or g.get("refusal_recorded") or not current_user.is_authenticated:
        return
    db = get_session()
    db.rollback()  # nothing the refused view began is kept
    tally = _Tally(utcnow())
    applied, _result = counter_store().change(f"refusals:user:{current_user.id}", tally)
    if applied and not tally.write:
        commit()
        return
    args = request.view_args or {}
    object_type, object_id = next(
        ((kind, args[name]) for name, kind in OBJECTS if name in args), ("page", "")
    )
    details: dict[str, object] = {"status": status, "method": request.method,
                                  "path": request.path[:200]}  # fmt: skip
    if tally.left_out:
        details["left_out"] = tally.left_out
    audit(AuditAction.access_refused, object_type=object_type, object_id=object_id,
          outcome=Outcome.denied, details=details)  # fmt: skip
    commit()
