"""The request wizard end to end: drafting a complete request step by step, the task
list, rows added and removed, and concurrent edits."""

from __future__ import annotations

import hashlib
import io
import re

from sqlmodel import Session

from mlat.models import (
    RequestStatus,
    Role,
    Unit,
)
from mlat.services.requests import save_content
from tests.conftest import Client, LoginAs, MakeRequest, MakeUser
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


def test_officer_drafts_the_example_request_over_all_steps_and_submits_it(
    client: Client, login_as: LoginAs, db: Session, unit: Unit
) -> None:
    assert unit.state == "QA"
    login_as(Role.officer)
    created = client.submit(
        "/requests/new", {"title": "Business e-mail compromise", "requested_state": "US"}
    )
    assert created.status_code == 302
    request_id = int(created.location.split("/")[2])
    assert created.location == wizard_url(request_id, "route")  # a new draft starts at step 1

    tasks = client.get(wizard_url(request_id))
    assert tasks.text.count("Incomplete") == 8  # nothing is started, so nothing has problems
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

    tasks = client.get(wizard_url(request_id))
    assert "Incomplete" not in tasks.text and "Has problems" not in tasks.text
    assert "Ready to submit" in tasks.text

    check = client.get(wizard_url(request_id, "check"))
    assert check.status_code == 200
    assert "problem must be fixed" not in check.text
    assert "problems must be fixed" not in check.text
    assert "No problems block the request." in check.text
    assert f'action="/requests/{request_id}/do/submit"' in check.text
    assert ">Submit for review</button>" in check.text

    submitted = client.submit(
        f"/requests/{request_id}/do/submit",
        {"version": str(request.version)},
        form_url=wizard_url(request_id, "check"),
    )
    assert submitted.status_code in (302, 303)
    assert saved_request(db, request_id).status == RequestStatus.in_review


def test_check_page_lists_findings_beside_their_part_with_links_to_fix_them(
    client: Client, login_as: LoginAs, make_request: MakeRequest
) -> None:
    content = example_content()
    content["identifiers"][1]["observed_at"] = None
    content["signatory"] = {"name": "", "title": ""}
    request = make_request(login_as(Role.officer), content=content)
    check = client.get(wizard_url(request.id, "check"))
    assert "2 problems must be fixed before the request can be submitted." in check.text
    persons = check.text.split('id="check-persons"')[1].split("</section>")[0]
    assert "An IP address identifies nobody without the exact date and time" in persons
    assert f'href="{wizard_url(request.id, "persons")}#identifiers-1-observed_at"' in persons
    safeguards = check.text.split('id="check-safeguards"')[1].split("</section>")[0]
    assert "Name the person who signs the request" in safeguards
    assert ">Submit for review</button>" not in check.text
    assert "Al Waha Trading W.L.L. (Victim)" in check.text  # the whole request, in words
    assert "up to 3 years" in check.text
    assert "Language</dt><dd>English" in check.text

    tasks = client.get(wizard_url(request.id))
    assert tasks.text.count("Has problems") == 3  # persons, safeguards, and the check itself


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
    page = client.submit(
        wizard_url(request.id, "offences"), {**typed, "version": "1", "rows": "add:offences"}
    )
    assert page.status_code == 200
    for value in typed.values():
        assert f'value="{value}"' in page.text
    assert 'id="offences-2-name"' in page.text  # the new, empty row
    assert re.search(r'<input autofocus[^>]* id="offences-2-name"', page.text)  # focus moves there
    assert "Not saved yet" in page.text
    assert saved_request(db, request.id).version == 1


def test_removing_a_row_keeps_the_other_rows_as_typed(
    client: Client, login_as: LoginAs, make_request: MakeRequest, db: Session
) -> None:
    request = make_request(login_as(Role.officer))
    typed = {f"offences-{i}-name": name for i, name in enumerate(["First", "Second", "Third"])}
    page = client.submit(
        wizard_url(request.id, "offences"), {**typed, "version": "1", "rows": "remove:offences:1"}
    )
    assert page.status_code == 200
    assert (
        'id="offences-0-name" maxlength="500" name="offences-0-name" type="text" value="First"'
        in page.text
    )
    assert 'name="offences-1-name" type="text" value="Third"' in page.text
    assert "Second" not in page.text
    assert 'id="offences-2-name"' not in page.text
    assert saved_request(db, request.id).content["offences"] == []


def test_removing_an_identifier_keeps_each_measure_linked_to_the_same_identifiers(
    client: Client, login_as: LoginAs, make_request: MakeRequest, db: Session
) -> None:
    request = make_request(login_as(Role.officer), content=example_content())
    data = {**step_data("persons"), "version": "1"}
    page = client.get(wizard_url(request.id, "persons")).text
    for row in ("identifiers-0-origin", "identifiers-1-origin"):  # as the page sends them
        assert f'id="{row}" name="{row}" type="hidden" value="{data[row]}"' in page
    shown = client.submit(
        wizard_url(request.id, "persons"), {**data, "rows": "remove:identifiers:0"}
    )
    assert 'value="198.51.100.23"' in shown.text
    assert 'value="finance.alwaha@mailhost.example"' not in shown.text.split('id="identifiers"')[1]
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
    assert CONFLICT_MESSAGE in refused.text
    assert "My careful summary of the facts.</textarea>" in refused.text
    assert hidden_version(refused.text) == "2"
    assert saved_request(db, request.id).content["facts"] == "The colleague's summary."

    again = client.submit(wizard_url(request.id, "facts"), {**mine, "version": "2"})
    assert again.status_code == 302
    assert saved_request(db, request.id).content["facts"] == "My careful summary of the facts."
