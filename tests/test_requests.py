"""Drafting and editing requests through the forms, and keeping units apart."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select

from mlat.models import MlaRequest, RequestStatus, Role, Unit, User
from mlat.services.requests import update_request
from tests.conftest import Client

YEAR = dt.date.today().year
CONFLICT_MESSAGE = "Someone else saved this request after you opened it."


def _value(text: str) -> str:
    """How a value typed into a field comes back in the re-shown form."""
    return f'value="{html.escape(text, quote=True)}"'


def test_officer_creates_a_request_and_sees_it_in_the_list(
    client: Client, login_as: Callable[..., User], db: Any
) -> None:
    login_as(Role.officer)
    response = client.submit(
        "/requests/new",
        {"title": "Ransomware attack on a Doha clinic", "requested_state": "GB"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    reference = f"DOH-{YEAR}-0001"
    assert f"Request {reference} created." in response.text
    assert "Ransomware attack on a Doha clinic" in response.text
    assert "United Kingdom" in response.text

    listing = client.get("/")
    assert reference in listing.text
    assert "Ransomware attack on a Doha clinic" in listing.text
    assert "Draft" in listing.text

    client.submit(
        "/requests/new",
        {"title": "Investment fraud website", "requested_state": "SG"},
        form_url="/requests/new",
    )
    assert f"DOH-{YEAR}-0002" in client.get("/").text


def test_lower_case_state_code_is_accepted(client: Client, login_as: Callable[..., User]) -> None:
    login_as(Role.officer)
    response = client.submit("/requests/new", {"title": "Sextortion case", "requested_state": "fr"})
    assert response.status_code == 302
    assert "France" in client.get(response.location).text


@pytest.mark.parametrize(
    ("title", "state", "message"),
    [
        ("", "US", "Enter a title."),
        ("   ", "US", "Enter a title."),
        ("Phishing of bank customers", "XX", "Choose a state from the list."),
        ("Phishing of bank customers", "", "Choose the requested state."),
        ("T" * 201, "US", "200 characters"),
    ],
    ids=["empty-title", "blank-title", "unknown-state", "no-state", "title-too-long"],
)
def test_invalid_input_reshows_the_form_with_a_message(
    client: Client,
    login_as: Callable[..., User],
    db: Any,
    title: str,
    state: str,
    message: str,
) -> None:
    login_as(Role.officer)
    response = client.submit("/requests/new", {"title": title, "requested_state": state})
    assert response.status_code == 200
    assert "There is a problem" in response.text
    assert message in response.text
    if title.strip():
        assert _value(title) in response.text  # what was typed is still there
    if state == "US":
        assert '<option selected value="US">' in response.text
    assert db.exec(select(MlaRequest)).all() == []
    assert "Your unit has no requests yet." in client.get("/").text


def test_other_units_requests_are_invisible(
    client: Client,
    make_user: Callable[..., User],
    make_unit: Callable[..., Unit],
    make_request: Callable[..., MlaRequest],
    login_as: Callable[..., User],
) -> None:
    owner = make_user(Role.officer)
    secret = make_request(owner, title="Confidential Doha investigation")
    lagos = make_unit(name="Economic Crime Unit, Lagos", code="LOS", state="NG")
    login_as(Role.officer, unit_=lagos)

    listing = client.get("/")
    assert "Confidential Doha investigation" not in listing.text
    assert secret.reference not in listing.text
    assert "Your unit has no requests yet." in listing.text

    show = client.get(f"/requests/{secret.id}")
    assert show.status_code == 404
    assert "Confidential Doha investigation" not in show.text
    edit = client.get(f"/requests/{secret.id}/edit")
    assert edit.status_code == 404
    assert "Confidential Doha investigation" not in edit.text


def test_other_unit_cannot_change_a_request_by_posting(
    client: Client,
    make_user: Callable[..., User],
    make_unit: Callable[..., Unit],
    make_request: Callable[..., MlaRequest],
    login_as: Callable[..., User],
    db: Any,
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
    assert db.get(MlaRequest, secret.id).title == "Confidential Doha investigation"


def test_colleagues_in_the_same_unit_see_the_request(
    client: Client,
    make_user: Callable[..., User],
    make_request: Callable[..., MlaRequest],
    login_as: Callable[..., User],
) -> None:
    request = make_request(make_user(Role.officer), title="Shared case")
    login_as(Role.reviewer)
    assert request.reference in client.get("/").text
    page = client.get(f"/requests/{request.id}")
    assert page.status_code == 200
    assert "Shared case" in page.text
    assert "Edit" not in page.text  # reviewers do not edit


def test_unknown_request_is_not_found(client: Client, login_as: Callable[..., User]) -> None:
    login_as(Role.officer)
    assert client.get("/requests/424242").status_code == 404
    assert client.get("/requests/424242/edit").status_code == 404


def test_editing_saves_the_changes(
    client: Client, login_as: Callable[..., User], make_request: Callable[..., MlaRequest]
) -> None:
    officer = login_as(Role.officer)
    request = make_request(officer, title="First title", requested_state="US")
    form = client.get(f"/requests/{request.id}/edit")
    assert _value("First title") in form.text
    assert '<option selected value="US">' in form.text

    response = client.submit(
        f"/requests/{request.id}/edit",
        {"title": "Better title", "requested_state": "DE", "version": "1"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "Changes saved." in response.text
    assert "Better title" in response.text
    assert "Germany" in response.text
    assert request.reference in response.text  # the reference does not change
    assert "Better title" in client.get("/").text


def _stale_edit(
    client: Client,
    officer: User,
    colleague: User,
    request: MlaRequest,
    db: Any,
) -> Any:
    """The officer opens the form, a colleague saves first, then the officer saves."""
    form = client.get(f"/requests/{request.id}/edit")
    assert 'name="version" type="hidden" value="1"' in form.text
    update_request(
        session=db,
        request=db.get(MlaRequest, request.id),
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
    login_as: Callable[..., User],
    make_user: Callable[..., User],
    make_request: Callable[..., MlaRequest],
    db: Any,
) -> None:
    officer = login_as(Role.officer)
    colleague = make_user(Role.officer)
    request = make_request(officer, title="Original title")
    response = _stale_edit(client, officer, colleague, request, db)

    assert response.status_code == 409
    assert CONFLICT_MESSAGE in response.text
    assert _value("My careful new title") in response.text
    db.expire_all()
    saved = db.get(MlaRequest, request.id)
    assert saved.title == "Colleague's title"  # the colleague's save is not overwritten
    assert saved.version == 2


def test_changes_shown_after_a_conflict_can_be_saved_again(
    client: Client,
    login_as: Callable[..., User],
    make_user: Callable[..., User],
    make_request: Callable[..., MlaRequest],
    db: Any,
) -> None:
    officer = login_as(Role.officer)
    colleague = make_user(Role.officer)
    request = make_request(officer, title="Original title")
    conflict = _stale_edit(client, officer, colleague, request, db)
    assert conflict.status_code == 409

    # The officer presses Save again on the form exactly as it was shown to them.
    version = conflict.text.split('name="version" type="hidden" value="')[1].split('"')[0]
    again = client.submit(
        f"/requests/{request.id}/edit",
        {"title": "My careful new title", "requested_state": "GB", "version": version},
        form_url=f"/requests/{request.id}/edit",
    )
    assert again.status_code == 302
    assert "My careful new title" in client.get("/").text


@pytest.mark.parametrize(
    "status", [RequestStatus.signed, RequestStatus.transmitted, RequestStatus.closed]
)
def test_request_past_signing_cannot_be_edited(
    client: Client,
    login_as: Callable[..., User],
    make_request: Callable[..., MlaRequest],
    db: Any,
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
    assert "This request can no longer be edited in its current state." in response.text
    db.expire_all()
    assert db.get(MlaRequest, request.id).title == "Approved wording"
    assert "Changed after approval" not in client.get("/").text


def test_returned_request_can_be_edited_again(
    client: Client,
    login_as: Callable[..., User],
    make_request: Callable[..., MlaRequest],
    db: Any,
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
    assert "Reworked" in client.get("/").text


def test_request_page_shows_the_findings_with_their_sources(
    client: Client, login_as: Callable[..., User], make_request: Callable[..., MlaRequest]
) -> None:
    import json
    from pathlib import Path

    example = Path(__file__).resolve().parent.parent / "docs/examples/qa-to-us-stored-content.json"
    content = json.loads(example.read_text())
    content["identifiers"][1]["observed_at"] = "2026-03-09T10:14:22"  # no offset
    content["nexus"] = ""
    officer = login_as(Role.officer)
    created = make_request(officer, requested_state="US", content=content)
    page = client.get(f"/requests/{created.id}")
    assert page.status_code == 200
    assert "Check against the rules of United States" in page.text
    assert "Give the time zone offset of this timestamp" in page.text
    assert "identifiers[1].observed_at" in page.text
    assert "Explain why the evidence sought is relevant" in page.text
    assert "problems must be fixed before the request can be submitted" in page.text


def test_request_with_content_that_is_not_a_request_is_still_shown(
    client: Client,
    login_as: Callable[..., User],
    make_request: Callable[..., MlaRequest],
    db: Any,
) -> None:
    officer = login_as(Role.officer)
    created = make_request(officer)
    created.content = {"measures": "everything"}  # e.g. written by an older version
    db.add(created)
    db.commit()
    page = client.get(f"/requests/{created.id}")
    assert page.status_code == 200
    assert "not in the request format" in page.text
