"""How many 403 and 404 answers to one user the audit trail takes in full.

Every audit entry takes the chain's head lock, so a user probing thousands of ids must
not slow everyone's writes. The first ``LOGGED_PER_WINDOW`` refusals of a user in each
``WINDOW`` are written; later ones in that window are only counted, on a counter shared
by every instance (``mlat.services.throttle``'s stores), and the first entry of the
user's next window carries how many were left out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from mlat.dates import utc
from mlat.services.throttle import State, Store

LOGGED_PER_WINDOW = 10
WINDOW = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Decision:
    """Whether to write this refusal, and how many of the window before were left out."""

    write: bool
    left_out: int = 0


def _counted(state: State | None, now: dt.datetime) -> tuple[State, Decision]:
    if state is None or now - utc(state.last_at) >= WINDOW:
        left_out = max(state.failures - LOGGED_PER_WINDOW, 0) if state else 0
        return State(1, now, now), Decision(True, left_out)
    count = state.failures + 1
    return State(count, state.last_at, state.wait_until), Decision(count <= LOGGED_PER_WINDOW)


def count_refusal(*, store: Store, user_id: int, now: dt.datetime) -> Decision:
    """Count one refusal of the user; written in full when the counter cannot be
    changed (under contention), so that nothing is lost for it."""
    decided: list[Decision] = []

    def change(state: State | None) -> State:
        new, decision = _counted(state, now)
        decided[:] = [decision]
        return new

    applied, _new = store.change(f"refusals:user:{user_id}", change)
    return decided[0] if applied and decided else Decision(True)
