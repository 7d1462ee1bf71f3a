"""The request wizard end to end: drafting a complete request step by step, the task
list, rows added and removed, and concurrent edits."""

from __future__ import annotations

import hashlib
import io

from bs4 import BeautifulSoup
from sqlmodel import Session

from mlat.models import (
    RequestStatus,
    Role,
    Unit,
)
from mlat.services.requests import save_content
from tests.conftest import (
    Client,
    LoginAs,
    MakeRequest,
    MakeUser,
    PageClient,
    check_page,
    field_value,
    flashes,
    form_errors,
    summary,
    text_of,
    texts,
)
from tests.wizard_helpers import (
    HEADERS_TXT,
    PDF,
    example_content,
    hidden_version,
    saved_request,
    step_data,
    wizard_url,
)

CONFLICT_MESSAGE = "Someone else saved this request after you opened it."
FORM_STEPS = ["route", "offences", "facts", "persons", "measures", "safeguards"]


def task_states(page: BeautifulSoup) -> list[str]:
    """The state the task list shows for each part, in order."""
    return texts(page, ".task-list .task-tag")


def submit_button(page: BeautifulSoup) -> list[str]:
    """The labels of the buttons in the check page's submit box."""
    return texts(page, ".submit-box form button")


def test_officer_drafts_the_example_request_over_all_steps_and_submits_it(
    client: Client, client_request: PageClient, login_as: LoginAs, db: Session, unit: Unit
) -> None:
    assert unit.state == "QA"
    login_as(Role.officer)
    created = client.submit(
        "/requests/new", {"title": "Business e-mail compromise", "requested_state": "US"}
    )
    assert created.status_code == 302
    request_id = int(created.location.split("/")[2])
    assert created.location == wizard_url(request_id, "route")  # a new draft starts at step 1

    tasks = client_request.get(wizard_url(request_id))
    # nothing is started, so nothing has problems
    assert task_states(tasks) == ["Incomplete"] * 8
    assert "Ready to submit" not in tasks.text

    follow = {
        "route": "offences",
        "offences": "facts",
        "facts": "persons",
        "persons": "measures",
        "measures": "safeguards",
        "safeguards": "annexes",
    }
    for step in FORM_STEPS:
        version = hidden_version(client.get(wizard_url(request_id, step)).text)
        saved = client.submit(wizard_url(request_id, step), {**step_data(step), "version": version})
        assert saved.status_code == 302, (step, saved.text)
        assert saved.location == wizard_url(request_id, follow[step])

    for name, kind, title, data in (
        ("art11.pdf", "offence_text", "Law No. 14 of 2014, article 11 (English translation)", PDF),
        ("headers.txt", "evidence", "Headers of the five fraudulent e-mails", HEADERS_TXT),
    ):
        page = client.get(wizard_url(request_id, "annexes"))
        uploaded = client.submit(
            wizard_url(request_id, "annexes"),
            {
                "file": (io.BytesIO(data), name),
                "kind": kind,
                "title": title,
                "language": "en",
                "version": hidden_version(page.text),
            },
        )
        assert uploaded.status_code == 302, uploaded.text

    request = saved_request(db, request_id)
    expected = example_content()  # exactly the example, typed step by step ...
    for annex, data in zip(expected["annexes"], (PDF, HEADERS_TXT), strict=True):
        annex["sha256"] = hashlib.sha256(data).hexdigest()  # ... with the uploads' digests
    assert request.content == expected
    assert request.title == "Business e-mail compromise of Al Waha Trading"

    tasks = client_request.get(wizard_url(request_id))
    assert "Incomplete" not in tasks.text and "Has problems" not in tasks.text
    assert task_states(tasks)[-1] == "Ready to submit"
    assert set(task_states(tasks)[:-1]) == {"Completed"}

    check = client_request.get(wizard_url(request_id, "check"))
    assert check.select(".error-summary") == []
    assert "problem must be fixed" not in check.text
    assert "problems must be fixed" not in check.text
    assert text_of(check.select_one(".submit-box p")).startswith("No problems block the request.")
    form = check.select_one(".submit-box form")
    assert form is not None and form["action"] == f"/requests/{request_id}/do/submit"
    assert submit_button(check) == ["Submit for review"]

    submitted = client.submit(
        f"/requests/{request_id}/do/submit",
        {"version": str(request.version)},
        form_url=wizard_url(request_id, "check"),
    )
    assert submitted.status_code in (302, 303)
    assert saved_request(db, request_id).status == RequestStatus.in_review


def test_check_page_lists_findings_beside_their_part_with_links_to_fix_them(
    client_request: PageClient, login_as: LoginAs, make_request: MakeRequest
) -> None:
    content = example_content()
    content["identifiers"][1]["observed_at"] = None
    content["signatory"] = {"name": "", "title": ""}
    request = make_request(login_as(Role.officer), content=content)
    check = client_request.get(wizard_url(request.id, "check"))
    assert texts(check, ".error-summary h2") == [
        "2 problems must be fixed before the request can be submitted."
    ]
    assert form_errors(check) == ["Persons and identifiers", "Urgency, preservation and safeguards"]
    [persons] = texts(check, "#check-persons .finding")
    assert "An IP address identifies nobody without the exact date and time" in persons
    links = [str(a["href"]) for a in check.select("#check-persons .finding a")]
    assert f"{wizard_url(request.id, 'persons')}#identifiers-1-observed_at" in links
    [safeguards] = texts(check, "#check-safeguards .finding")
    assert "Name the person who signs the request" in safeguards
    assert submit_button(check) == []
    # the whole request, in words
    persons_listed = texts(check, "#check-persons ul > li")
    assert any(p.startswith("Al Waha Trading W.L.L. (Victim)") for p in persons_listed)
    assert any("up to 3 years" in offence for offence in texts(check, "#check-offences li"))
    assert summary(check, "#check-route dl")["Language"] == "English"

    tasks = client_request.get(wizard_url(request.id))
    # persons, safeguards, and the check itself
    assert task_states(tasks).count("Has problems") == 3
    assert [task_states(tasks)[i] for i in (3, 5, 7)] == ["Has problems"] * 3


def test_adding_a_row_keeps_everything_typed_and_saves_nothing(
    client: Client, login_as: LoginAs, make_request: MakeRequest, db: Session
) -> None:
    request = make_request(login_as(Role.officer))
    typed = {
        "offences-0-name": "Fraud by means of an information system",
        "offences-0-citation": "Law No. 14 of 2014, art. 11",
        "offences-1-name": "Forgery of electronic documents",
        "offences-1-max_penalty_years": "5",
    }
    response = client.submit(
        wizard_url(request.id, "offences"), {**typed, "version": "1", "rows": "add:offences"}
    )
    assert response.status_code == 200
    page = check_page(response)
    for name, value in typed.items():
        assert field_value(page, name) == value
    assert field_value(page, "offences-2-name") == ""  # the new, empty row
    new_row = page.select_one("#offences-2-name")
    assert new_row is not None and new_row.has_attr("autofocus")  # focus moves there
    assert [i["id"] for i in page.select("input[autofocus]")] == ["offences-2-name"]
    assert any(message.startswith("Not saved yet") for message in flashes(page)), flashes(page)
    assert saved_request(db, request.id).version == 1


def test_removing_a_row_keeps_the_other_rows_as_typed(
    client: Client, login_as: LoginAs, make_request: MakeRequest, db: Session
) -> None:
    request = make_request(login_as(Role.officer))
    typed = {f"offences-{i}-name": name for i, name in enumerate(["First", "Second", "Third"])}
    response = client.submit(
        wizard_url(request.id, "offences"), {**typed, "version": "1", "rows": "remove:offences:1"}
    )
    assert response.status_code == 200
    page = check_page(response)
    assert field_value(page, "offences-0-name") == "First"
    # The row is rendered like any other: its limit is checked on the server, never cut.
    assert page.select_one("#offences-0-name:not([maxlength])") is not None
    assert field_value(page, "offences-1-name") == "Third"
    assert "Second" not in response.text
    assert page.select("#offences-2-name") == []
    assert saved_request(db, request.id).content["offences"] == []


def test_removing_an_identifier_keeps_each_measure_linked_to_the_same_identifiers(
    client: Client, login_as: LoginAs, make_request: MakeRequest, db: Session
) -> None:
    request = make_request(login_as(Role.officer), content=example_content())
    data = {**step_data("persons"), "version": "1"}
    page = check_page(client.get(wizard_url(request.id, "persons")))
    for row in ("identifiers-0-origin", "identifiers-1-origin"):  # as the page sends them
        assert page.select_one(f'input#{row}[type="hidden"]') is not None
        assert field_value(page, row) == data[row]
    shown = check_page(
        client.submit(wizard_url(request.id, "persons"), {**data, "rows": "remove:identifiers:0"})
    )
    values = [str(i.get("value", "")) for i in shown.select("#identifiers input")]
    assert "198.51.100.23" in values
    assert "finance.alwaha@mailhost.example" not in values
    form = {k: v for k, v in data.items() if not k.startswith("identifiers-")}
    form |= {
        f"identifiers-0-{k.split('-', 2)[2]}": v
        for k, v in data.items()
        if k.startswith("identifiers-1-")
    }
    assert client.submit(wizard_url(request.id, "persons"), form).status_code == 302
    saved = saved_request(db, request.id).content
    assert [i["value"] for i in saved["identifiers"]] == ["198.51.100.23"]
    assert [m["identifiers"] for m in saved["measures"]] == [[], [0]]


def test_a_second_save_from_a_stale_page_is_refused_and_keeps_the_input(
    client: Client,
    login_as: LoginAs,
    make_user: MakeUser,
    make_request: MakeRequest,
    db: Session,
) -> None:
    officer = login_as(Role.officer)
    colleague = make_user(Role.officer)
    request = make_request(officer)
    assert hidden_version(client.get(wizard_url(request.id, "facts")).text) == "1"
    content = dict(saved_request(db, request.id).content, facts="The colleague's summary.")
    save_content(
        session=db,
        request=saved_request(db, request.id),
        editor=colleague,
        expected_version=1,
        content=content,
    )
    db.commit()

    mine = {"facts": "My careful summary of the facts.", "nexus": "My nexus.", "version": "1"}
    refused = client.submit(wizard_url(request.id, "facts"), mine)
    assert refused.status_code == 409
    page = check_page(refused)
    assert any(CONFLICT_MESSAGE in m for m in flashes(page) + form_errors(page))
    assert field_value(page, "facts") == "My careful summary of the facts."
    assert field_value(page, "version") == "2"
    assert saved_request(db, request.id).content["facts"] == "The colleague's summary."

    again = client.submit(wizard_url(request.id, "facts"), {**mine, "version": "2"})
    assert again.status_code == 302
    assert saved_request(db, request.id).content["facts"] == "My careful summary of the facts."
