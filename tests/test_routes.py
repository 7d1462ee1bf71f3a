"""The route advisor lists the ways to the evidence in the order to try them."""

from __future__ import annotations

import datetime as dt

from mlat.request_format import Channel, MeasureKind
from mlat.rules.loader import rulebook
from mlat.rules.routes import advise_routes

TODAY = dt.date(2026, 11, 22)


def kinds(requesting: str, requested: str, measures: list[MeasureKind], urgent: bool) -> list[str]:
    return [
        r.kind for r in advise_routes(rulebook(), requesting, requested, measures, urgent, TODAY)
    ]


def test_preservation_through_the_24_7_network_comes_first_between_budapest_parties() -> None:
    routes = advise_routes(rulebook(), "GB", "US", [MeasureKind.stored_content], True, TODAY)
    assert routes[0].kind == "preservation_24_7"
    assert routes[0].channel == "network_24_7"
    assert routes[0].legal_basis == "budapest"


def test_bilateral_treaty_comes_before_multilateral_conventions() -> None:
    routes = advise_routes(rulebook(), "GB", "US", [MeasureKind.stored_content], False, TODAY)
    treaties = [r.legal_basis for r in routes if r.kind == "treaty"]
    assert treaties[0] == "mlat-gb-us"
    assert "budapest" in treaties
    first = next(r for r in routes if r.kind == "treaty")
    assert "Office of International Affairs" in first.authority
    assert first.citation.url.startswith("https://")


def test_without_budapest_there_is_no_24_7_route_and_reciprocity_comes_last() -> None:
    found = kinds("QA", "US", [MeasureKind.stored_content], True)
    assert "preservation_24_7" not in found
    assert found[-1] == "reciprocity"
    assert "treaty" in found  # UNTOC / UNCAC link Qatar and the United States


def test_eu_states_get_the_eio_and_e_evidence_orders() -> None:
    routes = advise_routes(rulebook(), "FR", "DE", [MeasureKind.subscriber_info], False, TODAY)
    bases = [r.legal_basis for r in routes]
    assert "eio" in bases
    assert "e-evidence" in bases
    before = advise_routes(
        rulebook(), "FR", "DE", [MeasureKind.subscriber_info], False, dt.date(2026, 8, 1)
    )
    assert "e-evidence" not in [r.legal_basis for r in before]  # applies from 18 August 2026


def test_signed_only_instruments_give_no_route() -> None:
    bases = [
        r.legal_basis
        for r in advise_routes(rulebook(), "IE", "US", [MeasureKind.stored_content], False, TODAY)
    ]
    assert "budapest" not in bases  # Ireland signed but has not ratified
    assert "mlat-ie-us" in bases


def test_reciprocity_goes_through_a_channel_the_requested_state_accepts() -> None:
    # Neither the United States nor the United Kingdom lists the diplomatic channel.
    for requested in ("US", "GB"):
        [route] = [
            r
            for r in advise_routes(rulebook(), "QA", requested, [], False, TODAY)
            if r.kind == "reciprocity"
        ]
        accepted = {c.kind for c in rulebook().states[requested].channels}
        assert route.channel in accepted
        assert route.channel == Channel.central_authority
