"""Export a request as JSON in the request format, and import such a file as a new draft."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from sqlmodel import Session, select

from mlat.models import AuditEntry, MlaRequest, RequestStatus, Role
from mlat.request_format import RequestDocument
from tests.conftest import (
    Client,
    LoginAs,
    MakeRequest,
    check_page,
    flashes,
    form_errors,
    text_of,
    texts,
)
from tests.wizard_helpers import EXAMPLE, example_content


def _import(client: Client, data: bytes, name: str = "request.json", title: str = "") -> Any:
    return client.submit("/requests/import", {"file": (io.BytesIO(data), name), "title": title})


def _audited(db: Session, action: str) -> list[AuditEntry]:
    return list(db.exec(select(AuditEntry).where(AuditEntry.action == action)))


def test_export_downloads_the_request_in_the_request_format(
    client: Client, login_as: LoginAs, make_request: MakeRequest, db: Session
) -> None:
    request = make_request(login_as(Role.officer), content=example_content())
    show = check_page(client.get(f"/requests/{request.id}"))
    export = show.select_one(f'.page-head a[href="/requests/{request.id}/export.json"]')
    assert export is not None and text_of(export) == "Export JSON"
    exported = client.get(f"/requests/{request.id}/export.json")
    assert exported.status_code == 200
    assert exported.headers["Content-Type"] == "application/json"
    assert exported.headers["Content-Disposition"] == (
        f'attachment; filename="{request.reference}.json"'
    )
    document = json.loads(exported.data)
    assert document["reference"] == request.reference
    assert document["requesting_state"] == "QA"
    assert document["requested_state"] == "US"
    RequestDocument.model_validate(document)  # it is in the documented format
    entries = _audited(db, "request.export")
    assert [e.object_id for e in entries] == [str(request.id)]


def test_export_and_import_round_trip_gives_a_new_draft_with_the_same_content(
    client: Client, login_as: LoginAs, make_request: MakeRequest, db: Session
) -> None:
    original = make_request(login_as(Role.officer), content=example_content())
    exported = client.get(f"/requests/{original.id}/export.json").data

    listing = check_page(client.get("/"))
    assert texts(listing, '.page-head a[href="/requests/import"]') == ["Import JSON"]
    response = _import(client, exported, title="Copy of the BEC case")
    assert response.status_code == 302
    copy = db.exec(select(MlaRequest).where(MlaRequest.id != original.id)).one()
    assert response.location == f"/requests/{copy.id}/wizard"
    assert copy.reference != original.reference
    assert copy.status == RequestStatus.draft
    assert copy.title == "Copy of the BEC case"
    assert copy.requested_state == "US"
    assert copy.content == original.content
    shown = check_page(client.get(response.location))
    assert f"Imported as {copy.reference}, a new draft." in flashes(shown)
    assert len(_audited(db, "request.import")) == 1


def test_the_documented_example_imports_with_the_case_number_as_title(
    client: Client, login_as: LoginAs, db: Session
) -> None:
    login_as(Role.officer)
    assert _import(client, EXAMPLE.read_bytes()).status_code == 302
    imported = db.exec(select(MlaRequest)).one()
    assert imported.title == "Imported request CYB/2026/0412"
    assert imported.content["facts"].startswith("Between 3 and 10 March 2026")


@pytest.mark.parametrize(
    ("data", "messages"),
    [
        (b"{not json", ["The file is not valid JSON.", "Line 1, column 2:"]),
        (b"[1, 2, 3]", ["The file holds JSON, but not a request (an object)."]),
        (b"\xff\xfe{}", ["The file is not UTF-8 text"]),
        (json.dumps({"requested_state": "US", "measures": [{"kind": "telepathy"}],
                     "facts": 7}).encode(),
         ["The request content is not in the request format.",
          "Measure 1, kind: use one of the values the format allows: 'preservation'",
          "summary of the facts: give text"]),
        (json.dumps({"requested_state": "US", "offences": [
            {"name": "Fraud", "max_penalty_years": "lots"}
        ]}).encode(),
         ["Offence 1, maximum penalty: give a number of years"]),
        (json.dumps({"facts": "x"}).encode(),
         ["The file does not say which state is asked (requested_state)."]),
        (json.dumps({"requested_state": "XX"}).encode(),
         ["XX is not a known state (requested_state)."]),
        (json.dumps({"requesting_state": "GB", "requested_state": "US"}).encode(),
         ["The file is a request of GB, but your unit is in QA."]),
        (b'{"format_version": ' + b"9" * 5000 + b', "requested_state": "US"}',
         ["The file holds a number far too long to be in a request."]),
        (json.dumps({"requested_state": "US", "identifiers": [
            {"kind": "ip", "value": "198.51.100.23", "observed_at": "9999-12-31T23:59-05:00"}
        ]}).encode(),
         ["The request content is not in the request format.",
          "Identifier 1, time of use: the time is out of range"]),
    ],
    ids=["not-json", "array", "not-utf8", "wrong-types", "penalty-in-words", "no-state",
         "unknown-state", "other-requesting-state", "endless-integer", "time-beyond-utc"],
)  # fmt: skip
def test_a_file_that_does_not_fit_is_refused_with_what_is_wrong(
    client: Client, login_as: LoginAs, db: Session, data: bytes, messages: list[str]
) -> None:
    login_as(Role.officer)
    response = _import(client, data)
    assert response.status_code == 400
    page = check_page(response)
    assert text_of(page.select_one(".error-summary h2")) == "There is a problem"
    problems = " ".join(form_errors(page) + texts(page, ".import-problems li"))
    for message in messages:
        assert message in problems
    assert db.exec(select(MlaRequest)).all() == []


def test_import_needs_a_file_and_an_officer(client: Client, login_as: LoginAs) -> None:
    login_as(Role.officer)
    response = client.submit("/requests/import", {"title": "No file"})
    assert response.status_code == 400
    assert any("Choose a JSON file to import." in e for e in form_errors(check_page(response)))
    client.post("/logout")
    login_as(Role.reviewer)
    assert client.get("/requests/import").status_code == 403
