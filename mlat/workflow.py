"""The request workflow as one table: which action leads from which states to which,
who may take it, and what it asks for. ``mlat.services.workflow.transition`` is the only
code that changes a request's state, and it allows nothing that is not in this table."""

from __future__ import annotations

from dataclasses import dataclass

from mlat.models import RequestStatus as S
from mlat.models import Role
from mlat.models import WorkflowAction as A
from mlat.services import N_

UNIT_STAFF = frozenset({Role.officer, Role.reviewer, Role.prosecutor})
AFTER_TRANSMISSION = frozenset({S.transmitted, S.acknowledged, S.partially_executed})


@dataclass(frozen=True)
class Transition:
    action: A
    sources: frozenset[S]
    target: S
    roles: frozenset[Role]
    label: str
    needs: frozenset[str] = frozenset()
    """What the action asks for: ``comment`` (a reason or comments), ``transmission``
    (date, channel and foreign reference), ``date`` (when it happened)."""


TRANSITIONS: tuple[Transition, ...] = (
    Transition(
        A.submit, frozenset({S.draft, S.returned}), S.in_review, frozenset({Role.officer}),
        N_("Submit for review"),
    ),
    Transition(
        A.approve, frozenset({S.in_review}), S.approved, frozenset({Role.reviewer}),
        N_("Approve"),
    ),
    Transition(
        A.return_, frozenset({S.in_review}), S.returned, frozenset({Role.reviewer}),
        N_("Return to the officer"), frozenset({"comment"}),
    ),
    Transition(
        A.sign, frozenset({S.approved}), S.signed, frozenset({Role.prosecutor}),
        N_("Sign"),
    ),
    Transition(
        A.transmit, frozenset({S.signed}), S.transmitted,
        frozenset({Role.officer, Role.prosecutor}),
        N_("Record transmission"), frozenset({"transmission"}),
    ),
    Transition(
        A.acknowledge, frozenset({S.transmitted}), S.acknowledged, UNIT_STAFF,
        N_("Record acknowledgement"), frozenset({"date"}),
    ),
    Transition(
        A.execute_partly, AFTER_TRANSMISSION, S.partially_executed, UNIT_STAFF,
        N_("Record partial execution"), frozenset({"date"}),
    ),
    Transition(
        A.execute, AFTER_TRANSMISSION, S.executed, UNIT_STAFF,
        N_("Record execution"), frozenset({"date"}),
    ),
    Transition(
        A.refuse, AFTER_TRANSMISSION, S.refused, UNIT_STAFF,
        N_("Record refusal"), frozenset({"comment", "date"}),
    ),
    Transition(
        A.withdraw,
        frozenset({S.draft, S.returned, S.in_review, S.approved, S.signed, *AFTER_TRANSMISSION}),
        S.withdrawn, frozenset({Role.officer}),
        N_("Withdraw"), frozenset({"comment"}),
    ),
    Transition(
        A.close, frozenset({S.executed, S.refused, S.withdrawn}), S.closed, UNIT_STAFF,
        N_("Close"),
    ),
)  # fmt: skip

BY_ACTION: dict[str, Transition] = {t.action: t for t in TRANSITIONS}

# Content can change only before signing; a change after approval sends the request
# back to review (``mlat.services.requests.save_content``).
EDITABLE = frozenset({S.draft, S.returned, S.in_review, S.approved})


def available(status: S | str) -> list[Transition]:
    """The actions the table allows from a state, whoever asks."""
    return [t for t in TRANSITIONS if S(status) in t.sources]
