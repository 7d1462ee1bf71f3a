"""The route step offers as legal bases exactly the instruments that link the unit's
state and the requested state; every other instrument is behind a disclosure that works
without JavaScript, with the reason it does not apply."""

from __future__ import annotations

import datetime as dt

import pytest
from bs4 import BeautifulSoup
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from mlat.dates import local_today
from mlat.models import MlaRequest, Role
from mlat.request_format import RequestDocument
from mlat.rules.instruments import basis_choices, link, linking_instruments
from mlat.rules.loader import rulebook
from mlat.rules.routes import Case, advise
from tests.conftest import Client, LoginAs, MakeRequest, MakeUnit, PageClient, text_of
from tests.wizard_helpers import example_content, saved_request, step_data

STATES = sorted(rulebook().states)
PAIRS = [("QA", "US"), ("GB", "US"), ("FR", "DE"), ("IN", "SG"), ("NG", "GB"), ("QA", "AE")]


def offered(page: BeautifulSoup) -> list[str]:
    """The legal bases offered outright, outside the "Show all instruments" disclosure."""
    return [str(i["value"]) for i in page.select("#legal-bases-linking input[name=legal_basis]")]


def behind_disclosure(page: BeautifulSoup) -> dict[str, str]:
    """Each instrument behind the disclosure, with the reason shown beside it."""
    return {
        str(item.select_one("input")["value"]): text_of(item.select_one(".reason"))  # type: ignore[index]
        for item in page.select("details#legal-bases-others li")
    }


def draft_document(draft: MlaRequest) -> RequestDocument:
    return RequestDocument.model_validate(
        {**draft.content, "requested_state": draft.requested_state}
    )


@pytest.mark.parametrize(("requesting", "requested"), PAIRS)
def test_route_step_offers_exactly_the_instruments_linking_the_two_states(
    client_request: PageClient,
    login_as: LoginAs,
    make_unit: MakeUnit,
    make_request: MakeRequest,
    requesting: str,
    requested: str,
) -> None:
    unit = make_unit(state=requesting)
    draft = make_request(login_as(Role.officer, unit_=unit), requested_state=requested)
    today = local_today(unit)
    page = client_request.get(f"/requests/{draft.id}/wizard/route")

    catalogue = rulebook().instruments
    bases = offered(page)
    for slug in bases:
        lk = link(catalogue, slug, requesting, requested, today)
        assert lk is not None and lk.linked, (slug, requesting, requested)
    linking = [lk.slug for lk in linking_instruments(catalogue, requesting, requested, today)]
    assert sorted(bases) == sorted(linking)
    # In the advisor's order for the case: the bases of its routes first.
    advice = advise(rulebook(), Case.of(draft_document(draft), requesting), today)
    ranked = list(dict.fromkeys(r.legal_basis for r in advice.routes))
    assert bases[: len(ranked)] == ranked

    others = behind_disclosure(page)
    assert set(bases) | set(others) == set(catalogue.instruments)
    assert not set(bases) & set(others)
    for slug, reason in others.items():
        lk = link(catalogue, slug, requesting, requested, today)
        assert lk is not None and reason == lk.reason % lk.reason_params


def test_each_offered_basis_shows_whether_its_party_data_is_verified(
    client_request: PageClient, login_as: LoginAs, make_request: MakeRequest
) -> None:
    draft = make_request(login_as(Role.officer), requested_state="US")  # from Qatar
    page = client_request.get(f"/requests/{draft.id}/wizard/route")
    items = {
        str(li.select_one("input")["value"]): text_of(li.select_one(".tag"))  # type: ignore[index]
        for li in page.select("#legal-bases-linking li")
    }
    links = linking_instruments(rulebook().instruments, "QA", "US", dt.date.today())
    assert {lk.slug for lk in links if lk.verified} == {"reciprocity"}
    assert items["reciprocity"] == "Party data verified"
    # Qatar's and the United States' UNTOC entries were read in copies of the chart only
    assert items["untoc"].startswith("Party data unverified")
    for lk in links:
        assert items[lk.slug].startswith("Party data verified" if lk.verified else "Party data un")


def test_the_other_instruments_sit_in_a_closed_disclosure_until_one_is_chosen(
    client: Client, client_request: PageClient, login_as: LoginAs, make_request: MakeRequest
) -> None:
    draft: MlaRequest = make_request(login_as(Role.officer), content=example_content())
    page = client_request.get(f"/requests/{draft.id}/wizard/route")
    disclosure = page.select_one("details#legal-bases-others")
    assert disclosure is not None and not disclosure.has_attr("open")
    assert text_of(disclosure.select_one("summary")) == "Show all instruments"
    assert "budapest" in behind_disclosure(page)  # Qatar is no party to it
    assert page.select_one('#legal-bases-linking input[value="untoc"]').has_attr("checked")  # type: ignore[union-attr]

    data = {**step_data("route"), "legal_basis": "budapest", "version": str(draft.version)}
    assert client.submit(f"/requests/{draft.id}/wizard/route", data).status_code == 302
    page = client_request.get(f"/requests/{draft.id}/wizard/route")
    disclosure = page.select_one("details#legal-bases-others")
    assert disclosure is not None and disclosure.has_attr("open")
    assert disclosure.select_one('input[value="budapest"]').has_attr("checked")  # type: ignore[union-attr]
    # The choice is kept, and the engine says why it does not hold.
    notes = text_of(page.select_one("#legal_basis-notes"))
    # The Convention's party list in the catalogue is incomplete: a warning, not a refusal.
    assert "Qatar was not found among the parties to Convention on Cybercrime" in notes
    assert "may be incomplete" in notes


@settings(max_examples=60, deadline=None)
@given(
    requesting=st.sampled_from(STATES),
    requested=st.sampled_from(STATES),
    today=st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)),
)
def test_every_basis_offered_for_a_pair_links_that_pair(
    requesting: str, requested: str, today: dt.date
) -> None:
    catalogue = rulebook().instruments
    choices = basis_choices(catalogue, requesting, requested, today)
    for lk in choices.linking:
        again = link(catalogue, lk.slug, requesting, requested, today)
        assert again is not None and again.linked
    for lk in choices.others:
        assert not lk.linked and lk.reason
    slugs = [lk.slug for lk in [*choices.linking, *choices.others]]
    assert sorted(slugs) == sorted(catalogue.instruments)


def test_the_advisors_first_route_is_suggested_but_not_saved_until_the_officer_saves(
    client_request: PageClient, login_as: LoginAs, make_request: MakeRequest, db: Session
) -> None:
    content = {**example_content(), "legal_basis": "", "channel": None}
    officer = login_as(Role.officer)
    draft = make_request(officer, content=content, requested_state="US")
    page = client_request.get(f"/requests/{draft.id}/wizard/route")
    advice = advise(rulebook(), Case.of(draft_document(draft), "QA"), local_today(officer.unit))
    assert advice.suggestion is not None
    checked = page.select_one("input[name=legal_basis][checked]")
    assert checked is not None and checked["value"] == advice.suggestion.legal_basis
    note = text_of(page.select_one("#legal_basis-suggestion"))
    assert note.startswith("Suggested by the route advisor for this case:")
    assert "Nothing is applied until you save this step." in note
    assert saved_request(db, draft.id).content["legal_basis"] == ""
    # A request that has a legal basis keeps it, and no suggestion is shown.
    chosen = make_request(officer, content=example_content(), requested_state="US")
    page = client_request.get(f"/requests/{chosen.id}/wizard/route")
    assert page.select_one("#legal_basis-suggestion") is None
    kept = page.select_one("input[name=legal_basis][checked]")
    assert kept is not None and kept["value"] == example_content()["legal_basis"]
