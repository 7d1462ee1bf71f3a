"""Shared by the tests of the workflow, its pages, notifications and the audit trail: a
request that passes every check, and arranging a request's state or an earlier step."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlmodel import Session

from mlat.models import MlaRequest, RequestStatus, User
from mlat.services.workflow import Inputs, transition
from tests.wizard_helpers import EXAMPLE


def today() -> dt.date:
    return dt.date.today()


def submittable_content(today: dt.date) -> dict[str, Any]:
    """The documented example request, with its preservation dates moved so that it passes
    every check on ``today``, and resting on reciprocity: its fraud, punishable by three
    years, is not serious crime under UNTOC, on which the example relies."""
    content: dict[str, Any] = json.loads(EXAMPLE.read_text())
    content["legal_basis"] = "reciprocity"
    content["preservation"]["requested_on"] = (today - dt.timedelta(days=33)).isoformat()
    content["preservation"]["expires_on"] = (today + dt.timedelta(days=57)).isoformat()
    return content


def put_in_state(db: Session, request: MlaRequest, status: RequestStatus) -> MlaRequest:
    """Arrange: a request that has reached ``status`` (how it got there is not the point)."""
    request.status = status
    db.add(request)
    db.commit()
    db.refresh(request)
    return request


def step(db: Session, request: MlaRequest, actor: User, action: str, **inputs: Any) -> None:
    """Arrange: take a step through the service, as someone else did earlier."""
    db.refresh(request)
    transition(session=db, request=request, actor=actor, action=action,
               expected_version=request.version, inputs=Inputs(**inputs))  # fmt: skip
    db.commit()
