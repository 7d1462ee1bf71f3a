"""Validating a stored request against the rule tables."""

from __future__ import annotations

import datetime as dt

from pydantic import ValidationError

from mlat.messages import N_
from mlat.models import MlaRequest, Unit
from mlat.request_format import RequestDocument
from mlat.rules.engine import validate
from mlat.rules.findings import Finding
from mlat.rules.loader import rulebook
from mlat.services import ServiceError


def request_document(*, request: MlaRequest, unit: Unit) -> RequestDocument:
    """The request's content in the request format, with what the database already knows
    (reference, states) filled in."""
    content = {
        **request.content,
        "reference": request.reference,
        "requesting_state": unit.state,
        "requested_state": request.requested_state,
    }
    try:
        return RequestDocument.model_validate(content)
    except ValidationError as exc:
        raise ServiceError(N_("The stored request content is not in the request format.")) from exc


def validate_request(*, request: MlaRequest, unit: Unit, today: dt.date) -> list[Finding]:
    return validate(request_document(request=request, unit=unit), rulebook(), today)
