"""Fuzzing the forms that make or rename a request: the JSON import (random bytes, random
JSON and the example request with parts replaced) and the new and edit forms, and NUL
characters refused before they reach the database."""

from __future__ import annotations

import copy
import io
import json
import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session, col, select

from mlat.models import MlaRequest, RequestStatus, User
from tests.conftest import Client, MakeRequest, check_page, form_errors, texts
from tests.fuzz.form_fields import (
    CSRF,
    count,
    current,
    fields_for,
    no_error,
    page_form,
    post,
    saved,
    token_of,
    with_defaults,
)
from tests.fuzz.strategies import DATES, FILENAMES, UPLOAD_TEXT, fuzz, json_values
from tests.wizard_helpers import example, example_content


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, inner in value.items():
            found += _paths(inner, (*prefix, key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found += _paths(inner, (*prefix, index))
    return found


EXAMPLE_PATHS = [p for p in _paths(example()) if p]


def _like(value: Any) -> st.SearchStrategy[Any]:
    """A random value of the same JSON type (a date for a date), or any JSON at all."""
    if isinstance(value, bool):
        same: st.SearchStrategy[Any] = st.booleans()
    elif isinstance(value, int | float):
        same = st.one_of(st.integers(), st.floats(allow_nan=False))
    elif isinstance(value, str):
        same = DATES if re.match(r"\d{4}-\d\d-\d\d", value) else UPLOAD_TEXT
    else:
        same = json_values(UPLOAD_TEXT)
    return st.one_of(same, same, same, json_values(UPLOAD_TEXT))


def _mutated(data: st.DataObject) -> bytes:
    """The example request with some of its parts replaced."""
    document = copy.deepcopy(example())
    for path in data.draw(st.lists(st.sampled_from(EXAMPLE_PATHS), max_size=4)):
        target = document
        try:
            for key in path[:-1]:
                target = target[key]
            target[path[-1]] = data.draw(_like(target[path[-1]]))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier replacement took this part away
    return json.dumps(document, allow_nan=True).encode()


@fuzz(50)
@given(data=st.data())
def test_json_import(client: Client, db: Session, officer: User, data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["bytes", "json", "mutated", "mutated", "mutated"]))
    if kind == "bytes":
        body = data.draw(st.one_of(st.binary(max_size=500), st.just(b"[" * 5000)))
    elif kind == "json":
        body = json.dumps(data.draw(json_values(UPLOAD_TEXT)), allow_nan=True).encode()
    else:
        body = _mutated(data)
    pairs = fields_for(data, [("title", "")], UPLOAD_TEXT)
    if data.draw(st.integers(0, 9)):
        pairs.append(("file", (io.BytesIO(body), data.draw(FILENAMES))))
    before = count(db, MlaRequest)
    response = post(client, "/requests/import", pairs, data.draw(CSRF), token_of(client))
    no_error(response, kind)
    if saved(response):
        assert count(db, MlaRequest) == before + 1
        newest = db.exec(select(MlaRequest).order_by(col(MlaRequest.id).desc())).first()
        assert newest is not None
        assert (newest.unit_id, newest.status) == (officer.unit_id, RequestStatus.draft)
        for page in ("", "/wizard", "/wizard/check", "/wizard/persons", "/wizard/safeguards"):
            no_error(client.get(f"/requests/{newest.id}{page}"), "then GET")
    else:
        assert count(db, MlaRequest) == before


@fuzz(40)
@given(data=st.data())
def test_new_and_edit_request(
    client: Client, db: Session, draft: MlaRequest, data: st.DataObject
) -> None:
    url = data.draw(st.sampled_from(["/requests/new", f"/requests/{draft.id}/edit"]))
    form = with_defaults(page_form(client, url), [("title", "Fraud"), ("requested_state", "US")])
    pairs = fields_for(data, form)
    before, requests = current(db, draft), count(db, MlaRequest)
    response = post(client, url, pairs, data.draw(CSRF), token_of(client, url))
    no_error(response, url)
    if not saved(response):
        after = current(db, draft)
        assert (after.version, after.title) == (before.version, before.title)
        assert count(db, MlaRequest) == requests


# ------------------------------------------------------------------ found before


def test_nul_characters_are_refused_before_they_reach_the_database(
    client: Client, db: Session, someone: User, make_request: MakeRequest
) -> None:
    """PostgreSQL cannot store U+0000 in text; it once made log-in, search and import fail."""
    login = {"email": "a\x00b@example.org", "password": "x\x00y"}
    assert client.submit("/login", login).status_code == 400
    assert client.login(someone.email).status_code == 302
    assert client.get("/search", query_string={"q": "ab\x00c"}).status_code == 400
    draft = make_request(someone, content=example_content())
    facts = [*page_form(client, f"/requests/{draft.id}/wizard/facts")]
    facts = [(k, "x\x00y" if k == "facts" else v) for k, v in facts]
    saved_facts = post(client, f"/requests/{draft.id}/wizard/facts", facts, "page",
                       token_of(client))  # fmt: skip
    assert saved_facts.status_code == 400
    document = example()
    document["persons"][0]["name"] = "\x00"
    before = count(db, MlaRequest)
    body = json.dumps(document).encode()
    imported = client.submit("/requests/import", {"file": (io.BytesIO(body), "a.json")})
    assert imported.status_code == 400
    page = check_page(imported)
    problems = form_errors(page) + texts(page, ".import-problems li")
    assert any("NUL character" in problem for problem in problems), problems
    assert count(db, MlaRequest) == before
