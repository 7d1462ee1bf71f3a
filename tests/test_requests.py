"""Drafting and editing requests through the forms, and keeping units apart."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlmodel import Session, select

from mlat.models import MlaRequest, RequestStatus, Role, User
from mlat.services.requests import update_request
from tests.conftest import (
    Client,
    LoginAs,
    MakeRequest,
    MakeUnit,
    MakeUser,
    PageClient,
    check_page,
    field_value,
    flashes,
    form_errors,
    rows,
    summary,
    text_of,
    texts,
)

YEAR = dt.date.today().year
CONFLICT_MESSAGE = "Someone else saved this request after you opened it."


def test_officer_creates_a_request_and_sees_it_in_the_list(
    client_request: PageClient, login_as: LoginAs, db: Session
) -> None:
    login_as(Role.officer)
    page = client_request.post(
        "/requests/new",
        {"title": "Ransomware attack on a Doha clinic", "requested_state": "GB"},
        follow_redirects=True,
    )
    reference = f"DOH-{YEAR}-0001"
    assert flashes(page) == [f"Request {reference} created."]
    assert text_of(page.select_one(".caption")).startswith(reference)
    assert field_value(page, "title") == "Ransomware attack on a Doha clinic"
    assert field_value(page, "requested_state") == "GB"
    assert text_of(page.select_one("#guidance-title")) == "What United Kingdom requires"

    listing = client_request.get("/")
    [row] = rows(listing)
    assert row[:4] == [reference, "Ransomware attack on a Doha clinic", "United Kingdom", "Draft"]

    client_request.post_redirect(
        "/requests/new",
        {"title": "Investment fraud website", "requested_state": "SG"},
        form_url="/requests/new",
    )
    references = texts(client_request.get("/"), "tbody td:first-child")
    assert sorted(references) == [reference, f"DOH-{YEAR}-0002"]


def test_lower_case_state_code_is_accepted(
    client_request: PageClient, login_as: LoginAs, db: Session
) -> None:
    login_as(Role.officer)
    location = client_request.post_redirect(
        "/requests/new", {"title": "Sextortion case", "requested_state": "fr"}
    )
    page = client_request.get(location)
    assert field_value(page, "requested_state") == "FR"
    assert text_of(page.select_one("#guidance-title")) == "What France requires"
    [stored] = db.exec(select(MlaRequest)).all()
    assert stored.requested_state == "FR"


@pytest.mark.parametrize(
    ("title", "state", "message"),
    [
        ("", "US", "Enter a title."),
        ("   ", "US", "Enter a title."),
        ("Phishing of bank customers", "XX", "Choose a state from the list."),
        ("Phishing of bank customers", "", "Choose the requested state."),
        ("Phishing of bank customers", "AQ", "Choose a state from the list."),
        ("Phishing of bank customers", "QA", "a request to your own state is not mutual"),
        ("T" * 201, "US", "200 characters"),
    ],
    ids=[
        "empty-title",
        "blank-title",
        "unknown-state",
        "no-state",
        "antarctica",
        "own-state",
        "title-too-long",
    ],
)
def test_invalid_input_reshows_the_form_with_a_message(
    client_request: PageClient,
    login_as: LoginAs,
    db: Session,
    title: str,
    state: str,
    message: str,
) -> None:
    login_as(Role.officer)
    page = client_request.post("/requests/new", {"title": title, "requested_state": state})
    assert text_of(page.select_one(".error-summary h2")) == "There is a problem"
    [error] = form_errors(page)
    assert message in error
    if title.strip():
        assert field_value(page, "title") == title  # what was typed is still there
    if state == "US":
        assert field_value(page, "requested_state") == "US"
    assert db.exec(select(MlaRequest)).all() == []
    assert "Your unit has no requests yet." in texts(client_request.get("/"), "main p")


def test_the_requested_state_list_offers_states_with_a_rule_table_first_and_never_the_units(
    client_request: PageClient, login_as: LoginAs
) -> None:
    login_as(Role.officer)  # a Doha unit
    page = client_request.get("/requests/new")
    select = page.select_one("select#requested_state")
    assert select is not None
    groups = select.select("optgroup")
    assert [str(g["label"]) for g in groups] == [
        "States with a rule table",
        "No rule table: checks limited to the treaty and the format",
    ]
    tabled = [str(o["value"]) for o in groups[0].select("option")]
    others = [str(o["value"]) for o in groups[1].select("option")]
    assert {"GB", "US", "FR", "AE", "SA"} <= set(tabled) and "OM" in others
    assert "QA" not in tabled + others  # the unit's own state
    assert not {"AQ", "BV", "HM", "UM"} & set(tabled + others)  # nobody to receive a request


def test_other_units_requests_are_invisible(
    client: Client,
    make_user: MakeUser,
    make_unit: MakeUnit,
    make_request: MakeRequest,
    login_as: LoginAs,
) -> None:
    owner = make_user(Role.officer)
    secret = make_request(owner, title="Confidential Doha investigation")
    lagos = make_unit(name="Economic Crime Unit, Lagos", code="LOS", state="NG")
    login_as(Role.officer, unit_=lagos)

    listing = client.get("/")
    assert "Confidential Doha investigation" not in listing.text
    assert secret.reference not in listing.text
    assert "Your unit has no requests yet." in texts(check_page(listing), "main p")

    show = client.get(f"/requests/{secret.id}")
    assert show.status_code == 404
    assert "Confidential Doha investigation" not in show.text
    edit = client.get(f"/requests/{secret.id}/edit")
    assert edit.status_code == 404
    assert "Confidential Doha investigation" not in edit.text


def test_other_unit_cannot_change_a_request_by_posting(
    client: Client,
    make_user: MakeUser,
    make_unit: MakeUnit,
    make_request: MakeRequest,
    login_as: LoginAs,
    db: Session,
) -> None:
    owner = make_user(Role.officer)
    secret = make_request(owner, title="Confidential Doha investigation")
    login_as(Role.officer, unit_=make_unit())
    response = client.submit(
        f"/requests/{secret.id}/edit",
        {"title": "Defaced", "requested_state": "US", "version": "1"},
        form_url="/requests/new",
    )
    assert response.status_code == 404
    db.expire_all()
    assert db.get_one(MlaRequest, secret.id).title == "Confidential Doha investigation"


def test_colleagues_in_the_same_unit_see_the_request(
    client_request: PageClient,
    make_user: MakeUser,
    make_request: MakeRequest,
    login_as: LoginAs,
) -> None:
    request = make_request(make_user(Role.officer), title="Shared case")
    login_as(Role.reviewer)
    assert texts(client_request.get("/"), "tbody td:first-child") == [request.reference]
    page = client_request.get(f"/requests/{request.id}")
    assert text_of(page.h1) == f"{request.reference}: Shared case"
    assert "Edit" not in page.text  # reviewers do not edit
    assert page.select(f'a[href="/requests/{request.id}/edit"]') == []


def test_unknown_request_is_not_found(client: Client, login_as: LoginAs) -> None:
    login_as(Role.officer)
    assert client.get("/requests/424242").status_code == 404
    assert client.get("/requests/424242/edit").status_code == 404


def test_editing_saves_the_changes(
    client_request: PageClient,
    login_as: LoginAs,
    make_request: MakeRequest,
) -> None:
    officer = login_as(Role.officer)
    request = make_request(officer, title="First title", requested_state="US")
    form = client_request.get(f"/requests/{request.id}/edit")
    assert field_value(form, "title") == "First title"
    assert field_value(form, "requested_state") == "US"

    page = client_request.post(
        f"/requests/{request.id}/edit",
        {"title": "Better title", "requested_state": "DE", "version": "1"},
        follow_redirects=True,
    )
    assert flashes(page) == ["Changes saved."]
    # the reference does not change
    assert text_of(page.h1) == f"{request.reference}: Better title"
    assert summary(page)["Requested state"] == "Germany"
    [row] = rows(client_request.get("/"))
    assert row[:3] == [request.reference, "Better title", "Germany"]


def _stale_edit(
    client: Client,
    officer: User,
    colleague: User,
    request: MlaRequest,
    db: Session,
) -> Any:
    """The officer opens the form, a colleague saves first, then the officer saves."""
    form = check_page(client.get(f"/requests/{request.id}/edit"))
    assert field_value(form, "version") == "1"
    update_request(
        session=db,
        request=db.get_one(MlaRequest, request.id),
        editor=colleague,
        expected_version=1,
        title="Colleague's title",
        requested_state="US",
    )
    db.commit()
    return client.submit(
        f"/requests/{request.id}/edit",
        {"title": "My careful new title", "requested_state": "GB", "version": "1"},
    )


def test_stale_edit_is_refused_and_keeps_what_was_typed(
    client: Client,
    login_as: LoginAs,
    make_user: MakeUser,
    make_request: MakeRequest,
    db: Session,
) -> None:
    officer = login_as(Role.officer)
    colleague = make_user(Role.officer)
    request = make_request(officer, title="Original title")
    response = _stale_edit(client, officer, colleague, request, db)

    assert response.status_code == 409
    page = check_page(response)
    assert CONFLICT_MESSAGE in " ".join(form_errors(page) + flashes(page))
    assert field_value(page, "title") == "My careful new title"
    db.expire_all()
    saved = db.get_one(MlaRequest, request.id)
    assert saved.title == "Colleague's title"  # the colleague's save is not overwritten
    assert saved.version == 2


def test_changes_shown_after_a_conflict_can_be_saved_again(
    client: Client,
    login_as: LoginAs,
    make_user: MakeUser,
    make_request: MakeRequest,
    db: Session,
) -> None:
    officer = login_as(Role.officer)
    colleague = make_user(Role.officer)
    request = make_request(officer, title="Original title")
    conflict = _stale_edit(client, officer, colleague, request, db)
    assert conflict.status_code == 409

    # The officer presses Save again on the form exactly as it was shown to them.
    version = field_value(check_page(conflict), "version")
    again = client.submit(
        f"/requests/{request.id}/edit",
        {"title": "My careful new title", "requested_state": "GB", "version": version},
        form_url=f"/requests/{request.id}/edit",
    )
    assert again.status_code == 302
    [row] = rows(check_page(client.get("/")))
    assert row[1] == "My careful new title"


@pytest.mark.parametrize(
    "status", [RequestStatus.signed, RequestStatus.transmitted, RequestStatus.closed]
)
def test_request_past_signing_cannot_be_edited(
    client: Client,
    login_as: LoginAs,
    make_request: MakeRequest,
    db: Session,
    status: RequestStatus,
) -> None:
    officer = login_as(Role.officer)
    request = make_request(officer, title="Approved wording")
    request.status = status
    db.add(request)
    db.commit()

    show = client.get(f"/requests/{request.id}")
    assert f'href="/requests/{request.id}/edit"' not in show.text  # no Edit button

    response = client.submit(
        f"/requests/{request.id}/edit",
        {"title": "Changed after approval", "requested_state": "US", "version": "1"},
    )
    assert 400 <= response.status_code < 500  # refused, not saved
    assert flashes(check_page(response)) == [
        "This request can no longer be edited in its current state."
    ]
    db.expire_all()
    assert db.get_one(MlaRequest, request.id).title == "Approved wording"
    assert "Changed after approval" not in client.get("/").text


def test_returned_request_can_be_edited_again(
    client: Client,
    login_as: LoginAs,
    make_request: MakeRequest,
    db: Session,
) -> None:
    officer = login_as(Role.officer)
    request = make_request(officer, title="Needs work")
    request.status = RequestStatus.returned
    db.add(request)
    db.commit()
    response = client.submit(
        f"/requests/{request.id}/edit",
        {"title": "Reworked", "requested_state": "US", "version": "1"},
    )
    assert response.status_code == 302
    [row] = rows(check_page(client.get("/")))
    assert row[1] == "Reworked"


def test_request_page_shows_the_findings_with_their_sources(
    client_request: PageClient,
    login_as: LoginAs,
    make_request: MakeRequest,
) -> None:
    import json
    from pathlib import Path

    example = Path(__file__).resolve().parent.parent / "docs/examples/qa-to-us-stored-content.json"
    content = json.loads(example.read_text())
    content["identifiers"][1]["observed_at"] = "2026-03-09T10:14:22"  # no offset
    content["nexus"] = ""
    officer = login_as(Role.officer)
    created = make_request(officer, requested_state="US", content=content)
    page = client_request.get(f"/requests/{created.id}")
    assert "Check against the rules of United States" in texts(page, "h2")
    findings = texts(page, ".findings > li")
    [offset] = [f for f in findings if "Identifier 2, time of use" in f]
    assert "Give the time zone offset of this timestamp" in offset
    assert not any("identifiers[1]" in f or "observed_at" in f for f in findings)
    # the place links to the field on its step
    link = page.select_one('.findings a[href$="#identifiers-1-observed_at"]')
    assert link is not None and text_of(link) == "Identifier 2, time of use"
    assert "/wizard/persons" in str(link["href"])
    assert any("Explain why the evidence sought is relevant" in f for f in findings)
    count = page.select_one("h2 ~ p:has(~ .findings)")
    assert "problems must be fixed before the request can be submitted" in text_of(count)


def test_request_with_content_that_is_not_a_request_is_still_shown(
    client_request: PageClient,
    login_as: LoginAs,
    make_request: MakeRequest,
    db: Session,
) -> None:
    officer = login_as(Role.officer)
    created = make_request(officer)
    created.content = {"measures": "everything"}  # e.g. written by an older version
    db.add(created)
    db.commit()
    page = client_request.get(f"/requests/{created.id}")
    assert flashes(page) == ["The stored request content is not in the request format."]
    assert text_of(page.h1) == f"{created.reference}: {created.title}"


@pytest.mark.parametrize("request_id", [2**31, 5_066_515_870, 2**63 - 1])
def test_an_id_larger_than_the_database_holds_is_not_found(
    client: Client, login_as: LoginAs, request_id: int
) -> None:
    """PostgreSQL's integer ends at 2**31 - 1: a larger id is 404, never a database error."""
    login_as(Role.officer)
    for path in (f"/requests/{request_id}", f"/requests/{request_id}/edit"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "There is nothing here" in response.text
