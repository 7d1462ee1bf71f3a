"""Search by reference, case number, person name and identifier; related requests."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup
from sqlmodel import Session, select

from mlat.models import AuditEntry, MlaRequest, Role
from mlat.services.search import identifier_candidates, related_requests, search
from tests.conftest import (
    Client,
    LoginAs,
    MakeRequest,
    MakeUnit,
    MakeUser,
    PageClient,
    form_errors,
    rows,
    texts,
)

CONTENT: dict[str, Any] = {
    "proceedings": {"case_number": "CYB/2026/0412"},
    "persons": [{"role": "suspect", "name": "Mariam  Al-Kuwari"}],
    "identifiers": [
        {"kind": "email", "value": "Finance.AlWaha@Mailhost.example"},
        {"kind": "ip", "value": "2001:DB8:0:0::23"},
        {"kind": "phone", "value": "+974 5555-0101"},
    ],
}


@pytest.fixture
def found(make_user: MakeUser, make_request: MakeRequest) -> MlaRequest:
    return make_request(make_user(Role.officer), content=CONTENT)


@pytest.mark.parametrize(
    ("query", "kind"),
    [
        ("CYB/2026/0412", "case_number"),
        ("cyb/2026/04", "case_number"),  # beginning, in another case
        ("mariam al-kuwari", "person"),  # exact, spaces and case normalised
        ("MARIAM AL", "person"),  # beginning of a name
        ("finance.alwaha@MAILHOST.example", "identifier"),
        ("2001:db8::23", "identifier"),  # the same IPv6 address, compressed
        ("+974 5555 0101", "identifier"),  # the same phone number, other punctuation
    ],
)
def test_search_finds_by_each_kind(
    db: Session, found: MlaRequest, make_user: MakeUser, query: str, kind: str
) -> None:
    user = make_user(Role.reviewer)
    result = search(session=db, user=user, query=query)
    assert [hit.request.id for hit in result.hits] == [found.id]
    assert kind in {k for k, _value in result.hits[0].matched}


def test_search_by_reference_exact_and_beginning(
    db: Session, found: MlaRequest, make_user: MakeUser
) -> None:
    user = make_user(Role.reviewer)
    exact = search(session=db, user=user, query=found.reference.lower())
    assert exact.hits[0].request.id == found.id
    assert ("reference", f"<mark>{found.reference}</mark>") in exact.hits[0].matched
    beginning = search(session=db, user=user, query=found.reference[:-2])
    assert found.id in [hit.request.id for hit in beginning.hits]


def test_search_never_shows_another_units_requests(
    db: Session, found: MlaRequest, make_user: MakeUser, make_unit: MakeUnit
) -> None:
    outsider = make_user(Role.officer, unit_=make_unit())
    for query in ("CYB/2026/0412", "mariam al", "finance.alwaha@mailhost.example", "DOH-"):
        assert search(session=db, user=outsider, query=query).hits == []


def test_unrelated_or_empty_queries_find_nothing(
    db: Session, found: MlaRequest, make_user: MakeUser
) -> None:
    user = make_user(Role.reviewer)
    assert search(session=db, user=user, query="   ").hits == []
    assert search(session=db, user=user, query="someone else").hits == []
    assert search(session=db, user=user, query="ma").hits == []  # too short for a beginning


def test_identifier_candidates_normalise_each_plausible_kind() -> None:
    assert identifier_candidates("2001:DB8::0023") >= {"2001:db8::23"}
    assert identifier_candidates("+974 (5555) 0101") >= {"+97455550101"}
    assert identifier_candidates("User@Example.ORG") == {"user@example.org"}


def test_related_requests_share_identifiers_within_the_unit(
    db: Session,
    make_user: MakeUser,
    make_unit: MakeUnit,
    make_request: MakeRequest,
) -> None:
    officer = make_user(Role.officer)
    original = make_request(officer, content=CONTENT)
    same_email = make_request(officer, content={"identifiers": [
        {"kind": "email", "value": "finance.alwaha@mailhost.example"},
        {"kind": "phone", "value": "+97455550101"},
    ]})  # fmt: skip
    unrelated = make_request(officer, content={"identifiers": [
        {"kind": "email", "value": "someone@else.example"}]})  # fmt: skip
    elsewhere = make_request(make_user(Role.officer, unit_=make_unit()), content=CONTENT)
    related = related_requests(session=db, request=original)
    assert [r.request.id for r in related] == [same_email.id]
    assert related[0].shared == ("+97455550101", "finance.alwaha@mailhost.example")
    ids = {r.request.id for r in related_requests(session=db, request=same_email)}
    assert ids == {original.id}
    assert unrelated.id not in ids and elsewhere.id not in ids
    assert related_requests(session=db, request=elsewhere) == []


def test_search_page_shows_what_matched(
    client_request: PageClient, login_as: LoginAs, make_request: MakeRequest
) -> None:
    request = make_request(login_as(Role.officer), content=CONTENT)
    page = client_request.get("/search?q=Finance.AlWaha%40mailhost.example")
    [hit] = page.select("ol.search-results > li")
    assert hit.h3 is not None and hit.h3.a is not None
    assert hit.h3.a.get_text() == request.reference
    # The identifier as it was written, the match marked.
    assert [m.get_text() for m in hit.select("dd mark")] == ["Finance.AlWaha@Mailhost.example"]
    assert texts(page, ".snippets dt") == ["Identifier"]
    nothing = client_request.get("/search?q=nobody")
    assert texts(nothing, "main > p") == ["No request of your unit matches."]
    too_long = client_request.get("/search?q=" + "x" * 501)
    assert any("at most 500 characters" in error for error in form_errors(too_long))


def test_each_search_is_audited_with_who_searched_for_what_and_what_it_showed(
    client: Client, login_as: LoginAs, make_request: MakeRequest,
    db: Session,
) -> None:  # fmt: skip
    officer = login_as(Role.officer)
    request = make_request(officer, content=CONTENT)
    client.get("/search?q=mariam++al-kuwari")
    client.get("/search?q=nobody")
    client.get("/search")  # the empty form: no search, nothing recorded
    entries = db.exec(
        select(AuditEntry).where(AuditEntry.action == "request.search").order_by("seq")
    ).all()
    assert [(e.user_id, e.details) for e in entries] == [
        (officer.id, {"query": "mariam al-kuwari", "requests_shown": [request.id]}),
        (officer.id, {"query": "nobody", "requests_shown": []}),
    ]


def test_related_partial_lists_the_shared_values(
    app: Any, db: Session, make_user: MakeUser, make_request: MakeRequest
) -> None:
    officer = make_user(Role.officer)
    original = make_request(officer, content=CONTENT)
    other = make_request(officer, title="Earlier request", content=CONTENT)
    related = related_requests(session=db, request=original)
    with app.test_request_context():
        from flask import render_template_string

        html = render_template_string('{% include "dashboard/_related.html" %}', related=related)
    [row] = rows(BeautifulSoup(html, "html.parser"), "section.related table")
    assert row[:2] == [other.reference, "Earlier request"]
    assert "finance.alwaha@mailhost.example" in row[3]
    assert "<code>finance.alwaha@mailhost.example</code>" in html
