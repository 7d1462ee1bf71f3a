"""The read-only rules browser, per state and per measure."""

from __future__ import annotations

import pytest

from mlat.models import Role
from tests.conftest import (
    Client,
    LoginAs,
    PageClient,
    field_value,
    form_errors,
    rows,
    summary,
    text_of,
    texts,
)


def test_index_lists_states_with_unverified_counts(
    client_request: PageClient, login_as: LoginAs
) -> None:
    login_as(Role.officer)
    page = client_request.get("/rules/")
    states = {row[0]: row for row in rows(page)}
    assert "United States" in states
    assert "Qatar" in states
    assert any("unverified" in row[4] for row in states.values())
    # Nigeria's rules were read in copies of its laws only, which the list says
    assert "checked against a secondary source only" in states["Nigeria"][4]
    assert "checked against a secondary source only" not in states["France"][4]


def test_state_page_shows_sources_and_verification(
    client_request: PageClient, login_as: LoginAs
) -> None:
    login_as(Role.reviewer)
    page = client_request.get("/rules/US")
    assert text_of(page.h1) == "Rules for United States"
    assert "Office of International Affairs" in summary(page)["Name"]
    assert summary(page, "#measure-stored_content dl")["Threshold"] == "Probable cause"
    tags = texts(page, ".source .tag")
    assert any(tag.startswith("Verified") for tag in tags)
    assert "Unverified: not yet confirmed against a source" in tags
    assert any(str(a["href"]).startswith("https://") for a in page.select(".source a"))
    bases = " ".join(texts(page, "h2:-soup-contains('Legal bases') + ul li"))
    assert "Treaty between the United States" in bases or "Convention on Cybercrime" in bases


def test_measure_page_compares_states(client_request: PageClient, login_as: LoginAs) -> None:
    login_as(Role.officer)
    page = client_request.get("/rules/measure/stored_content")
    states = texts(page, "main section h2")
    assert "United States" in states and "Germany" in states


def test_unknown_state_or_measure_is_404(client: Client, login_as: LoginAs) -> None:
    login_as(Role.officer)
    assert client.get("/rules/ZZ").status_code == 404
    assert client.get("/rules/measure/telepathy").status_code == 404


def test_route_advisor_page(client_request: PageClient, login_as: LoginAs) -> None:
    login_as(Role.officer)
    page = client_request.get(
        "/rules/routes?requesting=GB&requested=US&measure=stored_content&urgent=y"
    )
    assert texts(page, "main h2") == ["Routes from United Kingdom to United States"]
    routes = " ".join(texts(page, "main h2 ~ *"))
    assert "24/7 network" in routes
    assert "Treaty between the United States" in routes or "mlat-gb-us" in routes
    bad = client_request.get("/rules/routes?requesting=XX&requested=US")
    assert form_errors(bad) == ["Choose a state from the list."]


def test_state_page_shows_what_each_instrument_covers_with_its_source(
    client_request: PageClient, login_as: LoginAs
) -> None:
    login_as(Role.officer)
    page = client_request.get("/rules/US")
    untoc = page.select_one("#instrument-untoc")
    assert untoc is not None
    assert "Scope: Serious crime" in text_of(untoc.select_one(".scope"))
    assert "(Art. 2(b), Art. 3(1)-(2), Art. 18(1))" in text_of(untoc.select_one(".scope"))
    assert "at least four years" in text_of(untoc.select_one(".scope ~ .source .source-quote"))
    scope_source = untoc.select_one(".scope ~ .source")
    assert scope_source is not None
    link = scope_source.select_one("a")
    assert link is not None and "kenyalaw.org" in str(link["href"])
    # read in a copy of the Convention, which the page says, with the article
    assert "secondary source" in text_of(scope_source.select_one("p"))
    assert "Art. 2(b)" in text_of(scope_source.select_one("p"))
    # the United States' own entry in the Convention's party list, read in an official source
    entry = untoc.select_one(".source")
    assert entry is not None
    assert "(primary source)" in text_of(entry)
    assert "Verified against a primary source on" in text_of(entry)
    mlat = page.select_one("#instrument-mlat-gb-us")  # no scope in the catalogue
    assert mlat is not None and mlat.select(".scope") == []


def test_state_page_shows_each_party_entry_with_its_source_and_declarations(
    client_request: PageClient, login_as: LoginAs
) -> None:
    login_as(Role.officer)
    page = client_request.get("/rules/NL")
    budapest = page.select_one("#instrument-budapest")
    assert budapest is not None
    assert text_of(budapest).startswith("Convention on Cybercrime")
    first = budapest.select_one(".source p")
    assert first is not None
    assert "(primary source)" in text_of(first)
    assert "Verified against a primary source on" in text_of(first)
    declarations = [text_of(d) for d in budapest.select(".declaration")]
    assert any(d.startswith("24/7 point of contact:") for d in declarations)
    # a party whose date the sources did not give is a party, not a signatory
    treaty = page.select_one("#instrument-mlat-au-nl")
    assert treaty is not None
    assert "a party; the date it took effect is not in the catalogue" in text_of(treaty)
    assert "signed, not in force" not in text_of(treaty)


def test_route_advisor_page_ranks_from_the_case_and_says_why(
    client_request: PageClient, login_as: LoginAs
) -> None:
    login_as(Role.officer)
    page = client_request.get(
        "/rules/routes?requesting=QA&requested=US&measure=stored_content&urgent=y"
        "&offence=Fraud&max_penalty_years=3"
    )
    routes = page.select("main ol > li[data-route]")
    assert routes, "routes listed"
    bases = [li["data-basis"] for li in routes]
    # A 3-year fraud: UNTOC needs 4 years, UNCAC is for corruption; reciprocity serves.
    assert bases[0] == "reciprocity" and bases[-1] == "uncac"
    assert "untoc" not in bases
    for li in routes:
        assert text_of(li.select_one(".why")).startswith("Why here:")
    unavailable = {str(li["data-basis"]): text_of(li) for li in page.select(".not-available li")}
    assert "at least 4 years" in unavailable["untoc"]
    assert "Qatar" in unavailable["budapest"]  # why no preservation through the 24/7 network
    same = client_request.get("/rules/routes?requesting=QA&requested=QA")
    assert "not mutual legal assistance" in text_of(same.select_one("main"))
    bad = client_request.get("/rules/routes?requesting=QA&requested=US&max_penalty_years=lots")
    assert form_errors(bad)


def test_reciprocity_reads_as_help_without_a_treaty_on_the_state_page(
    client_request: PageClient, login_as: LoginAs
) -> None:
    login_as(Role.officer)
    page = client_request.get("/rules/US")
    entry = page.select_one("#instrument-reciprocity")
    assert entry is not None
    assert "executes requests without a treaty" in text_of(entry)
    assert "signed, not in force" not in text_of(entry)


def test_route_advisor_page_weighs_an_emergency_and_where_the_provider_is(
    client_request: PageClient, login_as: LoginAs
) -> None:
    login_as(Role.officer)
    ask = "/rules/routes?requesting=GB&requested=US&measure=subscriber_info"
    page = client_request.get(ask)
    bases = [li["data-basis"] for li in page.select("main ol > li[data-route]")]
    assert "us-sca-voluntary" in bases and "cloud-gb-us" in bases
    voluntary = page.select_one('li[data-route="voluntary_disclosure"]')
    assert "Confirm that it applies before relying on it." in text_of(voluntary)
    assert "secondary" in text_of(voluntary).lower()  # the statute was read in copies

    elsewhere = client_request.get(ask + "&provider_state=IE")
    assert field_value(elsewhere, "provider_state") == "IE"
    bases = [li["data-basis"] for li in elsewhere.select("main ol > li[data-route]")]
    assert "us-sca-voluntary" not in bases and "cloud-gb-us" not in bases
    unavailable = {
        str(li["data-basis"]): text_of(li) for li in elsewhere.select(".not-available li")
    }
    assert "established in Ireland, not in United States" in unavailable["cloud-gb-us"]

    emergency = client_request.get(ask + "&danger_to_life=y")
    unavailable = {
        str(li["data-basis"]): text_of(li) for li in emergency.select(".not-available li")
    }
    assert (
        "Emergency co-operation (Art. 9, Art. 10) needs both states" in unavailable["budapest-2ap"]
    )
    blocked = text_of(emergency.select_one(".emergency-blocked"))
    assert blocked.startswith("No emergency procedure binds these two states.")
    assert "Second Additional Protocol" in blocked
    # and what the United States' own table says it does in an emergency, with its source
    practice = emergency.select_one(".emergency-practice")
    assert "What United States treats as an emergency" in text_of(practice)
    assert "Channel for emergencies: 24/7 network." in text_of(practice)
    assert practice is not None and practice.select_one(".source")
    calm = client_request.get(ask + "&urgent=y")
    assert calm.select_one(".emergency") is None
    bad = client_request.get(ask + "&provider_state=XX")
    assert "Choose a state from the list." in form_errors(bad)


def test_state_page_shows_when_an_instrument_applies_from_and_where_that_date_stands(
    client_request: PageClient, login_as: LoginAs
) -> None:
    login_as(Role.officer)
    page = client_request.get("/rules/FR")
    orders = page.select_one("#instrument-e-evidence")
    assert orders is not None
    assert text_of(orders.select_one(".applies-from")) == "Applies from: Aug 18, 2026"
    # the date was read only in a summary of the Regulation, which the page says
    source = orders.select_one(".applies-from + .source")
    assert source is not None
    assert "secondary source" in text_of(source.select_one("p"))
    assert "Application See Art 34.2" in text_of(source.select_one(".source-quote"))
    # France's own entry rests on the official list of Member States, with no date of its own
    entry = orders.select_one(".source")
    assert entry is not None and "Verified against a primary source on" in text_of(entry)
    assert "a party; the date it took effect is not in the catalogue" in text_of(orders)


def test_route_advisor_shows_the_declared_24_7_contact_with_its_source(
    client_request: PageClient, login_as: LoginAs
) -> None:
    login_as(Role.officer)
    page = client_request.get("/rules/routes?requesting=GB&requested=TO&measure=stored_content")
    contact = page.select_one("[data-route=preservation_24_7] .declared-contact")
    assert contact is not None
    assert "24/7 point of contact, as the Convention's records give it:" in text_of(contact)
    assert "Serious Organized Transnational Crime Unit" in text_of(contact)
    assert "Verified against a primary source on" in text_of(contact.select_one(".source"))


def test_compare_puts_the_chosen_states_side_by_side_with_their_sources(
    client_request: PageClient, login_as: LoginAs
) -> None:
    login_as(Role.officer)
    page = client_request.get("/rules/compare?states=AE&states=QA&dimension=preservation")
    assert texts(page, ".compare-table thead th") == ["Qatar", "United Arab Emirates"]
    cells = {str(td["data-state"]): td for td in page.select(".compare-table td")}
    assert set(cells) == {"AE", "QA"}
    for cell in cells.values():
        assert cell.select(".source .tag")  # each state's rule with how far it can be trusted
    assert text_of(page.select_one("main h2")) == "Preservation"


def test_compare_a_measure_across_a_region(client_request: PageClient, login_as: LoginAs) -> None:
    login_as(Role.officer)
    page = client_request.get("/rules/compare?region=Europe&dimension=measures.stored_content")
    states = texts(page, ".compare-table thead th")
    assert {"Germany", "France", "Netherlands", "Ireland", "United Kingdom"} <= set(states)
    assert "Qatar" not in states
    cells = {str(td["data-state"]): td for td in page.select(".compare-table td")}
    assert cells["DE"].select("dl.summary")
    # a state whose table has no rule for the measure says so
    empty = [td for td in cells.values() if not td.select("dl.summary")]
    assert all("No rule recorded for this measure." in text_of(td) for td in empty)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("states=QA&dimension=languages", "Choose two states or more, or a region."),
        ("states=QA&states=QA&dimension=languages", "Choose two states or more, or a region."),
        ("dimension=languages", "Choose two states or more, or a region."),
        ("states=QA&states=XX&dimension=languages", "Choose states from the list."),
        ("states=QA&states=AE&dimension=telepathy", "Choose what to compare from the list."),
        ("region=Atlantis&dimension=languages", "Choose a region from the list."),
    ],
)
def test_compare_says_what_is_wrong_and_keeps_the_choice(
    client_request: PageClient, login_as: LoginAs, query: str, message: str
) -> None:
    login_as(Role.officer)
    page = client_request.get(f"/rules/compare?{query}")
    assert any(message in e for e in form_errors(page))
    assert page.select(".compare-table") == []
    if "states=QA" in query:
        box = page.select_one("#states-QA")
        assert box is not None and box.has_attr("checked")


def test_a_contact_field_no_source_gives_says_it_is_unknown(
    client_request: PageClient, login_as: LoginAs
) -> None:
    login_as(Role.officer)
    page = client_request.get("/rules/AE")
    central = summary(page)
    # the UAE's central authority: the law names it, no official page gives its address
    assert central["Address"] == "Unknown: not found in any official source read"
    assert "Ministry of Justice" in central["Name"]


def test_what_a_measure_requires_of_the_request_is_said_in_words(
    client_request: PageClient, login_as: LoginAs
) -> None:
    login_as(Role.officer)
    page = client_request.get("/rules/LU")
    required = summary(page, "#measure-stored_content dl")["The request must give"]
    assert required == (
        "a summary of the facts; the link between the evidence and the offence; each offence "
        "with its statutory provision; the identifiers concerned; the service provider holding "
        "the data; a bounded date range"
    )


def test_every_field_a_rule_table_can_require_has_words() -> None:
    from typing import get_args

    from mlat.labels import REQUIRED_FIELD_LABELS
    from mlat.rules.schema import RequiredField

    assert set(REQUIRED_FIELD_LABELS) == set(get_args(RequiredField))


def test_languages_accepted_are_named_not_coded(
    client_request: PageClient, login_as: LoginAs
) -> None:
    login_as(Role.officer)
    page = client_request.get("/rules/MA")
    assert "Accepted: Arabic, French." in text_of(page.select_one("main"))
    index = text_of(client_request.get("/rules/").select_one("main"))
    assert "Arabic, French" in index and "ar, fr" not in index


def test_each_measure_says_whom_to_send_it_to_and_in_which_languages(
    client_request: PageClient, login_as: LoginAs
) -> None:
    """Like an EJN fiche, each measure is read on its own: where it goes, in which language."""
    login_as(Role.officer)
    page = client_request.get("/rules/CH")
    preservation = summary(page, "#measure-preservation dl")
    assert preservation["Send the request to"].startswith("Federal Office of Justice (FOJ)")
    assert preservation["Languages accepted"] == "German, French, Italian"
    stored = summary(page, "#measure-stored_content dl")
    assert stored["Send the request to"].startswith("Federal Office of Justice (FOJ / Bundesamt")
    # Sweden is in the 24/7 Network, but the sources read do not name its point of contact.
    sweden = summary(client_request.get("/rules/SE"), "#measure-preservation dl")
    assert sweden["Send the request to"].startswith("The 24/7 point of contact, not named")
    compared = client_request.get("/rules/measure/preservation")
    assert "Send the request to" in text_of(compared.select_one("main"))
