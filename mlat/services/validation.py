"""Validating a stored request against the rule tables."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError

from mlat.messages import N_
from mlat.models import MlaRequest, Unit
from mlat.request_format import RequestDocument
from mlat.rules.engine import validate
from mlat.rules.findings import Finding
from mlat.rules.loader import rulebook
from mlat.services import ServiceError


def request_document(
    *,
    request: MlaRequest,
    unit: Unit,
    content: dict[str, Any] | None = None,
    requested_state: str | None = None,
) -> RequestDocument:
    """The request's content in the request format, with what the database already knows
    (reference, states) filled in. ``content`` and ``requested_state`` stand for an edit
    not saved yet, checked as it would be saved."""
    state = request.requested_state if requested_state is None else requested_state
    document = {
        **(request.content if content is None else content),
        "reference": request.reference,
        "requesting_state": unit.state,
        "requested_state": state.upper() or None,
    }
    try:
        return RequestDocument.model_validate(document)
    except (ValidationError, ValueError) as exc:
        raise ServiceError(N_("The stored request content is not in the request format.")) from exc


def validate_request(*, request: MlaRequest, unit: Unit, today: dt.date) -> list[Finding]:
    return validate(request_document(request=request, unit=unit), rulebook(), today)
