"""The request wizard end to end: drafting a complete request step by step, the task
list, rows added and removed, concurrent edits, live checks and review comments."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import select

from mlat.models import (
    AuditEntry,
    MlaRequest,
    RequestEvent,
    RequestStatus,
    ReviewComment,
    Role,
    Unit,
    User,
)
from mlat.services.requests import save_content
from tests.conftest import Client
from tests.wizard_helpers import (
    HEADERS_TXT,
    PDF,
    example,
    example_content,
    hidden_version,
    notes_of,
    saved_request,
    step_data,
    wizard_url,
)

CONFLICT_MESSAGE = "Someone else saved this request after you opened it."
FORM_STEPS = ["route", "offences", "facts", "persons", "measures", "safeguards"]


def test_officer_drafts_the_example_request_over_all_steps_and_submits_it(
    client: Client, login_as: Callable[..., User], db: Any, unit: Unit
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
    client: Client, login_as: Callable[..., User], make_request: Callable[..., MlaRequest]
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
    client: Client, login_as: Callable[..., User], make_request: Callable[..., MlaRequest], db: Any
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
    client: Client, login_as: Callable[..., User], make_request: Callable[..., MlaRequest], db: Any
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
    client: Client, login_as: Callable[..., User], make_request: Callable[..., MlaRequest], db: Any
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
    login_as: Callable[..., User],
    make_user: Callable[..., User],
    make_request: Callable[..., MlaRequest],
    db: Any,
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


def test_live_check_returns_the_steps_findings_without_saving(
    client: Client, login_as: Callable[..., User], make_request: Callable[..., MlaRequest], db: Any
) -> None:
    request = make_request(login_as(Role.officer), content=example_content())
    fragment = client.submit(
        wizard_url(request.id, "facts") + "/check",
        {"facts": "Fraud.", "nexus": example()["nexus"], "version": "1"},
        form_url=wizard_url(request.id, "facts"),
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert "The summary of facts is very short (1 words)" in fragment.text
    assert "Signature" not in fragment.text  # only this step's findings
    saved = saved_request(db, request.id)
    assert saved.version == 1
    assert saved.content["facts"] == example()["facts"]

    bad_ip = {**step_data("persons"), "identifiers-1-value": "198.51.100.300", "version": "1"}
    fragment = client.submit(
        wizard_url(request.id, "persons") + "/check",
        bad_ip,
        form_url=wizard_url(request.id, "persons"),
    )
    assert "Enter an IP address such as 198.51.100.23" in fragment.text
    assert 'href="#identifiers-1-value"' in fragment.text
    assert saved_request(db, request.id).version == 1


def test_step_page_has_a_live_region_and_loads_the_script(
    client: Client, login_as: Callable[..., User], make_request: Callable[..., MlaRequest]
) -> None:
    request = make_request(login_as(Role.officer))
    page = client.get(wizard_url(request.id, "facts"))
    assert 'id="step-findings" class="wizard-findings" aria-live="polite"' in page.text
    assert f'data-live-check="{wizard_url(request.id, "facts")}/check"' in page.text
    assert '<script src="/static/wizard.js" defer></script>' in page.text
    assert " onclick=" not in page.text and " style=" not in page.text
    script = client.get("/static/wizard.js")
    assert script.status_code == 200
    assert "step-findings" in script.text  # served by the app itself, no CDN
    script.close()


def _return_with_comments(db: Any, request: MlaRequest, reviewer: User) -> None:
    assert request.id is not None and reviewer.id is not None
    event = RequestEvent(
        request_id=request.id,
        actor_id=reviewer.id,
        action="return",
        from_status="in_review",
        to_status="returned",
    )
    db.add(event)
    db.flush()
    assert event.id is not None
    for field, body in (
        ("facts", "Say when the account was created."),
        ("identifiers", "Give the provider of the IP address."),
        ("", "Please use the new template."),
    ):
        db.add(
            ReviewComment(
                request_id=request.id,
                event_id=event.id,
                author_id=reviewer.id,
                field=field,
                body=body,
            )
        )
    request.status = RequestStatus.returned
    db.add(request)
    db.commit()


def test_reviewers_comments_appear_beside_the_parts_they_concern(
    client: Client,
    login_as: Callable[..., User],
    make_user: Callable[..., User],
    make_request: Callable[..., MlaRequest],
    db: Any,
) -> None:
    request = make_request(login_as(Role.officer), content=example_content())
    _return_with_comments(db, request, make_user(Role.reviewer))

    facts = client.get(wizard_url(request.id, "facts"))
    assert "Say when the account was created." in notes_of(facts.text, "facts")
    assert "Give the provider" not in facts.text
    persons = client.get(wizard_url(request.id, "persons"))
    assert "Give the provider of the IP address." in notes_of(persons.text, "identifiers")

    tasks = client.get(wizard_url(request.id))
    assert "Please use the new template." in tasks.text
    facts_task = tasks.text.split("Facts and nexus")[1].split("</li>")[0]
    assert "1 comment from the reviewer" in facts_task


@pytest.mark.parametrize("status", [RequestStatus.signed, RequestStatus.transmitted])
def test_a_request_past_signing_is_not_opened_in_the_wizard(
    client: Client,
    login_as: Callable[..., User],
    make_request: Callable[..., MlaRequest],
    db: Any,
    status: RequestStatus,
) -> None:
    request = make_request(login_as(Role.officer))
    request.status = status
    db.add(request)
    db.commit()
    for url in (wizard_url(request.id), wizard_url(request.id, "facts")):
        response = client.get(url, follow_redirects=True)
        assert "This request can no longer be edited in its current state." in response.text
    posted = client.submit(
        wizard_url(request.id, "facts"),
        {"facts": "Late change", "version": "1"},
        form_url=f"/requests/{request.id}",
    )
    assert posted.status_code == 302
    assert saved_request(db, request.id).content["facts"] == ""


def test_other_units_and_other_roles_cannot_use_the_wizard(
    client: Client,
    login_as: Callable[..., User],
    make_user: Callable[..., User],
    make_unit: Callable[..., Unit],
    make_request: Callable[..., MlaRequest],
) -> None:
    request = make_request(make_user(Role.officer), title="Confidential Doha case")
    login_as(Role.officer, unit_=make_unit())
    assert client.get(wizard_url(request.id)).status_code == 404
    assert client.get(wizard_url(request.id, "facts")).status_code == 404
    client.post("/logout")
    login_as(Role.reviewer)
    assert client.get(wizard_url(request.id, "facts")).status_code == 403


def test_unknown_step_is_not_found(
    client: Client, login_as: Callable[..., User], make_request: Callable[..., MlaRequest]
) -> None:
    request = make_request(login_as(Role.officer))
    assert client.get(wizard_url(request.id, "nonsense")).status_code == 404


def test_changing_the_requested_state_shows_the_route_again(
    client: Client, login_as: Callable[..., User], make_request: Callable[..., MlaRequest]
) -> None:
    request = make_request(login_as(Role.officer), content=example_content())
    data = {**step_data("route"), "requested_state": "GB", "version": "1"}
    response = client.submit(wizard_url(request.id, "route"), data, follow_redirects=True)
    assert "The requested state changed: check the legal basis and channel." in response.text
    assert "What United Kingdom requires" in response.text
    assert "UK Central Authority" in response.text


def test_opening_a_step_or_the_check_page_is_audited_as_a_consultation(
    client: Client,
    login_as: Callable[..., User],
    make_request: Callable[..., MlaRequest],
    db: Any,
) -> None:
    officer = login_as(Role.officer)
    draft = make_request(officer)
    client.get(wizard_url(draft.id, "facts"))
    client.get(wizard_url(draft.id, "check"))
    views = db.exec(
        select(AuditEntry.reason).where(
            AuditEntry.action == "request.view", AuditEntry.object_id == str(draft.id)
        )
    ).all()
    assert views == ["wizard: facts", "wizard: check"]
