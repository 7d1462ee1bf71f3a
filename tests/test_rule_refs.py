"""A rule's address, carried by its citation, leads back to the rule and its source."""

from __future__ import annotations

import datetime as dt

import pytest

from mlat.request_format import MeasureKind, RequestDocument
from mlat.rules.engine import validate
from mlat.rules.instruments import link
from mlat.rules.loader import rulebook
from mlat.rules.refs import catalogue_ref, path_of, rule_at, state_ref

TODAY = dt.date(2026, 12, 5)


def test_every_rule_of_every_state_is_found_again_from_its_address() -> None:
    book = rulebook()
    for table in book.states.values():
        for path, rule in table.rules():
            found = rule_at(book, state_ref(table, path))
            assert found is not None, (table.state, path)
            assert (found.table, found.path) == (table.state, path)
            assert found.source == table.sources[rule.cite]
            assert found.verified_on == rule.verified_on
            assert path_of(table, rule) == path


def test_a_measure_rule_says_what_the_table_says() -> None:
    found = rule_at(rulebook(), "US:measures.stored_content")
    assert found is not None
    assert found.says["Threshold"] == "probable_cause"
    assert found.says["Possible"] is True


def test_an_instrument_and_a_partys_entry_are_found_with_their_own_source() -> None:
    book = rulebook()
    found = rule_at(book, catalogue_ref("budapest"))
    assert found is not None
    assert str(found.says["Name"]).startswith("Convention on Cybercrime")
    assert found.source == book.instruments.sources["coe-185-chart-2015"]
    party = rule_at(book, catalogue_ref("budapest", "FR"))
    assert party is not None
    assert party.source == book.instruments.sources["coe-185-chart-2015"]
    assert party.says["In force"] == "2006-05-01"
    assert party.verified_on == dt.date(2026, 12, 5)


@pytest.mark.parametrize(
    "ref",
    ["", "GB", "GB:", "gb:languages", "XX:languages", "GB:measures.teleportation",
     "GB:channels[99]", "catalogue:", "catalogue:nothing", "catalogue:budapest:parties:XX"],
)  # fmt: skip
def test_an_address_where_no_rule_is_finds_nothing(ref: str) -> None:
    assert rule_at(rulebook(), ref) is None


def test_findings_and_links_cite_the_address_of_their_rule() -> None:
    book = rulebook()
    document = RequestDocument.model_validate(
        {"requesting_state": "FR", "requested_state": "GB",
         "measures": [{"kind": MeasureKind.stored_content.value}]}
    )  # fmt: skip
    refs = {f.citation.ref for f in validate(document, book, TODAY) if f.citation}
    assert refs, "no finding cites a rule"
    assert all(rule_at(book, ref) is not None for ref in refs)
    budapest = link(book.instruments, "budapest", "FR", "GB", TODAY)
    assert budapest is not None and budapest.citation.ref == "catalogue:budapest"
