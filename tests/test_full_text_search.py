# ruff: noqa: RUF003 (Arabic letters are meant)
"""Full-text search finds what officers remember, on SQLite (FTS5) and PostgreSQL
(tsvector, pg_trgm): a fragment of a name, a word of the facts, part of a domain or a
wallet, a provider, a case number, an offence, a phone number in another format, Arabic
without its diacritics, and review comments; ranked, with snippets as written, combined
with the list's filters, and never another unit's request."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlmodel import Session

from mlat.models import MlaRequest, RequestStatus, Role, User
from mlat.search_text import fold, parse, snippet, unit_token
from mlat.services.listing import ListFilters
from mlat.services.search import search
from mlat.services.search_index import reindex
from tests.conftest import LoginAs, MakeRequest, MakeUnit, MakeUser, PageClient, texts
from tests.workflow_helpers import step

BEC: dict[str, Any] = {
    "facts": (
        "A business e-mail compromise: the accountant of Al Waha Trading received wire "
        "transfer instructions from finance.alwaha@mailhost.example and paid QAR 1,240,000 "
        "to Shenzhen Huacheng Trading Co. on 2026-03-09. The funds were converted to bitcoin."
    ),
    "nexus": "The account holder of the mailbox is the suspect.",
    "proceedings": {"case_number": "CYB/2026/0412"},
    "offences": [{"name": "Wire fraud", "citation": "18 U.S.C. § 1343"}],
    "persons": [
        {"role": "suspect", "name": "Hamad Saleh Al-Marri"},
        {"role": "witness", "name": "José Álvarez"},
        {"role": "victim", "name": "أحمد بن عليّ الكُوَارِي"},
        {"role": "witness", "name": "فاطمة الزهراء"},
    ],
    "identifiers": [
        {"kind": "email", "value": "finance.alwaha@mailhost.example", "provider": "Mailhost Inc."},
        {"kind": "phone", "value": "+974 4443 0000"},
        {"kind": "crypto_wallet", "value": "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"},
        {"kind": "ip", "value": "198.51.100.23"},
    ],
}


@pytest.fixture
def officer(make_user: MakeUser) -> User:
    return make_user(Role.officer)


@pytest.fixture
def bec(officer: User, make_request: MakeRequest) -> MlaRequest:
    return make_request(officer, "Business e-mail compromise of a Doha importer", "US",
                        content=BEC)  # fmt: skip


def found_ids(db: Session, user: User, query: str, **filters: Any) -> list[int]:
    result = search(session=db, user=user, query=query, filters=ListFilters(**filters))
    return [hit.request.id for hit in result.hits]


@pytest.mark.parametrize(
    "query",
    [
        "Marri",  # a fragment of a name: the part after the hyphen
        "hamad al-marri",
        "huacheng",  # a word of the facts
        "wire fraud",  # an offence, and words of the facts
        "business e-mail",  # a hyphenated word, in a row
        '"wire transfer"',  # a phrase in quotes
        "mailhost",  # part of a domain
        "Mailhost Inc",  # a provider
        "4443 0000",  # a phone number as officers write it
        "+974-4443-0000",  # the same, other punctuation
        "97444430000",
        "bc1qxy2kg",  # the start of a wallet
        "kgdygjrsq",  # the middle of a wallet
        "cyb/2026/04",  # a case number, begun
        "1343",  # the offence's citation
        "2026-03-09",  # a date written in the facts
        "198.51.100.23",
        "JOSE ALVAREZ",  # case and accents
        "احمد الكواري",  # Arabic without diacritics, أ as ا
        "علي",
        "فاطمه",  # ة written as ه
    ],
)
def test_search_finds_what_officers_remember(
    db: Session, bec: MlaRequest, officer: User, make_request: MakeRequest, query: str
) -> None:
    make_request(officer, "Sextortion of a minor", "FR", content={"facts": "Instagram threats."})
    assert found_ids(db, officer, query) == [bec.id], query


def test_the_reference_finds_its_request_first(
    db: Session, bec: MlaRequest, officer: User, make_request: MakeRequest
) -> None:
    other = make_request(officer, "Card fraud", "FR")
    assert found_ids(db, officer, bec.reference.lower()) == [bec.id]
    assert set(found_ids(db, officer, bec.reference[:8])) == {bec.id, other.id}


@pytest.mark.parametrize("query", ['"fraud wire"', "marrix", "huacheng sextortion", "ma"])
def test_every_word_must_match_and_phrases_keep_their_order(
    db: Session, bec: MlaRequest, officer: User, query: str
) -> None:
    assert found_ids(db, officer, query) == []


def test_names_show_as_written_with_the_match_marked(
    db: Session, bec: MlaRequest, officer: User
) -> None:
    [hit] = search(session=db, user=officer, query="marri").hits
    assert ("person", "Hamad Saleh <mark>Al-Marri</mark>") in hit.matched
    [hit] = search(session=db, user=officer, query="wire fraud").hits
    kinds = [kind for kind, _shown in hit.matched]
    assert kinds[:2] == ["offence", "facts"]
    assert "<mark>wire</mark>" in str(dict(hit.matched)["facts"])


def test_a_match_in_the_title_ranks_first(
    db: Session, officer: User, make_request: MakeRequest, bec: MlaRequest
) -> None:
    in_title = make_request(officer, "Ransomware attack on a Doha clinic", "GB",
                            content={"facts": "Files were encrypted."})  # fmt: skip
    facts = {"facts": "The group behind a ransomware strain wrote."}
    in_facts = make_request(officer, "Extortion by e-mail", "GB", content=facts)
    assert found_ids(db, officer, "ransomware") == [in_title.id, in_facts.id]


def test_search_keeps_up_with_edits_and_comments_in_the_same_transaction(
    db: Session, officer: User, make_request: MakeRequest
) -> None:
    request = make_request(officer, "Card fraud", "FR", content={"facts": "Skimming."})
    assert found_ids(db, officer, "skimming") == [request.id]
    step(db, request, officer, "withdraw", comment="Duplicate of the Interpol notice.")
    assert found_ids(db, officer, "interpol") == [request.id]


def test_search_never_returns_another_units_request(
    db: Session, bec: MlaRequest, make_user: MakeUser, make_unit: MakeUnit
) -> None:
    outsider = make_user(Role.officer, unit_=make_unit())
    for query in ("marri", "huacheng", "mailhost", "4443 0000", "kgdygjrsq", "CYB/2026"):
        assert found_ids(db, outsider, query) == [], query
    # The unit's own token in the index is not something a user's words can reach.
    token = unit_token(bec.unit_id)
    assert found_ids(db, outsider, token) == [] and found_ids(db, outsider, f'"{token}"') == []


def test_search_combines_with_the_lists_filters(
    db: Session, bec: MlaRequest, officer: User, make_request: MakeRequest
) -> None:
    other = make_request(officer, "Wire fraud through a French bank", "FR",
                         content={"facts": "A wire fraud."})  # fmt: skip
    assert set(found_ids(db, officer, "wire fraud")) == {bec.id, other.id}
    assert found_ids(db, officer, "wire fraud", requested_state="FR") == [other.id]
    assert found_ids(db, officer, "wire fraud", status=RequestStatus.withdrawn) == []
    assert found_ids(db, officer, "wire fraud", owner_id=officer.id, measure=None) != []
    tomorrow = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    assert found_ids(db, officer, "wire fraud", since=tomorrow) == []


def test_the_index_is_rebuilt_from_a_request_as_it_stands(
    db: Session, bec: MlaRequest, officer: User
) -> None:
    reindex(session=db, request=bec)
    reindex(session=db, request=bec)  # twice: one entry, not two
    db.commit()
    assert found_ids(db, officer, "huacheng") == [bec.id]


def test_folding_and_query_terms() -> None:
    assert fold("José ÁLVAREZ") == "jose alvarez"
    assert fold("أحمد بن عليّ الكُوَارِي") == "احمد بن علي الكواري"
    assert fold("فاطمة على") == "فاطمه علي"
    [term] = parse("al-marri")
    assert term.words == ("al", "marri") and term.prefix
    [exact] = parse('"wire fraud"')
    assert exact.words == ("wire", "fraud") and not exact.prefix
    assert [t.words for t in parse("+974 4443 0000")] == [("974",), ("4443",), ("0000",)]
    [phone] = parse("+974-4443-0000")
    assert phone.words == ("974", "4443", "0000") and phone.digits == "97444430000"


def test_a_snippet_shows_the_words_around_the_first_match_as_written() -> None:
    words = [f"w{i}" for i in range(40)]
    words[10], words[14], words[36] = "<Wire>", "wired", "wire"
    text = " ".join(words)
    shown = str(snippet(text, parse("wire")))
    # Eight words before the first match, 24 in all; matches after it marked, escaped.
    assert shown == (
        "… w2 w3 w4 w5 w6 w7 w8 w9 <mark>&lt;Wire&gt;</mark> w11 w12 w13 <mark>wired</mark> "
        + " ".join(f"w{i}" for i in range(15, 26))
        + " …"
    )
    assert snippet("Wire   fraud\nof QAR", parse('"wire fraud"')) == (
        "<mark>Wire</mark> <mark>fraud</mark> of QAR"
    )
    assert snippet("Call +974 4443-0000 today", parse("+974-4443-0000")) == (
        "Call <mark>+974</mark> <mark>4443-0000</mark> today"
    )
    assert snippet("nothing here", parse("wire")) is None
    assert snippet("a wirehouse", parse("house")) == "a <mark>wirehouse</mark>"  # a part
    assert snippet("a wirehouse", parse("wi")) is None  # two letters: a word of their own


def test_the_search_page_lists_ranked_results_with_snippets_and_filters(
    client_request: PageClient, login_as: LoginAs, make_request: MakeRequest
) -> None:
    officer = login_as(Role.officer)
    bec = make_request(officer, "Business e-mail compromise", "US", content=BEC)
    page = client_request.get("/search?q=marri")
    [hit] = page.select("ol.search-results > li")
    assert hit.h3 is not None and bec.reference in hit.h3.get_text()
    assert [m.get_text() for m in hit.select("mark")] == ["Al-Marri"]
    assert texts(page, ".snippets dt") == ["Person"]
    narrowed = client_request.get("/search?q=marri&state=FR")
    assert narrowed.select("ol.search-results > li") == []
    assert narrowed.select_one(".search-filters[open]") is not None
