"""What a step asks for: the date and channel of a transmission, the reason for a refusal,
the comments of a return."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlmodel import Session

from mlat.models import MlaRequest, Role, User
from mlat.services import ServiceError
from mlat.services import workflow as workflow_svc
from tests.conftest import MakeUser
from tests.workflow.steps import TODAY, S, events, take
from tests.workflow_helpers import put_in_state

# What a step asks for ----------------------------------------------------------------------


@pytest.fixture
def signed(db: Session, ready: MlaRequest) -> MlaRequest:
    return put_in_state(db, ready, S.signed)


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"channel": "central_authority"}, "Give the date"),
        ({"on": TODAY}, "Choose the channel"),
        ({"on": TODAY, "channel": "carrier_pigeon"}, "Choose the channel"),
        (
            {"on": TODAY + dt.timedelta(days=2), "channel": "central_authority"},
            "The date cannot be in the future.",
        ),
    ],
    ids=["no-date", "no-channel", "unknown-channel", "future-date"],
)
def test_transmission_needs_a_date_and_a_channel(
    db: Session, signed: MlaRequest, officer: User, inputs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ServiceError, match=message):
        take(db, signed, officer, "transmit", **inputs)
    db.rollback()
    db.refresh(signed)
    assert (signed.status, signed.transmitted_on) == (S.signed, None)


def test_transmission_is_recorded_with_its_date_channel_and_reference(
    db: Session, signed: MlaRequest, officer: User
) -> None:
    take(
        db, signed, officer, "transmit",
        on=TODAY, channel="central_authority", foreign_reference="  CRM-182-77 ",
    )  # fmt: skip
    db.refresh(signed)
    assert signed.status == S.transmitted
    assert signed.transmitted_on == TODAY
    assert signed.transmission_channel == "central_authority"
    assert signed.foreign_reference == "CRM-182-77"


def test_a_request_cannot_be_sent_before_it_was_signed(
    db: Session, signed: MlaRequest, officer: User
) -> None:
    signed.signed_at = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    db.add(signed)
    db.commit()
    with pytest.raises(ServiceError, match="signed on 2026-11-20: it cannot have been sent"):
        take(db, signed, officer, "transmit", on=dt.date(2026, 11, 19), channel="diplomatic")
    db.rollback()
    db.refresh(signed)
    assert (signed.status, signed.transmitted_on) == (S.signed, None)
    take(db, signed, officer, "transmit", on=dt.date(2026, 11, 20), channel="diplomatic")
    db.refresh(signed)
    assert signed.status == S.transmitted


@pytest.mark.parametrize("action", ["acknowledge", "execute_partly", "execute"])
def test_what_follows_transmission_cannot_be_dated_before_it(
    db: Session, ready: MlaRequest, officer: User, action: str
) -> None:
    ready.transmitted_on = dt.date(2026, 11, 10)
    put_in_state(db, ready, S.transmitted)
    with pytest.raises(ServiceError, match="sent on 2026-11-10: give a date on or after it"):
        take(db, ready, officer, action, on=dt.date(2026, 11, 9))
    db.rollback()
    db.refresh(ready)
    assert ready.status == S.transmitted
    take(db, ready, officer, action, on=dt.date(2026, 11, 10))
    db.refresh(ready)
    assert ready.status != S.transmitted


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"on": TODAY}, "Give a reason or a comment"),
        ({"on": TODAY, "comment": "   "}, "Give a reason or a comment"),
        ({"comment": "Dual criminality not met"}, "Give the date"),
        ({"comment": "x" * 5001, "on": TODAY}, "limited to 5000 characters"),
    ],
    ids=["no-reason", "blank-reason", "no-date", "too-long"],
)
def test_refusal_needs_a_reason_and_a_date(
    db: Session, ready: MlaRequest, officer: User, inputs: dict[str, Any], message: str
) -> None:
    put_in_state(db, ready, S.transmitted)
    with pytest.raises(ServiceError, match=message):
        take(db, ready, officer, "refuse", **inputs)
    db.rollback()
    db.refresh(ready)
    assert ready.status == S.transmitted
    assert events(db, ready) == []


def test_return_needs_a_comment_and_keeps_the_comments_by_section(
    db: Session, ready: MlaRequest, officer: User, make_user: MakeUser
) -> None:
    reviewer = make_user(Role.reviewer)
    take(db, ready, officer, "submit")
    with pytest.raises(ServiceError, match="Give a reason or a comment"):
        take(db, ready, reviewer, "return")
    db.rollback()
    db.refresh(ready)

    take(
        db, ready, reviewer, "return",
        field_comments=[("facts", "Say when the account was opened."),
                        ("identifiers", "Add the IP address of the login.")],
    )  # fmt: skip
    assert ready.status == S.returned
    comments = workflow_svc.open_comments(session=db, request=ready)
    assert [(c.field, c.body) for c in comments] == [
        ("facts", "Say when the account was opened."),
        ("identifiers", "Add the IP address of the login."),
    ]
