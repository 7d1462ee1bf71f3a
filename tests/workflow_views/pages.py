"""Shared by the tests of the workflow's pages: the messages and buttons they look for,
and reading back a page's hidden fields and a request's history."""

from __future__ import annotations

import html
import re

from bs4 import BeautifulSoup, Tag
from sqlmodel import Session, select
from werkzeug.test import TestResponse

from mlat.models import MlaRequest, RequestEvent, RequestStatus
from tests.conftest import check_page, flashes, form_errors, summary, text_of, texts

S = RequestStatus
FOUR_EYES = "You drafted or changed this request, so someone else must approve it."
CHANGED = "The request was changed (perhaps by an earlier click, or by someone else)"


def read(response: TestResponse, status: int = 200) -> BeautifulSoup:
    """The page of a response with this status, checked and parsed."""
    assert response.status_code == status, (response.status_code, response.text[:2000])
    return check_page(response)


def messages(page: BeautifulSoup) -> list[str]:
    """What the page tells the user went right or wrong: flash messages and form errors."""
    return flashes(page) + form_errors(page)


def says(page: BeautifulSoup, message: str) -> bool:
    """Whether one of the page's messages starts with this one."""
    return any(shown.startswith(message) for shown in messages(page))


def approve_button(page: BeautifulSoup) -> Tag | None:
    return page.select_one('button[formaction$="/do/approve"]')


def buttons(page: BeautifulSoup) -> list[str]:
    """The labels of the page's buttons in its main part."""
    return texts(page, "main button")


def status_of(page: BeautifulSoup) -> str:
    """The status the request page shows in its summary."""
    return summary(page)["Status"]


def history_entries(page: BeautifulSoup) -> list[str]:
    return texts(page, "ol.history > li")


def notifications(page: BeautifulSoup) -> list[str]:
    """The notifications listed, or what the page says when there are none."""
    return texts(page, "ul.notifications > li > a") or [text_of(page.select_one("main > p"))]


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
