"""Shared by the tests of the workflow's pages: the messages and buttons they look for,
and reading back a page's hidden fields and a request's history."""

from __future__ import annotations

import html
import re

from markupsafe import escape
from sqlmodel import Session, select

from mlat.models import MlaRequest, RequestEvent, RequestStatus

S = RequestStatus
APPROVE_BUTTON = re.compile(r'formaction="/requests/\d+/do/approve"')
FOUR_EYES = "You drafted or changed this request, so someone else must approve it."
CHANGED = "The request was changed (perhaps by an earlier click, or by someone else)"


def escaped(text: str) -> str:
    """The text as the page shows it (HTML-escaped, as Jinja does)."""
    return str(escape(text))


def hidden(page: str, name: str) -> str:
    """The value of a hidden field, as the browser would send it back."""
    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page)
    if match is None:
        match = re.search(rf'value="([^"]*)"[^>]*name="{name}"', page)
    assert match, f"no {name} field"
    return html.unescape(match.group(1))


def reload(db: Session, request: MlaRequest) -> MlaRequest:
    db.expire_all()
    found: MlaRequest = db.get_one(MlaRequest, request.id)
    return found


def history(db: Session, request: MlaRequest) -> list[str]:
    db.expire_all()
    rows = db.exec(select(RequestEvent.action).where(RequestEvent.request_id == request.id))
    return list(rows)


def review_form(page: str) -> dict[str, str]:
    return {name: hidden(page, name) for name in ("version", "seen_digest")}
