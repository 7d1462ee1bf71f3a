"""The route advisor ranks the ways to the evidence from the case in front of it."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from mlat.request_format import Channel, MeasureKind
from mlat.rules.loader import rulebook
from mlat.rules.routes import Advice, Case, RouteKind, advise, advise_routes
from mlat.rules.schema import Party
from mlat.rules.words import ENGLISH

TODAY = dt.date(2026, 12, 5)
STORED = frozenset({MeasureKind.stored_content})


def advice(requesting: str, requested: str, **case: object) -> Advice:
    return advise(rulebook(), Case(requesting, requested, **case), TODAY)  # type: ignore[arg-type]


def bases(found: Advice) -> list[str]:
    return [r.legal_basis for r in found.routes]


def test_preservation_through_the_24_7_network_comes_first_between_budapest_parties() -> None:
    first = advice("GB", "US", measures=STORED, urgent=True).routes[0]
    assert (first.kind, first.channel, first.legal_basis) == (
        RouteKind.preservation_24_7,
        Channel.network_24_7,
        "budapest",
    )
    assert first.article == "Art. 29, Art. 35"
    assert first.authority is not None and first.authority.name  # the US 24/7 contact
    assert any("Art. 29(2)(f)" in item for item in first.contents)


def test_without_a_rule_table_the_24_7_route_gives_the_contact_the_state_declared() -> None:
    # Tonga has no rule table; its Art. 35 designation is in the Convention's records
    first = advice("GB", "TO", measures=STORED, urgent=True).routes[0]
    assert first.kind == RouteKind.preservation_24_7 and first.authority is None
    [(text, cite)] = first.declared_contacts
    assert "Tonga Police" in text
    assert cite.status == "verified" and cite.ref == "catalogue:budapest:parties:TO"
    # a state whose table names its contact gets that contact, not the records
    assert advice("GB", "US", measures=STORED).routes[0].declared_contacts == ()


def test_a_party_whose_designation_was_not_read_is_reached_through_the_directory() -> None:
    first = advice("GB", "SE", measures=STORED).routes[0]
    [(text, cite)] = first.declared_contacts
    assert "ask your own 24/7 point of contact" in text
    assert "Art. 35" in cite.locator or "Article 35" in cite.locator


def test_a_request_to_the_officers_own_state_gets_no_route() -> None:
    found = advice("QA", "QA", measures=STORED)
    assert found.same_state
    assert found.routes == [] and found.not_available == []


def test_a_fraud_from_qatar_is_not_sent_under_the_corruption_convention_first() -> None:
    """UNCAC came first for every Qatar case, a fraud or ransomware case included."""
    fraud = advice(
        "QA",
        "US",
        measures=STORED,
        max_penalty_years=5.0,
        offence_text="Fraud, Law No. 11 of 2004 art. 354",
        facts="An organised criminal group defrauded the company.",
    )
    treaties = [r for r in fraud.routes if r.kind == RouteKind.treaty]
    assert treaties[0].legal_basis == "untoc"
    uncac = next(r for r in treaties if r.legal_basis == "uncac")
    assert uncac.to_confirm
    assert "corruption" in uncac.why
    bribery = advice("QA", "US", measures=STORED, max_penalty_years=7.0,
                     offence_text="Bribery of a public official")  # fmt: skip
    assert next(r for r in bribery.routes if r.kind == RouteKind.treaty).legal_basis == "uncac"


def test_an_offence_below_the_penalty_threshold_moves_the_convention_to_not_available() -> None:
    found = advice("QA", "US", measures=STORED, max_penalty_years=3.0, offence_text="Fraud")
    assert "untoc" not in bases(found)
    (untoc,) = [n for n in found.not_available if n.legal_basis == "untoc"]
    assert untoc.params["years"] == "4" and untoc.params["highest"] == "3"


def test_without_a_24_7_route_the_advice_says_why() -> None:
    """Urgent stored content from Qatar to the US: Qatar is not a Budapest party."""
    found = advice("QA", "US", measures=STORED, urgent=True)
    assert RouteKind.preservation_24_7 not in [r.kind for r in found.routes]
    (budapest,) = [n for n in found.not_available if n.legal_basis == "budapest"]
    assert "24/7 network" in budapest.reason
    assert "Qatar" in ENGLISH.say(budapest.reason, budapest.params)


def test_reciprocity_comes_last_through_a_channel_the_requested_state_accepts() -> None:
    # Neither the United States nor the United Kingdom lists the diplomatic channel.
    for requested in ("US", "GB"):
        found = advice("QA", requested, measures=STORED, offence_text="Bribery")
        last = found.routes[-1]
        assert last.kind == RouteKind.reciprocity
        accepted = {c.kind for c in rulebook().states[requested].channels}
        assert last.channel in accepted and last.channel != Channel.diplomatic


def test_the_reciprocity_route_cites_the_requested_states_own_entry() -> None:
    """The Qatar-to-UK reciprocity route cited the US DOJ Criminal Resource Manual."""
    last = advice("QA", "GB", measures=STORED, offence_text="Bribery").routes[-1]
    assert last.kind == RouteKind.reciprocity
    assert last.citation.ref.endswith(":GB")
    us = advice("QA", "US", measures=STORED, offence_text="Bribery").routes[-1]
    assert us.citation.ref.endswith(":US")


def test_bilateral_treaty_comes_before_multilateral_conventions() -> None:
    found = advice("GB", "US", measures=STORED)
    treaties = [r for r in found.routes if r.kind == RouteKind.treaty]
    assert treaties[0].legal_basis == "mlat-gb-us"
    assert "budapest" in [r.legal_basis for r in treaties]
    assert treaties[0].authority is not None
    assert "Office of International Affairs" in treaties[0].authority.name
    assert treaties[0].citation.url.startswith("https://")


def test_eu_states_get_production_orders_before_the_eio() -> None:
    found = advice("FR", "DE", measures=frozenset({MeasureKind.subscriber_info}))
    kinds = [r.kind for r in found.routes]
    assert kinds.index(RouteKind.production_order) < kinds.index(RouteKind.eio)
    assert kinds.index(RouteKind.eio) < kinds.index(RouteKind.treaty)
    before = advise(
        rulebook(),
        Case("FR", "DE", frozenset({MeasureKind.subscriber_info})),
        dt.date(2026, 8, 1),
    )
    assert "e-evidence" not in bases(before)  # applies from 18 August 2026


def test_an_order_to_a_provider_is_not_offered_for_evidence_providers_do_not_hold() -> None:
    found = advice("FR", "DE", measures=frozenset({MeasureKind.witness_statement}))
    assert "e-evidence" not in bases(found)
    assert "e-evidence" in [n.legal_basis for n in found.not_available]


def test_signed_only_instruments_give_no_route() -> None:
    found = bases(advice("IE", "US", measures=STORED))
    assert "budapest" not in found  # Ireland signed but has not ratified
    assert "mlat-ie-us" in found


def test_each_route_says_why_it_is_where_it_is() -> None:
    for route in advice("GB", "US", measures=STORED, urgent=True).routes:
        assert route.why, route
        assert route.contents, route


def test_the_legacy_entry_point_ranks_the_same_way() -> None:
    routes = advise_routes(rulebook(), "GB", "US", [MeasureKind.stored_content], True, TODAY)
    assert [r.legal_basis for r in routes] == bases(
        advice("GB", "US", measures=STORED, urgent=True)
    )


def test_a_fraud_without_a_stated_group_still_puts_the_corruption_convention_last() -> None:
    found = advice("QA", "US", measures=STORED, max_penalty_years=5.0, offence_text="Fraud")
    treaties = [r.legal_basis for r in found.routes if r.kind == RouteKind.treaty]
    assert treaties.index("untoc") < treaties.index("uncac")
    assert found.suggestion is not None and found.suggestion.legal_basis == "untoc"


def test_when_no_treaty_covers_the_offence_reciprocity_comes_before_the_unlikely_ones() -> None:
    """A 3-year fraud from Qatar: UNTOC needs 4 years, UNCAC is for corruption."""
    found = advice("QA", "US", measures=STORED, max_penalty_years=3.0, offence_text="Fraud")
    kinds = [(r.kind, r.legal_basis) for r in found.routes]
    assert kinds[0] == (RouteKind.reciprocity, "reciprocity")
    assert kinds[-1] == (RouteKind.treaty, "uncac")


# ------------------------------------------------ where the data is, and emergencies

SUBSCRIBER = frozenset({MeasureKind.subscriber_info})


def spoken(found: Advice, slug: str) -> str:
    reasons = [n for n in found.not_available if n.legal_basis == slug]
    assert reasons, f"{slug} is not among the routes not available"
    return ENGLISH.say(reasons[0].reason, reasons[0].params)


def test_us_providers_may_be_asked_for_records_directly_after_the_binding_routes() -> None:
    found = advice("GB", "US", measures=SUBSCRIBER)
    kinds = [r.kind for r in found.routes]
    voluntary = found.routes[kinds.index(RouteKind.voluntary_disclosure)]
    assert kinds.index(RouteKind.direct_provider) < kinds.index(RouteKind.voluntary_disclosure)
    assert (voluntary.legal_basis, voluntary.channel) == (
        "us-sca-voluntary",
        Channel.direct_provider,
    )
    assert voluntary.article == "18 U.S.C. § 2702(c)(6)"
    assert voluntary.to_confirm and not voluntary.verified  # copies of the statute only
    assert voluntary.citation.status == "secondary"
    why = ENGLISH.say(voluntary.why, voluntary.why_params)
    assert "United States" in why and "your own law" in why


def test_voluntary_disclosure_is_not_offered_for_contents_and_says_why() -> None:
    found = advice("QA", "US", measures=STORED)
    assert "us-sca-voluntary" not in bases(found)
    reason = spoken(found, "us-sca-voluntary")
    assert "reaches only Subscriber information and Traffic data." in reason


def test_voluntary_disclosure_is_a_law_of_the_united_states_only() -> None:
    found = advice("QA", "GB", measures=SUBSCRIBER)
    assert "us-sca-voluntary" not in bases(found)
    assert "us-sca-voluntary" not in [n.legal_basis for n in found.not_available]


def test_an_order_to_a_provider_established_elsewhere_is_not_offered() -> None:
    here = advice("FR", "IE", measures=SUBSCRIBER, provider_states=frozenset({"IE"}))
    assert "e-evidence" in bases(here)
    elsewhere = advice("FR", "IE", measures=SUBSCRIBER, provider_states=frozenset({"US"}))
    assert "e-evidence" not in bases(elsewhere)
    assert "United States" in spoken(elsewhere, "e-evidence")
    # the request to Ireland itself is still offered: the data may be held there
    assert "eu-mla-2000" in bases(elsewhere)
    to_us = advice("GB", "US", measures=SUBSCRIBER, provider_states=frozenset({"IE"}))
    assert "us-sca-voluntary" not in bases(to_us)
    assert "cloud-gb-us" not in bases(to_us)


def test_an_emergency_names_the_protocols_emergency_procedure_when_it_does_not_apply() -> None:
    calm = advice("GB", "US", measures=STORED, urgent=True)
    assert "budapest-2ap" not in [n.legal_basis for n in calm.not_available]
    found = advice("GB", "US", measures=STORED, urgent=True, emergency=True)
    reason = spoken(found, "budapest-2ap")
    assert reason.startswith("Emergency co-operation (Art. 9, Art. 10) needs both states")
    assert RouteKind.emergency not in [r.kind for r in found.routes]
    assert found.routes[0].kind == RouteKind.preservation_24_7


def test_an_emergency_goes_first_where_the_protocol_binds_both_states() -> None:
    book = rulebook()
    protocol = book.instruments.instruments["budapest-2ap"]
    bound = [Party(state=s, in_force=dt.date(2026, 7, 1)) for s in ("GB", "US")]
    catalogue = book.instruments.model_copy(
        update={
            "instruments": {
                **book.instruments.instruments,
                "budapest-2ap": protocol.model_copy(update={"parties": bound}),
            }
        }
    )
    in_force = replace(book, instruments=catalogue)
    case = Case("GB", "US", STORED, urgent=True, emergency=True)
    first = advise(in_force, case, TODAY).routes[0]
    assert (first.kind, first.legal_basis, first.channel) == (
        RouteKind.emergency,
        "budapest-2ap",
        Channel.central_authority,
    )
    assert first.article == "Art. 9, Art. 10"
    assert "eurojust.europa.eu" in first.citation.url
    assert first.authority is not None and "Office of International Affairs" in first.authority.name
    assert any("any hour" in item for item in first.contents)
    without = advise(in_force, replace(case, emergency=False), TODAY).routes
    assert RouteKind.emergency not in [r.kind for r in without]
