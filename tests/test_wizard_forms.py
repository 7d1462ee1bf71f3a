"""Each wizard step's form: valid input is saved, each kind of bad input is shown at its
field with an error summary, what was typed stays, and nothing is saved."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import Session

from forms.wizard.persons import parse_zone
from mlat.models import MlaRequest, Role
from mlat.rules.loader import rulebook
from tests.conftest import (
    Client,
    LoginAs,
    MakeRequest,
    PageClient,
    check_page,
    field_value,
    form_errors,
    text_of,
    texts,
)
from tests.wizard_helpers import example_content, step_data

CHOICES = {
    "requested_state",
    "legal_basis",
    "channel",
    "document",
    "language",
    "kind",
    "nationality",
    "provider_state",
}
LONG_LINE = "x" * 501
LONG_TEXT = "word " * 4001  # 20,005 characters


def _post(client: Client, request: MlaRequest, step: str, changes: dict[str, Any]) -> Any:
    data = {**step_data(step), **changes, "version": str(request.version)}
    return client.submit(f"/requests/{request.id}/wizard/{step}", data)


@pytest.fixture
def draft(login_as: LoginAs, make_request: MakeRequest) -> MlaRequest:
    return make_request(login_as(Role.officer), content=example_content())


@pytest.mark.parametrize(
    "step", ["route", "offences", "facts", "persons", "measures", "safeguards"]
)
def test_valid_input_is_saved_and_leads_to_the_next_step(
    client: Client, draft: MlaRequest, db: Session, step: str
) -> None:
    response = _post(client, draft, step, {})
    assert response.status_code == 302
    assert "/wizard/" in response.location
    db.expire_all()
    assert db.get_one(MlaRequest, draft.id).content == example_content()  # same input, same content


@pytest.mark.parametrize(
    ("step", "changes", "field_id", "message"),
    [
        ("route", {"requested_state": "XX"}, "requested_state", "Choose a state from the list."),
        ("route", {"requested_state": ""}, "requested_state", "Choose the requested state."),
        ("route", {"title": "T" * 201}, "title", "Use at most 200 characters."),
        (
            "route",
            {"legal_basis": "made-up-treaty"},
            "legal_basis",
            "Choose a legal basis from the list.",
        ),
        ("route", {"channel": "pigeon"}, "channel", "Choose a channel from the list."),
        ("route", {"document": "fax"}, "document", "Choose one of the options."),
        (
            "persons",
            {"identifiers-0-provider_state": "XX"},
            "identifiers-0-provider_state",
            "Choose a state from the list.",
        ),
        ("route", {"language": "xx"}, "language", "Choose a language from the list."),
        ("route", {"translations": "english"}, "translations", "Not a language code: english."),
        (
            "route",
            {"requesting_authority-email": "prosecution at pp.qa"},
            "requesting_authority-email",
            "Enter an e-mail address such as name@example.org.",
        ),
        (
            "route",
            {"requesting_authority-timezone": "Doha time"},
            "requesting_authority-timezone",
            "Enter a time zone name such as Asia/Qatar",
        ),
        (
            "route",
            {"requesting_authority-name": LONG_LINE},
            "requesting_authority-name",
            "Use at most 500 characters.",
        ),
        (
            "offences",
            {"offences-0-name": ""},
            "offences-0-name",
            "Name the offence, or remove this row.",
        ),
        (
            "offences",
            {"offences-0-max_penalty_years": "three"},
            "offences-0-max_penalty_years",
            "Enter a number, for example 3 or 0.5.",
        ),
        (
            "offences",
            {"offences-0-max_penalty_years": "150"},
            "offences-0-max_penalty_years",
            "Enter a number of years from 0 to 100.",
        ),
        (
            "offences",
            {"offences-0-citation": LONG_LINE},
            "offences-0-citation",
            "Use at most 500 characters.",
        ),
        ("facts", {"facts": LONG_TEXT}, "facts", "Use at most 20000 characters."),
        (
            "persons",
            {"identifiers-1-value": "198.51.100.300"},
            "identifiers-1-value",
            "Enter an IP address such as 198.51.100.23",
        ),
        (
            "persons",
            {"identifiers-0-value": "finance.alwaha at mailhost"},
            "identifiers-0-value",
            "Enter an e-mail address such as name@example.org.",
        ),
        (
            "persons",
            {"identifiers-1-observed_at": ""},
            "identifiers-1-observed_at",
            "Give the date and time the IP address was used",
        ),
        (
            "persons",
            {"identifiers-1-observed_at": "2026-02-30T10:00"},
            "identifiers-1-observed_at",
            "Enter a real date and time",
        ),
        (
            "persons",
            {"identifiers-1-observed_tz": ""},
            "identifiers-1-observed_tz",
            "Give the time zone of this time",
        ),
        (
            "persons",
            {"identifiers-1-observed_tz": "Qatar/Doha"},
            "identifiers-1-observed_tz",
            "Enter a time zone name such as Asia/Qatar or an offset",
        ),
        (
            "persons",
            {"identifiers-1-observed_tz": "+25:00"},
            "identifiers-1-observed_tz",
            "Enter a time zone name such as Asia/Qatar or an offset",
        ),
        (
            "persons",
            {"persons-0-date_of_birth": "1990-02-30"},
            "persons-0-date_of_birth",
            "Enter a real date.",
        ),
        (
            "persons",
            {"persons-0-date_of_birth": "2999-01-01"},
            "persons-0-date_of_birth",
            "The date of birth is in the future.",
        ),
        (
            "persons",
            {"persons-0-nationality": "XX"},
            "persons-0-nationality",
            "Choose a state from the list.",
        ),
        (
            "measures",
            {"measures-0-date_to": "2026-02-01"},
            "measures-0-date_to",
            "The end date is before the start date.",
        ),
        (
            "measures",
            {"measures-0-date_from": "2026-13-01"},
            "measures-0-date_from",
            "Enter a real date.",
        ),
        (
            "measures",
            {"measures-0-kind": ""},
            "measures-0-kind",
            "Choose the kind of measure, or remove this row.",
        ),
        (
            "measures",
            {"measures-0-kind": "telepathy"},
            "measures-0-kind",
            "Choose a kind of measure from the list.",
        ),
        (
            "measures",
            {"measures-0-identifiers": ["7"]},
            "measures-0-identifiers",
            "Choose from the options shown.",
        ),
        (
            "safeguards",
            {"preservation-expires_on": "2020-01-01"},
            "preservation-expires_on",
            "The preservation cannot expire before it was requested.",
        ),
        ("safeguards", {"urgency-deadline": "tomorrow"}, "urgency-deadline", "Enter a real date"),
        ("safeguards", {"assurances": ["amnesty"]}, "assurances", "Choose from the options shown."),
        (
            "safeguards",
            {"signatory-name": LONG_LINE},
            "signatory-name",
            "Use at most 500 characters.",
        ),
    ],
)
def test_bad_input_is_shown_at_its_field_and_nothing_is_saved(
    client: Client,
    draft: MlaRequest,
    db: Session,
    step: str,
    changes: dict[str, Any],
    field_id: str,
    message: str,
) -> None:
    response = _post(client, draft, step, changes)
    assert response.status_code == 200
    page = check_page(response)
    assert text_of(page.select_one(".error-summary h2")) == "There is a problem"
    summary = [(a["href"], text_of(a)) for a in page.select(".error-summary li a")]
    assert any(  # in the summary
        href == f"#{field_id}" and shown.startswith(message) for href, shown in summary
    ), summary
    assert message in text_of(page.select_one(f"#{field_id}-error"))  # and at the field
    for name, value in changes.items():
        if isinstance(value, str) and value and name.rsplit("-", 1)[-1] not in CHOICES:
            assert field_value(page, name) == value  # what was typed is still there
    db.expire_all()
    saved = db.get_one(MlaRequest, draft.id)
    assert saved.version == 1
    assert saved.content == example_content()


def test_blank_rows_are_left_out_and_a_half_filled_row_is_not(
    client: Client, draft: MlaRequest, db: Session
) -> None:
    data = {"offences-1-name": "", "offences-1-citation": "", "offences-1-max_penalty_years": ""}
    assert _post(client, draft, "offences", data).status_code == 302
    db.expire_all()
    assert len(db.get_one(MlaRequest, draft.id).content["offences"]) == 1

    half = _post(client, draft, "offences", {"offences-1-citation": "Penal Code, art. 5"})
    assert form_errors(check_page(half)) == ["Name the offence, or remove this row."]
    assert text_of(check_page(half).select_one("#offences-1-name-error")) == (
        "Name the offence, or remove this row."
    )


def test_ip_time_is_stored_with_the_offset_of_its_time_zone(
    client: Client, draft: MlaRequest, db: Session
) -> None:
    changes = {
        "identifiers-1-observed_at": "2026-07-01T09:30:00",
        "identifiers-1-observed_tz": "Europe/London",  # summer time: +01:00
    }
    assert _post(client, draft, "persons", changes).status_code == 302
    db.expire_all()
    stored = db.get_one(MlaRequest, draft.id).content["identifiers"][1]["observed_at"]
    assert stored == "2026-07-01T09:30:00+01:00"
    page = check_page(client.get(f"/requests/{draft.id}/wizard/persons"))
    assert field_value(page, "identifiers-1-observed_at") == "2026-07-01T09:30:00"
    assert field_value(page, "identifiers-1-observed_tz") == "+01:00"


@pytest.mark.parametrize(
    ("text", "offset"),
    [("Asia/Qatar", "+03:00"), ("+03:00", "+03:00"), ("-0530", "-05:30"), ("UTC", "+00:00"),
     ("GMT+4", "+04:00"), ("Z", "+00:00")],
)  # fmt: skip
def test_time_zones_are_names_or_offsets(text: str, offset: str) -> None:
    import datetime as dt

    zone = parse_zone(text)
    assert zone is not None
    when = dt.datetime(2026, 1, 15, 12, 0, tzinfo=zone)
    assert when.isoformat().endswith(offset)


@pytest.mark.parametrize("text", ["", "Doha", "Asia/Doha", "+15:00", "+03:75", "3 hours"])
def test_other_time_zones_are_refused(text: str) -> None:
    assert parse_zone(text) is None


def test_measure_page_shows_the_requested_states_rule_beside_each_measure(
    client_request: PageClient, draft: MlaRequest
) -> None:
    page = client_request.get(f"/requests/{draft.id}/wizard/measures")
    first = text_of(page.select_one("#measures-0"))
    assert "Probable cause" in first  # US stored content
    assert "A U.S. judge must find probable cause." in first
    # with the rule's source, where in it the rule stands, and how far it can be relied on
    assert "Source:" in first
    assert "Checked against a secondary source only" in first  # read in a commentary
    second = text_of(page.select_one("#measures-1"))
    assert "Specific and articulable facts" in second
    assert "Probable cause" not in second


def test_facts_page_explains_the_threshold_of_the_chosen_measures(
    client_request: PageClient, draft: MlaRequest
) -> None:
    page = client_request.get(f"/requests/{draft.id}/wizard/facts")
    aside = page.select_one("aside.wizard-aside")
    assert aside is not None
    assert "Probable cause" in text_of(aside) and "Specific and articulable facts" in text_of(aside)
    assert "State specific, recent facts" in text_of(aside)
    assert aside.select(".source")


def test_safeguards_page_shows_the_preservation_period_and_required_assurances(
    client_request: PageClient, draft: MlaRequest
) -> None:
    page = client_request.get(f"/requests/{draft.id}/wizard/safeguards")
    [guidance] = [g for g in texts(page, "#preservation .guidance") if "Preservation in" in g]
    assert "Data is preserved for 90 days." in guidance
    assert "It can be extended by 90 days." in guidance


def test_route_page_lists_the_advised_routes_and_receiving_authority(
    client_request: PageClient, draft: MlaRequest
) -> None:
    page = client_request.get(f"/requests/{draft.id}/wizard/route")
    assert "Office of International Affairs, Criminal Division" in text_of(
        page.select_one("aside.wizard-aside")
    )
    in_force = page.select("#legal-bases-linking label")
    assert (
        "United Nations Convention against Transnational Organized Crime (New York, 15 "
        "November 2000; MTDSG XVIII-12)" in [text_of(label) for label in in_force]
    )


def test_every_step_labels_every_input(client_request: PageClient, draft: MlaRequest) -> None:
    for step in ["route", "offences", "facts", "persons", "measures", "safeguards", "annexes"]:
        page = client_request.get(f"/requests/{draft.id}/wizard/{step}")
        labelled = {str(label["for"]) for label in page.select("label[for]")}
        fields = page.select("input[id], select[id], textarea[id]")
        assert fields, step
        for field in fields:
            if field.get("type") == "hidden":
                continue
            assert field["id"] in labelled, (step, field["id"])


def test_the_providers_country_is_saved_shown_and_weighed_by_the_route_advisor(
    client: Client, client_request: PageClient, draft: MlaRequest, db: Session
) -> None:
    response = _post(client, draft, "persons", {"identifiers-0-provider_state": "IE"})
    assert response.status_code == 302
    db.expire_all()
    saved = db.get_one(MlaRequest, draft.id)
    assert saved.content["identifiers"][0]["provider_state"] == "IE"
    assert saved.content["identifiers"][1].get("provider_state") is None
    page = client_request.get(f"/requests/{draft.id}/wizard/persons")
    assert field_value(page, "identifiers-0-provider_state") == "IE"
    check = client_request.get(f"/requests/{draft.id}/wizard/check")
    assert "Mailhost Inc. (established in Ireland)" in text_of(check.select_one(".identifiers"))
    # the check names the mismatch in words, on the identifier's field
    assert any(
        "Mailhost Inc. is established in Ireland, not in United States" in t
        for t in texts(check, ".finding")
    )


def test_an_emergency_is_saved_and_the_route_step_names_the_emergency_procedure(
    client: Client, client_request: PageClient, draft: MlaRequest, db: Session
) -> None:
    emergency = {
        "urgency-urgent": "y",
        "urgency-danger_to_life": "y",
        "urgency-reason": "The victim's staff receive threats of violence from the account.",
        "urgency-deadline": "2026-12-20",
    }
    assert _post(client, draft, "safeguards", emergency).status_code == 302
    db.expire_all()
    urgency = db.get_one(MlaRequest, draft.id).content["urgency"]
    assert urgency["urgent"] and urgency["danger_to_life"]
    route = client_request.get(f"/requests/{draft.id}/wizard/route")
    unavailable = texts(route, ".not-available li")
    assert any(
        t.startswith("Second Additional Protocol")
        and "Emergency co-operation (Art. 9, Art. 10)" in t
        for t in unavailable
    ), unavailable
    check = client_request.get(f"/requests/{draft.id}/wizard/check")
    assert "A person's life or physical safety is at risk." in text_of(check)


def test_an_emergency_that_is_not_marked_urgent_is_an_error_in_words(
    client: Client, client_request: PageClient, draft: MlaRequest
) -> None:
    assert _post(client, draft, "safeguards", {"urgency-danger_to_life": "y"}).status_code == 302
    check = client_request.get(f"/requests/{draft.id}/wizard/check")
    assert any(
        "A risk to a person's life or safety makes the request urgent" in t
        for t in texts(check, ".finding")
    )


def test_the_contact_validation_and_remedy_fields_are_saved_and_shown(
    client: Client, client_request: PageClient, draft: MlaRequest, db: Session
) -> None:
    route = {
        "requesting_authority-mobile": "+974 5550 0001",
        "requesting_authority-fax": "+974 4440 0002",
        "requesting_authority-preferred_response": "email",
        "requesting_authority-languages": "ar; en",
        "requesting_authority-backup_name": "Aisha Al-Marri",
        "requesting_authority-backup_email": "aisha@pp.qa",
        "validating_authority-name": "Court of First Instance, Doha",
        "validating_authority-person": "Judge H. Al-Naimi",
        "investigating_authority-name": "Cybercrime Unit, Ministry of Interior",
        "investigating_authority-person": "Captain S. Al-Thani",
        "investigating_authority-mobile": "+974 5550 0009",
    }
    assert _post(client, draft, "route", route).status_code == 302
    db.expire_all()
    draft = db.get_one(MlaRequest, draft.id)
    assert _post(client, draft, "persons", {"persons-1-address": "Al Sadd Street 12, Doha",
                                            "persons-1-identity_documents": "Passport P1234567"}
                 ).status_code == 302  # fmt: skip
    db.expire_all()
    draft = db.get_one(MlaRequest, draft.id)
    remedies = {"legal_remedies": "No remedy has been sought in Qatar."}
    assert _post(client, draft, "safeguards", remedies).status_code == 302
    db.expire_all()
    content = db.get_one(MlaRequest, draft.id).content
    authority = content["requesting_authority"]
    assert authority["languages"] == ["ar", "en"] and authority["preferred_response"] == "email"
    assert authority["backup_contact"] == {
        "name": "Aisha Al-Marri", "phone": "", "email": "aisha@pp.qa"
    }  # fmt: skip
    assert content["validating_authority"]["person"] == "Judge H. Al-Naimi"
    assert content["investigating_authority"] == {
        "name": "Cybercrime Unit, Ministry of Interior", "person": "Captain S. Al-Thani",
        "address": "", "phone": "", "mobile": "+974 5550 0009", "email": "", "fax": "",
    }  # fmt: skip
    assert content["persons"][1]["identity_documents"] == "Passport P1234567"
    assert content["legal_remedies"] == "No remedy has been sought in Qatar."
    page = client_request.get(f"/requests/{draft.id}/wizard/route")
    assert field_value(page, "requesting_authority-languages") == "ar, en"
    assert field_value(page, "requesting_authority-backup_name") == "Aisha Al-Marri"
    shown = text_of(client_request.get(f"/requests/{draft.id}/wizard/check").select_one("main"))
    for expected in (
        "Languages of correspondence Arabic, English",
        "Preferred means of response By e-mail",
        "Second contact Aisha Al-Marri · aisha@pp.qa",
        "Validated by Court of First Instance, Doha · Judge H. Al-Naimi",
        "Investigating authority Cybercrime Unit, Ministry of Interior · Captain S. Al-Thani",
        "Passport P1234567",
        "Legal remedies No remedy has been sought in Qatar.",
    ):
        assert expected.replace(" ", "") in shown.replace(" ", ""), expected


def test_an_unknown_language_of_correspondence_is_refused_at_its_field(
    client: Client, draft: MlaRequest
) -> None:
    response = _post(client, draft, "route", {"requesting_authority-languages": "arabic"})
    assert response.status_code == 200
    page = check_page(response)
    assert any("Not a language code: arabic." in e for e in form_errors(page))
    assert "Not a language code: arabic." in text_of(
        page.select_one("#requesting_authority-languages-error")
    )
    assert field_value(page, "requesting_authority-languages") == "arabic"


def test_an_error_resting_on_an_unverified_rule_shows_as_a_warning_that_says_why(
    client_request: PageClient, draft: MlaRequest, db: Session
) -> None:
    # Singapore's table lists its channels from sources not yet read against a primary
    # text: a channel it does not list is a likely problem, not a blocking one.
    draft.requested_state = "SG"
    draft.content = {**draft.content, "channel": "interpol"}
    db.add(draft)
    db.commit()
    check = client_request.get(f"/requests/{draft.id}/wizard/check")
    (item,) = [
        f for f in check.select(".finding") if "does not accept requests through this" in text_of(f)
    ]
    assert "finding-warning" in item["class"]
    assert "Shown as a warning, not an error: the rule behind it has not been verified" in (
        text_of(item)
    )


def test_the_addressee_details_are_saved_shown_and_clear_the_finding(
    client: Client, client_request: PageClient, draft: MlaRequest, db: Session
) -> None:
    # The United States' table gives its central authority no postal or e-mail address.
    blank = {f"addressee-{k}": "" for k in ("name", "address", "email", "phone")}
    assert _post(client, draft, "route", blank).status_code == 302
    page = client_request.get(f"/requests/{draft.id}/wizard/route")
    notes = text_of(page.select_one("#addressee"))
    assert "The request goes to the central authority of United States." in notes
    assert "The packet names: Office of International Affairs" in notes
    assert "no postal or e-mail address for the authority the request is addressed to" in notes

    db.expire_all()
    draft = db.get_one(MlaRequest, draft.id)
    given = {**blank, "addressee-address": "950 Pennsylvania Avenue NW, Washington, DC"}
    assert _post(client, draft, "route", given).status_code == 302
    db.expire_all()
    saved = db.get_one(MlaRequest, draft.id).content["addressee"]
    assert saved["address"] == "950 Pennsylvania Avenue NW, Washington, DC"
    page = client_request.get(f"/requests/{draft.id}/wizard/route")
    assert field_value(page, "addressee-address") == saved["address"]
    assert "no postal or e-mail address" not in text_of(page.select_one("#addressee"))
    check = client_request.get(f"/requests/{draft.id}/wizard/check")
    assert "950 Pennsylvania Avenue NW, Washington, DC" in text_of(check.select_one("main"))


def test_the_check_page_says_which_document_the_request_becomes(
    client_request: PageClient, draft: MlaRequest, db: Session
) -> None:
    def produced() -> str:
        check = client_request.get(f"/requests/{draft.id}/wizard/check")
        (term,) = [t for t in check.select("dt") if text_of(t) == "Document produced"]
        return text_of(term.find_next_sibling("dd"))

    assert produced() == "A request for mutual legal assistance in criminal matters"
    draft.content = {
        **draft.content,
        "legal_basis": "budapest",
        "channel": "network_24_7",
        "measures": [{"kind": "preservation", "identifiers": [0]}],
    }
    db.add(draft)
    db.commit()
    assert produced().startswith(
        "A request for expedited preservation of stored computer data under Article 29 of the "
        "Convention on Cybercrime"
    )
    draft.content = {
        **draft.content,
        "channel": "central_authority",
        "measures": [{"kind": "subscriber_info", "identifiers": [0]}],
    }
    db.add(draft)
    db.commit()
    assert produced() == (
        "A request for mutual legal assistance for subscriber information under Article 31 of "
        "the Convention on Cybercrime"
    )


def test_the_officer_chooses_the_document_and_a_wrong_choice_is_named(
    client: Client, client_request: PageClient, draft: MlaRequest, db: Session
) -> None:
    assert _post(client, draft, "route", {"document": "preservation"}).status_code == 302
    db.expire_all()
    draft = db.get_one(MlaRequest, draft.id)
    assert draft.content["document"] == "preservation"
    page = client_request.get(f"/requests/{draft.id}/wizard/route")
    assert field_value(page, "document") == "preservation"
    assert any(
        "asks only for data to be preserved, under the Convention on Cybercrime" in t
        for t in texts(page, ".finding")
    )
    db.expire_all()
    assert (
        _post(
            client, db.get_one(MlaRequest, draft.id), "route", {"document": "subscriber"}
        ).status_code
        == 302
    )
    page = client_request.get(f"/requests/{draft.id}/wizard/route")
    assert field_value(page, "document") == "subscriber"
    assert any(
        "asks only for subscriber information, under the Convention on Cybercrime" in t
        for t in texts(page, ".finding")
    )
    db.expire_all()
    assert (
        _post(client, db.get_one(MlaRequest, draft.id), "route", {"document": "mla"}).status_code
        == 302
    )
    db.expire_all()
    assert db.get_one(MlaRequest, draft.id).content["document"] == "mla"


def test_the_route_step_shows_the_24_7_contact_as_receiving_authority_through_the_network(
    client_request: PageClient, draft: MlaRequest, db: Session
) -> None:
    draft.content = {**draft.content, "channel": "network_24_7"}
    db.add(draft)
    db.commit()
    aside = text_of(
        client_request.get(f"/requests/{draft.id}/wizard/route").select_one("aside.wizard-aside")
    )
    assert "Receiving authority: 24/7 point of contact" in aside
    assert "Computer Crime and Intellectual Property Section (CCIPS)" in aside


def test_an_identifiers_provider_is_offered_from_the_directory_and_suggested_by_its_domain(
    client: Client, client_request: PageClient, draft: MlaRequest, db: Session
) -> None:
    page = client_request.get(f"/requests/{draft.id}/wizard/persons")
    box = page.select_one('[name="identifiers-0-provider"]')
    assert box is not None and box["list"] == "directory-providers"
    offered = [str(o["value"]) for o in page.select("datalist#directory-providers option")]
    assert "Meta Platforms" in offered and len(offered) == len(rulebook().providers)
    changes = {"identifiers-0-value": "finance.alwaha@facebook.com", "identifiers-0-provider": ""}
    assert _post(client, draft, "persons", changes).status_code == 302
    page = client_request.get(f"/requests/{draft.id}/wizard/persons")
    notes = text_of(page.select_one("#identifiers-0-provider-notes"))
    assert "facebook.com is a domain of Meta Platforms" in notes
    db.expire_all()
    draft = db.get_one(MlaRequest, draft.id)
    assert (
        _post(client, draft, "persons", {"identifiers-0-provider": "Meta Platforms"}).status_code
        == 302
    )
    page = client_request.get(f"/requests/{draft.id}/wizard/persons")
    assert page.select_one("#identifiers-0-provider-notes") is None
    # the route step says whom a formal request for the provider's data concerns
    route = client_request.get(f"/requests/{draft.id}/wizard/route")
    assert "Meta Platforms Ireland Limited" in text_of(route.select_one(".provider-advice"))
