"""Every rule table parses, matches the schema and carries its provenance."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from zoneinfo import available_timezones

import pytest

from mlat.rules.loader import (
    INSTRUMENTS_DIR,
    STATES_DIR,
    RuleTableError,
    load_instruments,
    load_state_file,
    rulebook,
)
from mlat.rules.schema import StateTable

STATE_FILES = sorted(STATES_DIR.glob("*.toml"))
# The 15 first tables, the priority states of the 45-state coverage that could be sourced
# (Oman and Kuwait could not: no source read names their central authority), and three EU
# states sourced from their EJN fiches in their place.
REQUIRED_STATES = {
    *["US", "GB", "IE", "FR", "DE", "NL", "QA", "AE", "IN", "SG", "AU", "CA", "BR", "NG", "JP"],
    *["LU", "CH", "SE", "BE", "ES", "IT", "PL"],  # hosts of large providers
    *["RO", "UA", "CY", "MT", "LT", "KR", "HK", "IL", "TR"],  # cybercrime and crypto hubs
    # fraud hubs and large requesting states
    *["PH", "MY", "TH", "ZA", "GH", "KE", "ID", "MX", "CO", "AR"],
    *["SA", "BH", "EG", "JO", "MA"],  # the Gulf and the Arab region
    *["AT", "PT", "CZ"],
}
SLUGS = {
    "budapest",
    "budapest-2ap",
    "untoc",
    "uncac",
    "un-cybercrime",
    "eio",
    "e-evidence",
    "reciprocity",
}


@pytest.mark.parametrize("path", STATE_FILES, ids=lambda p: p.name)
def test_state_file_matches_the_schema(path: Path) -> None:
    table = load_state_file(path)
    assert table.central_authority.timezone in available_timezones()
    for _path, rule in table.rules():
        assert rule.cite in table.sources
        if rule.verified_on is not None:
            assert rule.verified_on <= dt.date.today()
        else:
            # unverified: its note says what is missing, or it was entered and not re-read
            assert rule.note or rule.entered_on, (
                f"{path.name} {_path}: unverified, and says not why"
            )


def test_the_required_states_from_every_region_are_covered() -> None:
    book = rulebook()
    assert set(book.states) >= REQUIRED_STATES
    assert len(book.states) >= 45
    # a table names the authority a request goes to: never blank, never a placeholder
    for code, table in book.states.items():
        name = table.central_authority.name
        assert name and "competent" not in name.lower(), code
    assert {t.region for t in book.states.values()} == {
        "Africa",
        "Americas",
        "Asia",
        "Europe",
        "Middle East",
        "Oceania",
    }


def test_instruments_catalogue_matches_the_schema() -> None:
    catalogue = load_instruments(INSTRUMENTS_DIR)
    assert set(catalogue.instruments) >= SLUGS
    bilateral = [s for s, i in catalogue.instruments.items() if i.kind == "bilateral"]
    assert "mlat-gb-us" in bilateral


def test_every_party_and_instrument_has_a_source() -> None:
    catalogue = rulebook().instruments
    for inst in catalogue.instruments.values():
        assert inst.cite in catalogue.sources
        for party in inst.parties:
            assert party.cite is None or party.cite in catalogue.sources


def test_a_rule_citing_an_unknown_source_is_refused(tmp_path: Path) -> None:
    text = (
        (STATES_DIR / "us.toml").read_text().replace('cite = "doj-oia-faq"', 'cite = "nowhere"', 1)
    )
    broken = tmp_path / "us.toml"
    broken.write_text(text)
    with pytest.raises(RuleTableError, match="nowhere"):
        load_state_file(broken)


def test_an_unknown_key_is_refused(tmp_path: Path) -> None:
    data = tomllib.loads((STATES_DIR / "us.toml").read_text())
    data["central_authority"]["fax_only"] = True
    with pytest.raises(ValueError, match="fax_only"):
        StateTable.model_validate(data)


def test_a_file_named_for_another_state_is_refused(tmp_path: Path) -> None:
    wrong = tmp_path / "gb.toml"
    wrong.write_text((STATES_DIR / "us.toml").read_text())
    with pytest.raises(RuleTableError, match="does not match"):
        load_state_file(wrong)


def test_broken_toml_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "us.toml"
    broken.write_text("state = \n")
    with pytest.raises(RuleTableError, match=r"us\.toml"):
        load_state_file(broken)
