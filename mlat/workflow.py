"""The request workflow as one table: which action leads from which states to which,
who may take it, and what it asks for. Every change of a request's state is a step of
this table, taken by ``mlat.services.steps.take``: the actions users choose through
``mlat.services.workflow.transition``, and the one step a saved change takes by itself
(``edit_after_approval``) through ``mlat.services.requests.save_content``."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from mlat.messages import N_
from mlat.models import RequestStatus as S
from mlat.models import Role, User
from mlat.models import WorkflowAction as A

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
    (date, channel and foreign reference), ``date`` (when it happened), ``reauth`` (the
    user confirms what they sign, with their password and a fresh two-factor code)."""
    by_editing: bool = False
    """Taken by saving a change of content, never chosen as an action of its own."""

    @property
    def done(self) -> str:
        """What the page says once the action is taken."""
        return DONE[self.action]


# What the page says once an action is taken, in words rather than the action's label.
DONE: dict[A, str] = {
    A.submit: N_("Submitted for review. The reviewers have been told."),
    A.approve: N_("Approved. The prosecutors have been told it is ready to sign."),
    A.return_: N_("Returned to the officer with your comments."),
    A.sign: N_("Signed. The packet is being prepared."),
    A.transmit: N_("The transmission is recorded."),
    A.acknowledge: N_("The acknowledgement is recorded."),
    A.execute_partly: N_("The partial execution is recorded."),
    A.execute: N_("The execution is recorded."),
    A.refuse: N_("The refusal is recorded."),
    A.withdraw: N_("The request is withdrawn."),
    A.close: N_("The request is closed."),
    A.edit_after_approval: N_(
        "Saved. The approval is withdrawn: the request is back in review, and its reviewers "
        "have been told."
    ),
    A.edit_in_review: N_(
        "Saved. The request is in review: its reviewers have been told of the change."
    ),
}


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
        N_("Sign"), frozenset({"reauth"}),
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
    # The approval covered the content that was approved, not what it became.
    Transition(
        A.edit_after_approval, frozenset({S.approved}), S.in_review, frozenset({Role.officer}),
        N_("Change after approval"), by_editing=True,
    ),
    # Officers may correct a request while it is in review; the reviewers are told, and an
    # approval is only of the content the reviewer was shown.
    Transition(
        A.edit_in_review, frozenset({S.in_review}), S.in_review, frozenset({Role.officer}),
        N_("Change during review"), by_editing=True,
    ),
)  # fmt: skip

BY_ACTION: dict[str, Transition] = {t.action: t for t in TRANSITIONS}

# The reviewer's actions: taken on the review page, each keeping a snapshot of what the
# reviewer saw.
REVIEW_ACTIONS = (A.approve, A.return_)

# Content can change only before signing; a change after approval sends the request
# back to review (the ``edit_after_approval`` step).
EDITABLE = frozenset({S.draft, S.returned, S.in_review, S.approved})


def available(status: S | str) -> list[Transition]:
    """The actions the table allows from a state, whoever asks (not the step a saved
    change takes by itself)."""
    return [t for t in TRANSITIONS if S(status) in t.sources and not t.by_editing]


def submittable(status: S | str, *, errors: int) -> bool:
    """Whether a request can be submitted for review: the table allows it from its state,
    and the rule check found no errors."""
    return S(status) in BY_ACTION["submit"].sources and errors == 0


def may_review(status: S | str, user: User) -> bool:
    """Whether the user's roles let them approve or return a request in this state (the
    four-eyes rule aside, which the review page says)."""
    steps = [BY_ACTION[action] for action in REVIEW_ACTIONS]
    return any(S(status) in step.sources and user.has_role(*step.roles) for step in steps)


# Who may take a request's files (its packet, its annexes, its export): the unit's
# prosecutors and reviewers, and the officers who drafted or changed it.
DOWNLOADERS = (Role.prosecutor, Role.reviewer)


def may_download(user: User, drafters: Collection[int]) -> bool:
    """Whether the user may download a request's packet, annexes or export, given who
    drafted or changed the request (its owner among them); the unit is checked apart."""
    return user.has_role(*DOWNLOADERS) or user.id in drafters
