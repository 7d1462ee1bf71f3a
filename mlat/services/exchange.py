"""Moving requests in and out as JSON files in the request format
(``docs/request-format.md``): export a request, import a file as a new draft."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import Session

from mlat.audit_actions import AuditAction
from mlat.content import stored_content
from mlat.countries import is_state
from mlat.messages import N_
from mlat.models import MlaRequest, Unit, User
from mlat.services import InvalidContent, ServiceError, audit
from mlat.services.format_errors import problem
from mlat.services.requests import create_request, parse_content
from mlat.services.validation import request_document

MAX_IMPORT_BYTES = 2 * 1024 * 1024


def export_document(*, request: MlaRequest, unit: Unit) -> dict[str, Any]:
    """The request in the request format, with its reference and states filled in."""
    return request_document(request=request, unit=unit).model_dump(mode="json")


def export_json(*, request: MlaRequest, unit: Unit) -> bytes:
    document = export_document(request=request, unit=unit)
    return (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()


def read_document(data: bytes) -> dict[str, Any]:
    """The JSON object in an uploaded file, or InvalidContent saying what is wrong."""
    if len(data) > MAX_IMPORT_BYTES:
        raise InvalidContent(N_("The file is too large to be a request (over 2 MB)."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidContent(N_("The file is not UTF-8 text, so it cannot be a request.")) from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidContent(
            N_("The file is not valid JSON."),
            [
                problem(
                    N_("Line %(line)d, column %(column)d: %(reason)s"),
                    line=exc.lineno,
                    column=exc.colno,
                    reason=exc.msg,
                )
            ],
        ) from None
    except RecursionError:
        raise InvalidContent(N_("The file's JSON is nested too deeply to be a request.")) from None
    except ValueError:  # an integer of thousands of digits, which Python refuses to read
        raise InvalidContent(
            N_("The file holds a number far too long to be in a request.")
        ) from None
    if not isinstance(value, dict):
        raise InvalidContent(N_("The file holds JSON, but not a request (an object)."))
    if _holds_nul(value):
        raise InvalidContent(N_("The file holds a NUL character, which no request can contain."))
    return value


def _holds_nul(value: Any) -> bool:
    """Whether a NUL character is anywhere in the JSON value: PostgreSQL cannot store it.
    (A loop, not recursion: the value may be nested as deeply as the parser allowed.)"""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str) and "\x00" in item:
            return True
        if isinstance(item, dict):
            pending += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            pending += item
    return False


def import_request(
    *, session: Session, owner: User, data: bytes, title: str = "", client_addr: str = ""
) -> MlaRequest:
    """A new draft of the owner's unit from a JSON file in the request format.

    The reference is not taken over (the draft gets the unit's next one); the requested
    state comes from the file; the requesting state must be the unit's.
    """
    raw = read_document(data)
    document = parse_content(raw)
    if not document.requested_state:
        raise ServiceError(N_("The file does not say which state is asked (requested_state)."))
    if not is_state(document.requested_state):
        raise ServiceError(
            N_("%(state)s is not a known state (requested_state)."), state=document.requested_state
        )
    if document.requesting_state and document.requesting_state != owner.unit.state:
        raise ServiceError(
            N_("The file is a request of %(state)s, but your unit is in %(unit)s."),
            state=document.requesting_state,
            unit=owner.unit.state,
        )
    name = (title or "").strip() or _default_title(document.proceedings.case_number)
    created = create_request(
        session=session,
        owner=owner,
        title=name[:200],
        requested_state=document.requested_state,
        content=stored_content(document),
    )
    audit.record(
        session=session,
        action=AuditAction.request_import,
        user=owner,
        object_type="request",
        object_id=created.id,
        client_addr=client_addr,
    )
    return created


def _default_title(case_number: str) -> str:
    return f"Imported request {case_number}".strip() if case_number else "Imported request"
