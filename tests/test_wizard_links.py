"""The links from measures to identifiers in the wizard: they follow the identifiers
themselves, also when a colleague reordered, changed or removed identifiers while the
officer had a page open, and a link that can no longer be kept is never moved to another
identifier without a word."""

from __future__ import annotations

import re
from typing import Any

import pytest
from bs4 import BeautifulSoup
from flask import Flask
from sqlmodel import Session
from werkzeug.datastructures import MultiDict

from forms.wizard.measures import MeasuresForm
from mlat.content import identifier_key, identifier_positions
from mlat.models import Role, User
from mlat.services.requests import save_content
from tests.conftest import (
    Client,
    LoginAs,
    MakeRequest,
    MakeUser,
    check_page,
    field_value,
    flashes,
    form_errors,
    text_of,
)
from tests.wizard_helpers import (
    example_content,
    hidden_version,
    key_of,
    saved_request,
    step_data,
    wizard_url,
)

CONFLICT_MESSAGE = "Someone else saved this request after you opened it."
EMAIL, IP, ACCOUNT = "finance.alwaha@mailhost.example", "198.51.100.23", "alwaha.finance"


def _three_identifiers() -> dict[str, Any]:
    """The example with a third identifier: measure 1 concerns the e-mail address and the
    account, measure 2 the IP address and the account."""
    content = example_content()
    content["identifiers"].append(
        {"kind": "account", "value": ACCOUNT, "observed_at": None, "provider": "Mailhost Inc."}
    )
    content["measures"][0]["identifiers"] = [0, 2]
    content["measures"][1]["identifiers"] = [1, 2]
    return content


def _links(content: dict[str, Any]) -> list[set[str]]:
    """Each measure's identifiers, by value."""
    values = [i["value"] for i in content["identifiers"]]
    return [{values[r] for r in m["identifiers"]} for m in content["measures"]]


def _identifier_rows(identifiers: list[dict[str, Any]]) -> dict[str, Any]:
    """Step 4's identifier rows as the page sends them, in this order."""
    data: dict[str, Any] = {}
    for i, ident in enumerate(identifiers):
        data |= {
            f"identifiers-{i}-origin": key_of(ident),
            f"identifiers-{i}-kind": ident["kind"],
            f"identifiers-{i}-value": ident["value"],
            f"identifiers-{i}-provider": ident["provider"],
        }
        if ident["observed_at"]:
            data |= {
                f"identifiers-{i}-observed_at": ident["observed_at"][:19],
                f"identifiers-{i}-observed_tz": ident["observed_at"][19:],
            }
    return data


def _messages(page: BeautifulSoup) -> str:
    """All the page tells the officer above the form: flash messages and form errors."""
    return " ".join(flashes(page) + form_errors(page))


def _offered(page: BeautifulSoup) -> set[str]:
    """The identifiers (by key) that measures' checkboxes offer."""
    return {str(box["value"]) for box in page.select('input[id^="measures-"][type="checkbox"]')}


def _persons_form(identifiers: list[dict[str, Any]], version: str) -> dict[str, Any]:
    persons = {k: v for k, v in step_data("persons").items() if k.startswith("persons-")}
    return {**persons, **_identifier_rows(identifiers), "version": version}


def _colleague(app: Flask, make_user: MakeUser) -> Client:
    """A second browser, logged in as another officer of the same unit."""
    other: Client = app.test_client()  # type: ignore[assignment]
    assert other.login(make_user(Role.officer).email).status_code == 302
    return other


def test_step_4_saved_again_after_a_colleague_removed_and_reordered_identifiers(
    app: Flask,
    client: Client,
    login_as: LoginAs,
    make_user: MakeUser,
    make_request: MakeRequest,
    db: Session,
) -> None:
    content = _three_identifiers()
    email, ip, account = content["identifiers"]
    request = make_request(login_as(Role.officer), content=content)
    page = check_page(client.get(wizard_url(request.id, "persons")))  # the officer opens step 4
    assert field_value(page, "version") == "1"
    assert field_value(page, "identifiers-2-origin") == key_of(account)  # named by content

    colleague = _colleague(app, make_user)  # removes the e-mail address, puts the account first
    assert (
        colleague.submit(
            wizard_url(request.id, "persons"), _persons_form([account, ip], "1")
        ).status_code
        == 302
    )
    assert _links(saved_request(db, request.id).content) == [{ACCOUNT}, {IP, ACCOUNT}]

    mine = _persons_form([email, ip, account], "1")
    mine["identifiers-1-provider"] = "Mailhost Inc., Abuse Desk"  # the officer's change
    refused = client.submit(wizard_url(request.id, "persons"), mine)
    assert refused.status_code == 409
    shown = check_page(refused)
    assert CONFLICT_MESSAGE in _messages(shown)
    assert field_value(shown, "identifiers-1-provider") == "Mailhost Inc., Abuse Desk"  # kept
    assert field_value(shown, "version") == "2"
    assert (
        f"Someone else changed or removed the identifier {EMAIL} after you opened this "
        "page. If you save your input, no measure will be linked to it"
    ) in _messages(shown)

    again = client.submit(wizard_url(request.id, "persons"), {**mine, "version": "2"})
    assert again.status_code == 302
    saved = saved_request(db, request.id).content
    assert [i["value"] for i in saved["identifiers"]] == [EMAIL, IP, ACCOUNT]
    assert saved["identifiers"][1]["provider"] == "Mailhost Inc., Abuse Desk"
    # As before, less the colleague's removed e-mail address, which the officer was told of.
    assert _links(saved) == [{ACCOUNT}, {IP, ACCOUNT}]


def test_step_4_saved_again_after_a_colleague_changed_an_identifier(
    client: Client,
    login_as: LoginAs,
    make_user: MakeUser,
    make_request: MakeRequest,
    db: Session,
) -> None:
    content = _three_identifiers()
    email, ip, account = content["identifiers"]
    request = make_request(login_as(Role.officer), content=content)
    client.get(wizard_url(request.id, "persons"))

    theirs = _three_identifiers()  # the colleague corrects the account and reorders
    theirs["identifiers"] = [dict(account, value="alwaha.finance.2"), email, ip]
    theirs["measures"][0]["identifiers"] = [1, 0]
    theirs["measures"][1]["identifiers"] = [2, 0]
    save_content(session=db, request=saved_request(db, request.id), editor=make_user(Role.officer),
                 expected_version=1, content=theirs)  # fmt: skip
    db.commit()

    mine = _persons_form([email, ip, account], "1")
    refused = client.submit(wizard_url(request.id, "persons"), mine)
    assert refused.status_code == 409
    text = _messages(check_page(refused))
    assert f"Someone else changed or removed the identifier {ACCOUNT}" in text
    assert "Saving your input removes these identifiers, which are not in it, " in text
    assert "alwaha.finance.2" in text

    assert (
        client.submit(wizard_url(request.id, "persons"), {**mine, "version": "2"}).status_code
        == 302
    )
    saved = saved_request(db, request.id).content
    assert [i["value"] for i in saved["identifiers"]] == [EMAIL, IP, ACCOUNT]
    # The links to the changed account are not moved to anything else: they are dropped.
    assert _links(saved) == [{EMAIL}, {IP}]


def _error(page: BeautifulSoup, field_id: str) -> str:
    """The message shown at a field."""
    return text_of(page.select_one(f"#{field_id}-error"))


def _tick(page: BeautifulSoup, row: int, key: str) -> bool:
    [box] = [
        box
        for box in page.select(f'input[id^="measures-{row}-identifiers-"]')
        if box["value"] == key
    ]
    return box.has_attr("checked")


def test_step_5_saved_again_after_a_colleague_reordered_identifiers(
    app: Flask,
    client: Client,
    login_as: LoginAs,
    make_user: MakeUser,
    make_request: MakeRequest,
    db: Session,
) -> None:
    content = example_content()
    email, ip = content["identifiers"]
    request = make_request(login_as(Role.officer), content=content)
    assert hidden_version(client.get(wizard_url(request.id, "measures")).text) == "1"

    colleague = _colleague(app, make_user)  # puts the IP address first
    assert (
        colleague.submit(
            wizard_url(request.id, "persons"), _persons_form([ip, email], "1")
        ).status_code
        == 302
    )
    assert [i["value"] for i in saved_request(db, request.id).content["identifiers"]] == [IP, EMAIL]

    mine = {**step_data("measures"), "version": "1"}
    mine["measures-0-identifiers"] = [key_of(ip)]  # the officer ticks the IP address instead
    refused = client.submit(wizard_url(request.id, "measures"), mine)
    assert refused.status_code == 409
    page = check_page(refused)
    assert CONFLICT_MESSAGE in _messages(page)
    assert _tick(page, 0, key_of(ip)) and not _tick(page, 0, key_of(email))
    assert _tick(page, 1, key_of(ip)) and _tick(page, 1, key_of(email))

    assert (
        client.submit(wizard_url(request.id, "measures"), {**mine, "version": "2"}).status_code
        == 302
    )
    saved = saved_request(db, request.id).content
    assert [i["value"] for i in saved["identifiers"]] == [IP, EMAIL]  # the colleague's order
    assert _links(saved) == [{IP}, {IP, EMAIL}]
    assert saved["measures"][0]["identifiers"] == [0]  # stored as positions, as ever


def _colleague_removes_the_email(
    db: Session, request_id: int | None, colleague: User
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """A colleague saves the example request without its e-mail address, which the first
    measure was linked to; returns the e-mail and IP identifiers and what they saved."""
    email, ip = example_content()["identifiers"]
    theirs = example_content()
    theirs["identifiers"] = [ip]
    theirs["measures"][0]["identifiers"] = []
    theirs["measures"][1]["identifiers"] = [0]
    save_content(session=db, request=saved_request(db, request_id), editor=colleague,
                 expected_version=1, content=theirs)  # fmt: skip
    db.commit()
    return email, ip, theirs


def test_step_5_refuses_a_tick_of_an_identifier_a_colleague_removed(
    client: Client,
    login_as: LoginAs,
    make_user: MakeUser,
    make_request: MakeRequest,
    db: Session,
) -> None:
    request = make_request(login_as(Role.officer), content=example_content())
    client.get(wizard_url(request.id, "measures"))  # the officer opens step 5
    email, ip, theirs = _colleague_removes_the_email(db, request.id, make_user(Role.officer))

    mine = {**step_data("measures"), "version": "1"}  # the e-mail address still ticked
    shown = client.submit(wizard_url(request.id, "measures"), mine)
    assert shown.status_code == 200
    page = check_page(shown)
    error = _error(page, "measures-0-identifiers")
    assert "Someone else changed or removed an identifier ticked here" in error
    assert key_of(ip) in _offered(page)
    assert key_of(email) not in _offered(page)  # no longer offered
    assert f'value="{key_of(email)}"' not in shown.text
    assert saved_request(db, request.id).content == theirs  # nothing saved

    without = {**mine, "measures-0-identifiers": [], "measures-1-identifiers": [key_of(ip)]}
    refused = client.submit(wizard_url(request.id, "measures"), without)
    assert refused.status_code == 409  # the page was still older than the colleague's save
    again = client.submit(wizard_url(request.id, "measures"), {**without, "version": "2"})
    assert again.status_code == 302
    assert _links(saved_request(db, request.id).content) == [set(), {IP}]


def test_adding_a_measure_row_names_a_tick_a_colleague_removed_meanwhile(
    client: Client,
    login_as: LoginAs,
    make_user: MakeUser,
    make_request: MakeRequest,
    db: Session,
) -> None:
    request = make_request(login_as(Role.officer), content=example_content())
    client.get(wizard_url(request.id, "measures"))  # the officer opens step 5
    email, _ip, _theirs = _colleague_removes_the_email(db, request.id, make_user(Role.officer))

    mine = {**step_data("measures"), "version": "1", "rows": "add:measures"}
    shown = client.submit(wizard_url(request.id, "measures"), mine)
    assert shown.status_code == 200
    page = check_page(shown)
    assert field_value(page, "measures-2-kind") == ""  # the new row
    assert key_of(email) not in _offered(page)  # no longer offered ...
    assert f'value="{key_of(email)}"' not in shown.text
    text = _messages(page)  # ... and the officer is told of both ticks
    assert "Measure 1: someone else changed or removed an identifier ticked there" in text
    assert "Measure 2: someone else changed or removed an identifier ticked there" in text

    mine["version"] = "2"  # a page opened after the colleague's save: nothing to tell
    assert "someone else" not in client.submit(wizard_url(request.id, "measures"), mine).text


@pytest.mark.parametrize(
    ("ticked", "message"),
    [
        (["0"], "Choose from the options shown."),  # a position, as pages once sent
        (["\u00b2"], "Choose from the options shown."),
        (["x" * 5000], "Choose from the options shown."),
        (["0123456789abcdef"], "Someone else changed or removed an identifier ticked here"),
    ],
)
def test_step_5_refuses_ticks_of_unknown_identifiers(
    client: Client,
    login_as: LoginAs,
    make_request: MakeRequest,
    db: Session,
    ticked: list[str],
    message: str,
) -> None:
    request = make_request(login_as(Role.officer), content=example_content())
    data = {**step_data("measures"), "measures-1-identifiers": ticked, "version": "1"}
    response = client.submit(wizard_url(request.id, "measures"), data)
    assert response.status_code == 200
    page = check_page(response)
    assert text_of(page.select_one(".error-summary h2")) == "There is a problem"
    assert message in _error(page, "measures-1-identifiers")
    assert saved_request(db, request.id).version == 1


def test_step_4_rows_with_unknown_origins_are_saved_without_links(
    client: Client, login_as: LoginAs, make_request: MakeRequest, db: Session
) -> None:
    request = make_request(login_as(Role.officer), content=example_content())
    data = {**step_data("persons"), "version": "1"}
    data |= {"identifiers-0-origin": "0", "identifiers-1-origin": "not a fingerprint"}
    assert client.submit(wizard_url(request.id, "persons"), data).status_code == 302
    saved = saved_request(db, request.id).content
    assert [i["value"] for i in saved["identifiers"]] == [EMAIL, IP]
    assert _links(saved) == [set(), set()]


def test_reordering_identifiers_keeps_each_measure_linked_to_the_same_ones(
    client: Client, login_as: LoginAs, make_request: MakeRequest, db: Session
) -> None:
    content = _three_identifiers()
    email, ip, account = content["identifiers"]
    request = make_request(login_as(Role.officer), content=content)
    form = _persons_form([account, email, ip], "1")
    assert client.submit(wizard_url(request.id, "persons"), form).status_code == 302
    saved = saved_request(db, request.id).content
    assert [i["value"] for i in saved["identifiers"]] == [ACCOUNT, EMAIL, IP]
    assert _links(saved) == [{EMAIL, ACCOUNT}, {IP, ACCOUNT}]


def test_identical_identifiers_are_one_choice_and_links_go_to_the_first(
    client: Client, login_as: LoginAs, make_request: MakeRequest, db: Session
) -> None:
    content = example_content()
    email, ip = content["identifiers"]
    content["identifiers"].append(dict(email))
    content["measures"][0]["identifiers"] = [2]
    content["measures"][1]["identifiers"] = [1, 2]
    request = make_request(login_as(Role.officer), content=content)
    page = check_page(client.get(wizard_url(request.id, "measures")))
    offered = [box["value"] for box in page.select('input[id^="measures-0-identifiers-"]')]
    assert offered.count(key_of(email)) == 1
    assert _tick(page, 0, key_of(email)) and not _tick(page, 0, key_of(ip))

    assert (
        client.submit(
            wizard_url(request.id, "persons"), _persons_form([ip, email, email], "1")
        ).status_code
        == 302
    )
    saved = saved_request(db, request.id).content
    assert [m["identifiers"] for m in saved["measures"]] == [[1], [0, 1]]

    data = {**step_data("measures"), "version": "2"}
    assert client.submit(wizard_url(request.id, "measures"), data).status_code == 302
    assert [m["identifiers"] for m in saved_request(db, request.id).content["measures"]] == [
        [1],
        [0, 1],
    ]


def test_a_tick_lost_between_checking_and_saving_is_named_on_the_conflict_page(
    app: Flask,
) -> None:
    content = example_content()
    email, ip = content["identifiers"]
    posted = MultiDict(
        [("measures-0-kind", "stored_content"), ("measures-0-identifiers", key_of(email)),
         ("measures-1-kind", "traffic_data"), ("measures-1-identifiers", key_of(ip))]
    )  # fmt: skip
    with app.test_request_context():
        form = MeasuresForm(formdata=posted, meta={"csrf": False})
        assert form.conflict_notes(content) == []
        content["identifiers"] = [ip]
        notes = form.conflict_notes(content)
    assert len(notes) == 1 and notes[0].startswith("Measure 1: someone else changed or removed")


def test_fingerprints_name_the_identifier_not_its_spelling_of_the_time() -> None:
    assert identifier_key("ip", IP, "2026-03-09T10:14:22+03:00") == identifier_key(
        "ip", f" {IP} ", "2026-03-09T07:14:22Z"
    )  # the same instant
    assert identifier_key("ip", IP, "2026-03-09T10:14:22+03:00") != identifier_key(
        "ip", IP, "2026-03-09T10:14:22+01:00"
    )
    assert identifier_key("account", "Wallet1", None) != identifier_key("account", "wallet1", None)
    assert identifier_key("email", EMAIL, None) != identifier_key("account", EMAIL, None)
    assert re.fullmatch(r"[0-9a-f]{16}", identifier_key("email", EMAIL, None))
    stored = example_content()["identifiers"]
    assert identifier_positions([*stored, stored[0], "junk"]) == {
        key_of(stored[0]): 0,
        key_of(stored[1]): 1,
    }
