"""Fuzzing the workflow's actions on a request in any state, marking notifications read,
and the GET forms: the request list's filters and cursor, the audit log, search and
the route advisor."""

from __future__ import annotations

import base64
import datetime as dt
import json
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session
from werkzeug.datastructures import MultiDict

from mlat.models import MlaRequest, RequestStatus, Role, User
from mlat.workflow import BY_ACTION
from tests.conftest import Client, MakeRequest, MakeUser
from tests.fuzz.form_fields import CSRF, current, fields_for, no_error, page_form, post, token_of
from tests.fuzz.strategies import DATES, TEXT, fuzz, json_values
from tests.wizard_helpers import example_content

# ------------------------------------------------------------------ workflow


@pytest.fixture
def staff(client: Client, make_user: MakeUser) -> User:
    """One user who may take every action (not the drafter, so approval is possible)."""
    user = make_user(Role.officer, Role.reviewer, Role.prosecutor)
    assert client.login(user.email).status_code == 302
    return user


@pytest.fixture
def colleagues_request(make_user: MakeUser, make_request: MakeRequest) -> MlaRequest:
    return make_request(make_user(Role.officer), content=example_content())


@fuzz(40)
@given(data=st.data())
def test_transitions_and_review(
    client: Client, db: Session, staff: User, colleagues_request: MlaRequest, data: st.DataObject
) -> None:
    """Every action (and made-up ones) on a request put in a random state first."""
    request = current(db, colleagues_request)
    request.status = data.draw(st.sampled_from(list(RequestStatus)))
    db.add(request)
    db.commit()
    before = current(db, request)
    action = data.draw(st.sampled_from([*BY_ACTION, "?"]))
    if action == "?":
        action = data.draw(st.text(min_size=1))
    url = f"/requests/{request.id}/do/{quote(action, safe='')}"
    form = [
        ("version", str(before.version)),
        ("seen_digest", before.content_digest),
        ("comment", "Checked with the central authority."),
        ("note-facts", "Say when the account was opened."),
        ("on", dt.date.today().isoformat()),
        ("channel", "central_authority"),
        ("foreign_reference", "DOJ-OIA-2026-114"),
    ]
    response = post(client, url, fields_for(data, form), data.draw(CSRF), token_of(client))
    no_error(response, f"{before.status}:{action if action in BY_ACTION else '?'}")
    after = current(db, request)
    if response.status_code >= 400:
        assert (after.version, after.status) == (before.version, before.status)
    for page in ("", "/review", "/packet.pdf"):
        shown = client.get(f"/requests/{request.id}{page}")
        shown.close()
        no_error(shown, "then GET")


@fuzz(20)
@given(ids=st.lists(st.one_of(TEXT, st.integers().map(str)), max_size=5), csrf=CSRF)
def test_notifications_read(client: Client, officer: User, ids: list[str], csrf: str) -> None:
    response = post(client, "/notifications/read", [("id", i) for i in ids], csrf,
                    token_of(client))  # fmt: skip
    no_error(response)


# ------------------------------------------------------------------ GET forms


CURSORS = st.one_of(
    TEXT,
    st.tuples(
        st.sampled_from(["updated", "created", "reference", "state", "id", ""]),
        json_values(),
        st.one_of(DATES, TEXT),
        st.one_of(st.integers(), st.integers(min_value=2**63), json_values()),
        json_values(),
    ).map(list),
    st.lists(json_values(), max_size=6),
    st.just("[" * 3000),
).map(
    lambda v: (
        v
        if isinstance(v, str) and not v.startswith("[")
        else base64.urlsafe_b64encode(
            (v if isinstance(v, str) else json.dumps(v, allow_nan=True)).encode()
        )
        .decode()
        .rstrip("=")
    )
)
SEARCHES = {
    "/": "/",
    "/admin/audit": "/admin/audit",
    "/admin/audit.csv": "/admin/audit",
    "/search": "/search",
    "/rules/routes": "/rules/routes",
}


@fuzz(60)
@given(data=st.data())
def test_filters_search_and_route_advisor(client: Client, admin: User, data: st.DataObject) -> None:
    """The request list's filters and page cursor, the audit log's filters and export,
    search and the route advisor, all as GET parameters."""
    url = data.draw(st.sampled_from(sorted(SEARCHES)))
    form = page_form(client, SEARCHES[url], SEARCHES[url])
    pairs = fields_for(data, [*form, ("before_seq", "1")] if "audit" in url else form)
    if data.draw(st.booleans()):
        pairs.append(("cursor", data.draw(CURSORS)))
    response = client.get(url, query_string=MultiDict(pairs))
    response.close()
    no_error(response, url)
    assert response.status_code in (200, 400)


# ------------------------------------------------------------------ found before


def _nameless_part(token: str) -> bytes:
    return (
        b"--B\r\nContent-Disposition: form-data\r\n\r\nno name\r\n"
        b'--B\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
        + token.encode()
        + b"\r\n--B--\r\n"
    )


def test_inputs_that_once_answered_500(client: Client, admin: User) -> None:
    """Each of these once made the server fail; they are kept as plain examples."""
    token = token_of(client)
    huge = str(2**63)
    deep = base64.urlsafe_b64encode(b"[" * 3000).decode()
    cursor = ["updated", True, "2026-01-01T00:00:00+00:00", 2**64, False]
    big_id = base64.urlsafe_b64encode(json.dumps(cursor).encode()).decode()
    gets = {
        f"/requests/{huge}": 404,
        f"/admin/users/{huge}": 404,
        f"/admin/audit?before_seq={huge}": 400,
        f"/?cursor={deep}": 200,
        f"/?cursor={big_id}": 200,
        "/?date_from=0001-01-01&date_to=9999-12-31": 200,
        "/admin/audit?date_from=0001-01-01&date_to=9999-12-31": 200,
        "/admin/audit.csv?date_to=9999-12-31": 200,
    }
    for url, expected in gets.items():
        assert client.get(url).status_code == expected, url
    read = post(client, "/notifications/read", [("id", huge), ("id", "\u00b2")], "page", token)
    assert read.status_code == 303
    reset = post(client, f"/admin/users/{huge}/reset-two-factor", [], "page", token)
    assert reset.status_code == 404
    nameless = client.post(
        "/logout", data=_nameless_part(token), content_type="multipart/form-data; boundary=B"
    )
    assert nameless.status_code == 400
