"""Provenance: a rule is verified only against a primary source, at a stated place in it;
a party list the catalogue does not hold whole never makes a state "not a party"."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from mlat.rules.instruments import link
from mlat.rules.loader import RuleTableError, load_instruments
from mlat.rules.provenance import citation, status_of
from mlat.rules.report import catalogue_reliability
from mlat.rules.schema import InstrumentCatalogue, Party, Provenance, Source

TODAY = dt.date(2026, 12, 5)


def catalogue(**budapest: Any) -> InstrumentCatalogue:
    """A catalogue with one convention whose chart, a primary source, lists AL and GB."""
    parties = [
        {"state": "AL", "in_force": "2004-07-01", "locator": "row: Albania",
         "verified_on": "2026-12-05"},
        {"state": "GB", "in_force": "2011-09-01", "cite": "copy", "locator": "p. 2",
         "verified_on": "2026-12-05"},
        {"state": "IE", "signed": "2002-02-28", "signatory_only": True, "locator": "row: Ireland",
         "verified_on": "2026-12-05"},
    ]  # fmt: skip
    return InstrumentCatalogue.model_validate(
        {
            "sources": {
                "chart": {
                    "title": "Treaty Office chart",
                    "url": "https://www.coe.int/chart",
                    "kind": "primary",
                    "as_of": "2025-10-01",
                },
                "copy": {
                    "title": "A copy of a notification",
                    "url": "https://doczz.fr/x",
                    "kind": "secondary",
                },
            },
            "instruments": {
                "budapest": {
                    "name": "Convention on Cybercrime",
                    "kind": "multilateral",
                    "cite": "chart",
                    "parties": parties,
                    **budapest,
                }
            },
        }
    )


@pytest.mark.parametrize(
    ("verified_on", "kind", "status"),
    [
        (dt.date(2026, 12, 1), "primary", "verified"),
        (dt.date(2026, 12, 1), "secondary", "secondary"),
        (dt.date(2025, 11, 1), "primary", "stale"),
        (None, "primary", "unverified"),
        (None, "secondary", "unverified"),
    ],
)
def test_only_a_recent_reading_of_a_primary_source_verifies(
    verified_on: dt.date | None, kind: Any, status: str
) -> None:
    assert status_of(verified_on, kind, TODAY) == status


def test_a_citation_carries_the_place_and_the_words() -> None:
    sources = {"law": Source(title="Act 2000", url="https://sso.agc.gov.sg/x", kind="primary")}
    rule = Provenance(cite="law", locator="s. 16(2)", quote="a written undertaking",
                      verified_on=dt.date(2026, 12, 5))  # fmt: skip
    cited = citation(sources, "law", rule, TODAY, ref="SG:formalities")
    assert (cited.status, cited.source_kind, cited.locator, cited.quote) == (
        "verified", "primary", "s. 16(2)", "a written undertaking",
    )  # fmt: skip


def test_a_verified_rule_must_say_where_it_stands() -> None:
    with pytest.raises(ValidationError, match="locator"):
        Provenance(cite="law", verified_on=dt.date(2026, 12, 5))
    with pytest.raises(ValidationError, match="locator"):
        Party(state="AL", verified_on=dt.date(2026, 12, 5))
    assert Provenance(cite="law", entered_on=dt.date(2026, 11, 22)).verified_on is None


def test_a_quotation_has_at_most_thirty_words() -> None:
    Provenance(cite="law", quote=" ".join(["word"] * 30))
    with pytest.raises(ValidationError, match="30 words"):
        Provenance(cite="law", quote=" ".join(["word"] * 31))


def test_every_source_says_whether_it_is_primary() -> None:
    with pytest.raises(ValidationError, match="kind"):
        Source.model_validate({"title": "A page", "url": "https://example.org/"})


def test_a_state_missing_from_an_incomplete_list_is_a_gap_not_a_refusal() -> None:
    found = link(catalogue(), "budapest", "AL", "QA", TODAY)
    assert found is not None
    assert (found.linked, found.uncertain) == (False, True)
    assert "may be incomplete" in found.reason


def test_a_state_missing_from_a_complete_list_is_not_a_party() -> None:
    found = link(catalogue(parties_complete=True), "budapest", "AL", "QA", TODAY)
    assert found is not None
    assert (found.linked, found.uncertain) == (False, False)
    assert found.reason == "%(state)s is not a party to %(name)s."


def test_a_signatory_is_not_bound() -> None:
    found = link(catalogue(), "budapest", "AL", "IE", TODAY)
    assert found is not None
    assert not found.linked
    assert "signed only" in found.reason


def test_a_link_is_verified_only_when_both_parties_are() -> None:
    both_primary = link(catalogue(), "budapest", "AL", "AL", TODAY)
    via_copy = link(catalogue(), "budapest", "AL", "GB", TODAY)
    assert both_primary is not None and via_copy is not None
    assert both_primary.linked and both_primary.verified
    assert via_copy.linked and not via_copy.verified
    assert [c.status for c in via_copy.parties] == ["verified", "secondary"]


def test_the_report_counts_entries_and_names_the_weak_ones() -> None:
    report = catalogue_reliability(catalogue(), TODAY)
    # the instrument itself (no locator, unverified) and three parties
    assert report.statuses == {"unverified": 1, "verified": 2, "secondary": 1}
    assert report.weak_error_rules == ["budapest: the instrument; 1 of 3 parties (GB)"]


def test_a_date_of_application_read_in_a_copy_is_counted_and_named() -> None:
    applies = {"date": "2026-08-18", "cite": "copy", "locator": "Key dates",
               "verified_on": "2026-12-05"}  # fmt: skip
    report = catalogue_reliability(catalogue(applies_from=applies), TODAY)
    assert report.statuses == {"unverified": 1, "verified": 2, "secondary": 2}
    assert report.weak_error_rules == [
        "budapest: the instrument; the date it applies from; 1 of 3 parties (GB)"
    ]


def test_no_state_is_linked_before_the_instrument_applies() -> None:
    book = catalogue(applies_from={"date": "2026-08-18", "cite": "chart", "locator": "Art. 34"})
    before = link(book, "budapest", "AL", "AL", dt.date(2026, 8, 17))
    on_the_day = link(book, "budapest", "AL", "AL", dt.date(2026, 8, 18))
    assert before is not None and on_the_day is not None
    assert not before.linked and on_the_day.linked
    assert before.reason % before.reason_params == (
        "Convention on Cybercrime applies only from 2026-08-18."
    )


def test_a_date_of_application_cites_a_known_source() -> None:
    with pytest.raises(ValidationError, match="'nowhere' is not in"):
        catalogue(applies_from={"date": "2026-08-18", "cite": "nowhere"})


def test_files_of_the_catalogue_may_not_define_a_key_twice(tmp_path: Path) -> None:
    entry = '[sources.chart]\ntitle = "Chart"\nurl = "https://www.coe.int/"\nkind = "primary"\n'
    (tmp_path / "a.toml").write_text(entry)
    (tmp_path / "b.toml").write_text(entry)
    with pytest.raises(RuleTableError, match=r"sources\.chart is also in another file"):
        load_instruments(tmp_path)


def test_a_catalogue_file_with_an_unknown_table_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.toml").write_text('[parties.x]\nstate = "AL"\n')
    with pytest.raises(RuleTableError, match="unknown tables"):
        load_instruments(tmp_path)


def test_an_agreement_between_two_sides_does_not_link_two_states_of_one_side() -> None:
    eu_us = {
        "name": "EU-US Agreement",
        "kind": "regional",
        "cite": "chart",
        "parties_complete": True,
        "parties": [
            {"state": "FR", "in_force": "2010-02-01", "side": "EU"},
            {"state": "DE", "in_force": "2010-02-01", "side": "EU"},
            {"state": "US", "in_force": "2010-02-01", "side": "US"},
        ],
    }
    data = catalogue().model_dump(mode="json")
    data["instruments"]["eu-us"] = eu_us
    book = InstrumentCatalogue.model_validate(data)
    across = link(book, "eu-us", "FR", "US", TODAY)
    within = link(book, "eu-us", "FR", "DE", TODAY)
    assert across is not None and across.linked
    assert within is not None and not within.linked
    assert within.reason % within.reason_params == (
        "EU-US Agreement joins two sides; France and Germany are on the same side."
    )
