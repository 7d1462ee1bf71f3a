"""The validation engine: for each check, a request that triggers it and one that does not."""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mlat.request_format import MeasureKind, RequestDocument
from mlat.rules.addressee import addressee
from mlat.rules.checks.breadth import dates_in, trie_pattern
from mlat.rules.engine import validate
from mlat.rules.findings import Finding
from mlat.rules.loader import RuleBook, rulebook
from mlat.rules.schema import (
    Assurance,
    ChannelRule,
    DeMinimis,
    Formalities,
    Languages,
    Party,
    StateTable,
)
from mlat.rules.words import Speaker, english_word

TODAY = dt.date(2026, 11, 22)
EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
BASE = json.loads((EXAMPLES / "qa-to-us-stored-content.json").read_text())


def us_table(**updates: Any) -> StateTable:
    return rulebook().states["US"].model_copy(update=updates)


def book_with(table: StateTable | None = None, instruments: Any = None) -> RuleBook:
    book = rulebook()
    states = dict(book.states)
    if table is not None:
        states[table.state] = table
    return RuleBook(states=states, instruments=instruments or book.instruments)


def run(
    request: dict[str, Any], book: RuleBook | None = None, today: dt.date = TODAY
) -> list[Finding]:
    return validate(RequestDocument.model_validate(request), book or rulebook(), today)


def codes(findings: list[Finding]) -> set[str]:
    return {f.code for f in findings}


def changed(**paths: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """A copy of the base request with values replaced at dotted paths (``a.b``, ``a.0.b``)."""

    def apply(base: dict[str, Any]) -> dict[str, Any]:
        request = copy.deepcopy(base)
        for dotted, value in paths.items():
            *parents, last = dotted.split("__")
            node: Any = request
            for part in parents:
                node = node[int(part)] if part.isdigit() else node[part]
            if last.isdigit():
                node[int(last)] = value
            else:
                node[last] = value
        return request

    return apply


def test_the_complete_example_has_no_findings_but_the_scope_of_its_legal_basis() -> None:
    # It relies on UNTOC for an offence punishable by 3 years, without stating an organised
    # criminal group (tests/test_scope.py); and the catalogue's UNTOC entries for Qatar and
    # the United States rest on secondary sources, which the officer is told to confirm.
    assert codes(run(BASE)) == {
        "scope_penalty_below",
        "scope_transnational_organised",
        "legal_basis_unverified",
    }


# An internal code (central_authority, legal_basis) or a state's ISO code in a message.
CODE_WORD = re.compile(r"\b[a-z0-9]+_[a-z0-9_]+\b")
STATE_CODE = re.compile(r"\b(QA|US|GB|DE|ZA)\b")

CASES: list[tuple[str, Callable[[dict[str, Any]], dict[str, Any]], StateTable | None]] = [
    ("requesting_state_missing", changed(requesting_state=None), None),
    ("requested_state_missing", changed(requested_state=None), None),
    ("no_rule_table", changed(requested_state="OM"), None),
    ("legal_basis_missing", changed(legal_basis=""), None),
    ("legal_basis_unknown", changed(legal_basis="mlat-qa-zz"), None),
    # The EU-UK agreement's party list is complete, and Qatar is not on it.
    ("legal_basis_not_in_force", changed(legal_basis="eu-uk-tca"), None),
    ("channel_missing", changed(channel=None), None),
    ("channel_not_accepted", changed(channel="interpol"), None),
    ("channel_urgent_only", changed(channel="network_24_7"), None),
    ("language_missing", changed(language=None), None),
    ("translation_missing", changed(language="ar"), None),
    (
        "translation_certification",
        changed(language="ar", translations=["en"]),
        us_table(
            languages=Languages(
                accepted=["en"], certified_translation_required=True, cite="doj-oia-faq"
            )
        ),
    ),
    ("facts_missing", changed(facts=""), None),
    ("facts_too_short", changed(facts="Fraud by e-mail."), None),
    ("facts_thin", changed(facts=" ".join(["The suspect sent false invoices."] * 5)), None),
    ("nexus_missing", changed(nexus=""), None),
    ("nexus_too_short", changed(nexus="The account was used."), None),
    (
        "nexus_thin",
        changed(nexus="The account sent the false invoices to the victim company."),
        None,
    ),
    ("offences_missing", changed(offences=[]), None),
    ("offence_name_missing", changed(offences__0__name=""), None),
    ("offence_citation_missing", changed(offences__0__citation=""), None),
    ("offence_penalty_missing", changed(offences__0__max_penalty_years=None), None),
    ("identifier_value_missing", changed(identifiers__1__value=""), None),
    ("identifier_malformed", changed(identifiers__1__value="198.51.100.999"), None),
    ("identifier_malformed", changed(identifiers__0__value="finance.alwaha"), None),
    ("ip_without_timestamp", changed(identifiers__1__observed_at=None), None),
    ("ip_without_timezone", changed(identifiers__1__observed_at="2026-03-09T10:14:22"), None),
    ("measures_missing", changed(measures=[]), None),
    ("measure_identifier_unknown", changed(measures__0__identifiers=[7]), None),
    ("date_range_reversed", changed(measures__0__date_to="2026-02-01"), None),
    ("date_range_unbounded", changed(measures__0__date_to=None), None),
    (
        "date_range_too_long",
        changed(measures__0__date_to="2026-09-30"),
        us_table(
            measures={
                **us_table().measures,
                MeasureKind.stored_content: us_table()
                .measures[MeasureKind.stored_content]
                .model_copy(update={"max_range_days": 90}),
            }
        ),
    ),
    (
        "measure_no_rule",
        changed(measures__0__kind="asset_freezing"),
        us_table(measures={k: v for k, v in us_table().measures.items() if k != "asset_freezing"}),
    ),
    ("measure_not_possible", changed(measures__0__kind="interception"), None),
    ("measure_field_missing", changed(identifiers__0__provider=""), None),
    ("threshold_facts_thin", changed(nexus="It was used for the fraud against the company."), None),
    (
        "threshold_account_not_tied",
        changed(identifiers__0__value="other.account@mailhost.example"),
        None,
    ),
    ("dual_criminality_not_shown", changed(offences__0__equivalent_offence=""), None),
    ("urgency_reason_missing", changed(urgency={"urgent": True, "deadline": "2026-12-01"}), None),
    (
        "urgency_deadline_missing",
        changed(urgency={"urgent": True, "reason": "Data at risk."}),
        None,
    ),
    (
        "urgency_deadline_past",
        changed(urgency={"urgent": True, "reason": "Data at risk.", "deadline": "2026-11-01"}),
        None,
    ),
    (
        "urgency_deadline_far",
        changed(urgency={"urgent": True, "reason": "Data at risk.", "deadline": "2099-01-01"}),
        None,
    ),
    (
        "emergency_not_urgent",
        changed(urgency={"urgent": False, "danger_to_life": True}),
        None,
    ),
    # US providers may disclose records of their own accord, never contents.
    (
        "legal_basis_beyond_reach",
        changed(legal_basis="us-sca-voluntary", channel="direct_provider"),
        None,
    ),
    ("provider_elsewhere", changed(identifiers__0__provider_state="IE"), None),
    ("measure_overbroad_wording", changed(measures__0__details="All data of the account."), None),
    ("date_range_in_future", changed(measures__0__date_to="2099-12-31"), None),
    # The facts and the IP's time of use lie in March 2026.
    ("date_range_beyond_facts", changed(measures__1__date_from="2025-06-01"), None),
    ("person_born_in_future", changed(persons__1__date_of_birth="2030-01-01"), None),
    (
        "identifier_observed_in_future",
        changed(identifiers__1__observed_at="2062-03-09T10:14:22+03:00"),
        None,
    ),
    ("preservation_requested_in_future", changed(preservation__requested_on="2027-01-02"), None),
    ("preservation_not_requested", changed(preservation={"requested": False}), None),
    ("preservation_reference_missing", changed(preservation__reference=""), None),
    ("preservation_lapsed", changed(preservation__expires_on="2026-11-01"), None),
    ("preservation_lapsing", changed(preservation__expires_on="2026-11-30"), None),
    (
        "assurance_missing",
        changed(offences__0__death_penalty_possible=True),
        us_table(
            assurances=[
                Assurance(
                    kind="death_penalty",
                    required_when="death_penalty_possible",
                    text="The death penalty will not be sought.",
                    cite="doj-oia",
                )
            ]
        ),
    ),
    ("contact_missing", changed(requesting_authority__phone=""), None),
    # Stored content and traffic data under UNTOC cannot be an Article 29 request.
    ("document_not_preservation", changed(document="preservation"), None),
    ("document_not_subscriber", changed(document="subscriber"), None),
    # The United States' table gives its central authority no address or e-mail.
    ("addressee_unknown", changed(addressee={}), None),
    ("contact_malformed", changed(requesting_authority__email="prosecutor at pp.qa"), None),
    ("contact_timezone_missing", changed(requesting_authority__timezone=""), None),
    ("contact_timezone_unknown", changed(requesting_authority__timezone="Doha/Time"), None),
    ("signatory_missing", changed(signatory={"name": "", "title": ""}), None),
    ("proceedings_incomplete", changed(proceedings__case_number=""), None),
    ("related_requests_missing", changed(status="follow_up"), None),
    ("confidentiality_reason_missing", changed(confidentiality__reason=""), None),
    (
        "judicial_validation_missing",
        changed(),
        us_table(formalities=Formalities(judicial_validation_required=True, cite="doj-oia")),
    ),
    (
        "procedures_missing",
        changed(procedures=""),
        us_table(
            formalities=Formalities(certification="Business records certificate.", cite="doj-oia")
        ),
    ),
    (
        "de_minimis",
        changed(),
        us_table(de_minimis=DeMinimis(applies=True, min_penalty_years=5, cite="doj-oia")),
    ),
    ("de_minimis_policy", changed(), us_table(de_minimis=DeMinimis(applies=True, cite="doj-oia"))),
]


@pytest.mark.parametrize(("code", "mutate", "table"), CASES, ids=[c[0] for c in CASES])
def test_check_triggers(
    code: str, mutate: Callable[..., dict[str, Any]], table: StateTable | None
) -> None:
    assert code not in codes(run(BASE)), "the complete request must not trigger it"
    found = [f for f in run(mutate(BASE), book_with(table)) if f.code == code]
    assert found, f"{code} was not reported"
    assert all(f.message and f.field for f in found)
    for f in found:  # in words: no internal codes, no state codes
        assert not CODE_WORD.search(f.message), f.message
        assert not STATE_CODE.search(f.message), f.message


def test_findings_cite_the_rule_they_rest_on() -> None:
    findings = run(changed(channel="interpol")(BASE))
    (finding,) = [f for f in findings if f.code == "channel_not_accepted"]
    assert finding.citation is not None
    assert finding.citation.url.startswith("https://")
    assert finding.citation.status in {"verified", "stale", "unverified"}


def test_unverified_rule_is_flagged_as_such() -> None:
    book = book_with(us_table(languages=Languages(accepted=["en"], cite="doj-oia-faq")))
    (finding,) = [
        f for f in run(changed(language="ar")(BASE), book) if f.code == "translation_missing"
    ]
    assert finding.citation is not None and finding.citation.status == "unverified"


def test_stale_rule_is_flagged_as_such() -> None:
    read_long_ago = ChannelRule(kind="central_authority", electronic=True, cite="doj-oia",
                                locator="Contact", verified_on=dt.date(2026, 1, 5))  # fmt: skip
    table = us_table(channels=[read_long_ago])
    request = changed(channel="interpol")(BASE)
    (finding,) = [
        f
        for f in run(request, book_with(table), today=dt.date(2028, 1, 1))
        if f.code == "channel_not_accepted"
    ]
    assert finding.citation is not None and finding.citation.status == "stale"
    (fresh,) = [f for f in run(request, book_with(table)) if f.code == "channel_not_accepted"]
    assert fresh.citation is not None and fresh.citation.status == "verified"


def test_an_error_resting_on_an_unconfirmed_rule_is_a_warning() -> None:
    """A channel the table does not list blocks the request only when the table's channel
    rules were read in a primary source this year; otherwise it is a warning."""
    request = changed(channel="interpol")(BASE)
    read = {"cite": "doj-oia", "locator": "Contact", "verified_on": dt.date(2026, 11, 1)}

    def finding_for(table: StateTable, today: dt.date = TODAY) -> Finding:
        (found,) = [
            f for f in run(request, book_with(table), today) if f.code == "channel_not_accepted"
        ]
        return found

    primary = us_table(channels=[ChannelRule(kind="central_authority", electronic=True, **read)])
    confirmed = finding_for(primary)
    assert (confirmed.severity, confirmed.unconfirmed) == ("error", False)

    never_read = us_table(
        channels=[ChannelRule(kind="central_authority", electronic=True, cite="doj-oia")]
    )
    for table, today in [(never_read, TODAY), (primary, dt.date(2028, 1, 1))]:
        softened = finding_for(table, today)
        assert (softened.severity, softened.unconfirmed) == ("warning", True)
        assert softened.as_dict()["unconfirmed"] is True

    # An error that rests on no rule (the format itself) stays an error.
    (missing,) = [f for f in run(changed(channel=None)(BASE)) if f.code == "channel_missing"]
    assert (missing.severity, missing.unconfirmed) == ("error", False)


def test_the_addressee_is_the_24_7_contact_through_the_network_with_the_details_given() -> None:
    """Through the 24/7 network a request goes to the 24/7 point of contact, never to the
    central authority in its place; the officer gives what the rule table lacks."""
    through_network = changed(channel="network_24_7", addressee={})(BASE)
    (missing,) = [f for f in run(through_network) if f.code == "addressee_unknown"]
    assert missing.severity == "error" and missing.field == "addressee"
    assert "no phone number or e-mail address for the 24/7 point of contact of United " \
        "States" in missing.message  # fmt: skip
    document = RequestDocument.model_validate(through_network)
    found = addressee(document, rulebook().states["US"])
    assert found.role == "contact_24_7" and found.name.startswith("Computer Crime")
    assert found.missing() == ("phone_or_email",)

    given = changed(channel="network_24_7", addressee={"phone": "+1 202 555 0100"})(BASE)
    assert "addressee_unknown" not in codes(run(given))
    confirmed = addressee(RequestDocument.model_validate(given), rulebook().states["US"])
    assert (confirmed.name, confirmed.phone) == (found.name, "+1 202 555 0100")

    # Sweden names no 24/7 point of contact: the officer names it, the packet does not fall
    # back on the central authority.
    to_sweden = changed(requested_state="SE", channel="network_24_7", addressee={})(BASE)
    sweden = addressee(RequestDocument.model_validate(to_sweden), rulebook().states["SE"])
    assert (sweden.name, sweden.missing()) == ("", ("name", "phone_or_email"))
    # Without a rule table, everything about the addressee is the officer's to give.
    to_oman = changed(requested_state="OM", addressee={})(BASE)
    assert addressee(RequestDocument.model_validate(to_oman), None).missing() == (
        "name",
        "address_or_email",
    )
    (oman,) = [f for f in run(to_oman) if f.code == "addressee_unknown"]
    assert oman.message.startswith("There is no rule table for Oman: enter under Addressee")


def test_errors_come_first() -> None:
    findings = run(changed(facts="Short.", channel=None)(BASE))
    severities = [f.severity for f in findings]
    assert severities == sorted(severities, key=["error", "warning", "info"].index)


def test_english_accepted_when_urgent() -> None:
    table = us_table(languages=Languages(accepted=["fr"], english_when_urgent=True, cite="doj-oia"))
    urgent = changed(urgency={"urgent": True, "reason": "Deletion.", "deadline": "2026-12-01"})
    assert "translation_missing" in codes(run(BASE, book_with(table)))
    assert "translation_missing" not in codes(run(urgent(BASE), book_with(table)))


def test_preservation_expiry_is_computed_from_the_state_period() -> None:
    request = changed(
        preservation={"requested": True, "reference": "P-1", "requested_on": "2026-08-30"}
    )(BASE)
    lapsing = [f for f in run(request) if f.code == "preservation_lapsing"]
    assert lapsing and "2026-11-28" in lapsing[0].message  # United States: 90 days
    late = dt.date(2026, 11, 29)
    lapsed = [f for f in run(request, today=late) if f.code == "preservation_lapsed"]
    assert lapsed and "2026-11-28" in lapsed[0].message


def test_direct_disclosure_suggested_when_both_states_apply_the_protocol() -> None:
    book = rulebook()
    instruments = book.instruments.instruments
    protocol = instruments["budapest-2ap"].model_copy(
        update={
            "parties": [
                Party(state="QA", in_force=dt.date(2026, 1, 1)),
                Party(state="US", in_force=dt.date(2026, 1, 1)),
            ]
        }
    )
    catalogue = book.instruments.model_copy(
        update={"instruments": {**instruments, "budapest-2ap": protocol}}
    )
    request = changed(measures__0__kind="subscriber_info")(BASE)
    assert "direct_disclosure_available" not in codes(run(request))
    assert "direct_disclosure_available" in codes(run(request, book_with(instruments=catalogue)))


def test_legal_basis_in_force_only_from_its_date() -> None:
    request = changed(legal_basis="mlat-gb-us", requesting_state="GB")(BASE)
    assert "legal_basis_not_in_force" not in codes(run(request))
    assert "legal_basis_not_in_force" in codes(run(request, today=dt.date(1995, 1, 1)))


def test_channel_for_urgent_requests_only_is_fine_when_urgent() -> None:
    table = us_table(
        channels=[
            ChannelRule(kind="network_24_7", electronic=True, urgent_only=True, cite="doj-oia")
        ]
    )
    urgent = changed(
        channel="network_24_7",
        urgency={"urgent": True, "reason": "Deletion.", "deadline": "2026-12-01"},
    )
    assert "channel_urgent_only" not in codes(run(urgent(BASE), book_with(table)))


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.name)
def test_examples_are_valid_documents(example: Path) -> None:
    RequestDocument.model_validate_json(example.read_text())


def test_incomplete_example_reports_what_officers_miss() -> None:
    request = json.loads((EXAMPLES / "ng-to-gb-subscriber-incomplete.json").read_text())
    found = codes(run(request))
    assert {
        "nexus_missing",
        "ip_without_timezone",
        "date_range_unbounded",
        "urgency_reason_missing",
        "signatory_missing",
    } <= found


def _catalogue_with_untoc(**updates: Any) -> Any:
    book = rulebook()
    instruments = book.instruments.instruments
    untoc = instruments["untoc"].model_copy(update=updates)
    return book.instruments.model_copy(update={"instruments": {**instruments, "untoc": untoc}})


def test_legal_basis_resting_on_unverified_party_data_is_flagged() -> None:
    def party(state: str, read: bool) -> Party:
        read_on = dt.date(2026, 11, 22) if read else None
        return Party(state=state, in_force=dt.date(2005, 12, 3), cite="untc-xviii-12",
                     locator=f"row: {state}", verified_on=read_on)  # fmt: skip

    verified = _catalogue_with_untoc(parties=[party("QA", True), party("US", True)])
    unverified = _catalogue_with_untoc(parties=[party("QA", False), party("US", True)])
    assert "legal_basis_unverified" not in codes(run(BASE, book_with(instruments=verified)))
    (finding,) = [
        f
        for f in run(BASE, book_with(instruments=unverified))
        if f.code == "legal_basis_unverified"
    ]
    assert finding.severity == "warning"


def test_channel_the_instrument_does_not_provide_for_is_flagged() -> None:
    only_diplomatic = _catalogue_with_untoc(channels=["diplomatic"])
    assert "channel_not_for_instrument" not in codes(run(BASE))
    assert "channel_not_for_instrument" in codes(run(BASE, book_with(instruments=only_diplomatic)))


def test_a_channel_listed_twice_is_accepted_when_any_of_its_rules_allows_it() -> None:
    # Ireland takes requests to its central authority on paper always, by e-mail when urgent.
    to_ireland = changed(requested_state="IE", requesting_state="GB", legal_basis="untoc")(BASE)
    assert "channel_urgent_only" not in codes(run(to_ireland))
    only_urgent = us_table(
        channels=[
            ChannelRule(kind="central_authority", electronic=True, urgent_only=True, cite="doj-oia")
        ]
    )
    assert "channel_urgent_only" in codes(run(BASE, book_with(only_urgent)))


def test_preservation_alone_goes_through_the_24_7_network_between_budapest_parties() -> None:
    """Art. 35(1)(b): preservation is the 24/7 contacts' ordinary work, even where a state
    keeps its 24/7 channel for urgent requests otherwise."""
    table = us_table(
        channels=[
            ChannelRule(kind="central_authority", electronic=True, cite="doj-oia"),
            ChannelRule(kind="network_24_7", electronic=True, urgent_only=True, cite="doj-oia"),
        ]
    )
    preserve = changed(requesting_state="FR", legal_basis="budapest", channel="network_24_7",
                       measures=[{"kind": "preservation"}])  # fmt: skip
    assert "channel_urgent_only" not in codes(run(preserve(BASE), book_with(table)))
    also_content = changed(measures=[{"kind": "preservation"}, {"kind": "stored_content"}])
    assert "channel_urgent_only" in codes(run(also_content(preserve(BASE)), book_with(table)))
    from_qatar = changed(requesting_state="QA")  # not a party to the Convention
    assert "channel_urgent_only" in codes(run(from_qatar(preserve(BASE)), book_with(table)))


def test_an_order_straight_to_a_provider_needs_an_instrument_binding_both_states() -> None:
    """Under the e-Evidence Regulation an order goes to the provider, not to an authority
    of the requested state, so the state's own channels do not decide; between states the
    Regulation does not bind, the channel is still refused."""
    by_post = ChannelRule(kind="central_authority", electronic=False, cite="doj-oia")
    table = us_table(state="DE", channels=[by_post])
    order = changed(requesting_state="FR", requested_state="DE", legal_basis="e-evidence",
                    channel="direct_provider")  # fmt: skip
    found = codes(run(order(BASE), book_with(table), today=dt.date(2026, 12, 5)))
    assert {"channel_not_accepted", "legal_basis_not_in_force"}.isdisjoint(found)
    from_qatar = changed(requesting_state="QA")
    refused = codes(run(from_qatar(order(BASE)), book_with(table), today=dt.date(2026, 12, 5)))
    assert "channel_not_accepted" in refused
    before_it_applies = codes(run(order(BASE), book_with(table), today=dt.date(2026, 8, 1)))
    assert "channel_not_accepted" in before_it_applies


@pytest.mark.parametrize(
    ("facts", "severity", "message"),
    [
        ("Fraud.", "error", "The summary of facts is very short (1 word)."),
        ("Email fraud.", "error", "The summary of facts is very short (2 words)."),
        (" ".join(["The suspect sent false invoices."] * 5), "warning", "(25 words)."),
    ],
)
def test_facts_below_the_floor_are_an_error_counted_in_words(
    facts: str, severity: str, message: str
) -> None:
    (found,) = [f for f in run(changed(facts=facts)(BASE)) if f.code.startswith("facts_")]
    assert found.severity == severity
    assert message in found.message


def test_the_word_count_is_worded_by_the_language_plural_rules() -> None:
    (found,) = [f for f in run(changed(facts="Fraud.")(BASE)) if f.code.startswith("facts_")]
    calls: list[tuple[str, str, int]] = []

    def ngettext(singular: str, plural: str, num: int, **params: object) -> str:
        calls.append((singular, plural, num))
        return (singular if num == 1 else plural) % params

    def gettext(message: str, **params: object) -> str:
        raise AssertionError("a message worded by a number goes through ngettext")

    assert "(1 word)" in found.translated(Speaker(gettext, ngettext, english_word))
    assert calls and calls[0][2] == 1 and "words" in calls[0][1]


def test_the_reviewers_example_of_an_overbroad_request_is_refused() -> None:
    """'All data of the account' from 2026-10-01 to 2099-12-31 once got 'No problems found'."""
    overbroad = changed(
        measures__0__details="All data of the account",
        measures__0__date_from="2026-10-01",
        measures__0__date_to="2099-12-31",
    )
    found = {f.code: f for f in run(overbroad(BASE))}
    assert found["date_range_in_future"].severity == "error"
    assert "2099-12-31" in found["date_range_in_future"].message
    assert found["measure_overbroad_wording"].severity == "warning"
    assert "'All data'" in found["measure_overbroad_wording"].message


def test_a_range_within_the_period_of_the_facts_and_up_to_today_is_accepted() -> None:
    found = codes(
        run(changed(measures__0__date_from="2026-02-01", measures__0__date_to="2026-05-31")(BASE))
    )
    assert {"date_range_in_future", "date_range_beyond_facts"}.isdisjoint(found)
    # Real-time collection looks ahead: a range ending in the future is what it is for.
    ahead = changed(measures__1__kind="realtime_traffic", measures__1__date_to="2027-03-01")
    assert "date_range_in_future" not in codes(run(ahead(BASE)))


def test_an_identifier_used_late_today_in_another_time_zone_is_not_in_the_future() -> None:
    late = changed(identifiers__1__observed_at="2026-11-22T23:50:00-05:00")
    assert "identifier_observed_in_future" not in codes(run(late(BASE)))


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("Between 3 and 10 March 2026", ["2026-03-10"]),
        ("on March 5, 2026 and on 2026-04-01", ["2026-03-05", "2026-04-01"]),
        ("le 1er mars 2026, puis le 02/03/2026", ["2026-03-01", "2026-03-02"]),
        ("el 2 de marzo de 2026", ["2026-03-02"]),
        ("في 15 مارس 2026", ["2026-03-15"]),
        ("in May 2025", ["2025-05-01", "2025-05-31"]),
        ("QAR 1,240,000 on invoice 2026/77 and 31/02/2026", []),
    ],
)
def test_the_days_named_in_the_facts_are_read_in_the_usual_forms(
    text: str, days: list[str]
) -> None:
    assert sorted(d.isoformat() for d in dates_in(text)) == sorted(days)


def test_month_names_match_whole_in_any_case_and_language() -> None:
    pattern = re.compile(trie_pattern(["march", "mar", "mars", "may", "mai"]))
    assert [w for w in ("march", "mar", "mars", "may", "mai") if pattern.fullmatch(w)] == [
        "march", "mar", "mars", "may", "mai",
    ]  # fmt: skip
    assert not any(pattern.fullmatch(w) for w in ("ma", "marc", "m", "maya"))
    longest = pattern.match("marchés")  # the longest name first; \b is the caller's
    assert longest is not None and longest.group() == "march"
    text = "3 MARCH 2025, Sept. 2024, le 1er Mars 2026, 12 февраля 2026, 4 أبريل 2026"
    assert sorted(d.isoformat() for d in dates_in(text)) == [
        "2024-09-01", "2024-09-30", "2025-03-03", "2026-02-12", "2026-03-01", "2026-04-04",
    ]  # fmt: skip


def test_a_refused_channel_names_the_accepted_ones_in_words() -> None:
    (found,) = [
        f for f in run(changed(channel="interpol")(BASE)) if f.code == "channel_not_accepted"
    ]
    assert "United States does not accept requests through this channel" in found.message
    assert "Central authority to central authority" in found.message
    assert "24/7 network" in found.message
    assert "central_authority" not in found.message


def test_a_basis_that_does_not_link_the_states_names_them() -> None:
    (found,) = [f for f in run(changed(legal_basis="eu-uk-tca")(BASE))
                if f.code == "legal_basis_not_in_force"]  # fmt: skip
    assert "Qatar is not a party to" in found.message


def test_records_alone_may_be_asked_of_a_us_provider_directly() -> None:
    records = changed(
        legal_basis="us-sca-voluntary",
        channel="direct_provider",
        measures=[{"kind": "traffic_data", "identifiers": [0, 1], "date_from": "2026-03-01",
                   "date_to": "2026-03-15", "details": "Login records with IP addresses."}],
    )(BASE)  # fmt: skip
    found = run(records)
    assert not {"legal_basis_beyond_reach", "channel_not_accepted"} & codes(found)
    # the statute was read in copies only, and the app says so
    assert "legal_basis_unverified" in codes(found)
    (beyond,) = [f for f in run(changed(legal_basis="us-sca-voluntary")(BASE))
                 if f.code == "legal_basis_beyond_reach"]  # fmt: skip
    assert "not Stored content" in beyond.message


def test_a_provider_in_the_requested_state_raises_nothing() -> None:
    assert "provider_elsewhere" not in codes(
        run(changed(identifiers__0__provider_state="US")(BASE))
    )
    (found,) = [f for f in run(changed(identifiers__0__provider_state="IE")(BASE))
                if f.code == "provider_elsewhere"]  # fmt: skip
    assert found.field == "identifiers[0].provider_state"
    assert found.message.startswith("Mailhost Inc. is established in Ireland, not in United States")


def test_without_a_rule_table_the_finding_names_the_checks_that_could_not_run() -> None:
    (found,) = [f for f in run(changed(requested_state="OM")(BASE)) if f.code == "no_rule_table"]
    assert found.severity == "warning"
    assert "There is no rule table for Oman yet" in found.message
    assert "only the legal basis and the request's own content were checked" in found.message
    for check in ("channels and languages", "dual criminality", "preservation periods"):
        assert check in found.message


def test_an_order_straight_to_a_provider_is_not_judged_by_the_states_rules_for_requests() -> None:
    # A French European Preservation Order to a provider in Ireland: Ireland's table says its
    # authorities preserve nothing for a foreign state, and asks an assurance for evidence, but
    # no Irish authority receives or executes the order.
    order = changed(
        requesting_state="FR",
        requested_state="IE",
        legal_basis="e-evidence",
        channel="direct_provider",
        measures__0__kind="preservation",
    )(BASE)
    found = run(order)
    codes = {f.code: f for f in found}
    assert "measure_not_possible" not in codes and "assurance_missing" not in codes
    note = codes["direct_order_table_not_applied"]
    assert note.severity == "info"
    assert "goes straight to the provider under Regulation (EU) 2023/1543" in note.message
    assert "the rules Ireland applies when its own authorities execute a request" in note.message
    # the same measure asked of the Irish authorities is still refused by their rules
    asked = changed(requested_state="IE", measures__0__kind="preservation")(BASE)
    assert "measure_not_possible" in {f.code for f in run(asked)}
