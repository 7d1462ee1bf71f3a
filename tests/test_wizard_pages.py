"""The wizard's pages: live checks, reviewers' comments beside the fields, a change of
requested state, who may open the wizard, and opening a step audited as a consultation."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from sqlmodel import Session, select

from mlat.models import (
    AuditEntry,
    MlaRequest,
    RequestEvent,
    RequestStatus,
    ReviewComment,
    Role,
    User,
    WorkflowAction,
)
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
    text_of,
    texts,
)
from tests.wizard_helpers import (
    example,
    example_content,
    notes_of,
    saved_request,
    step_data,
    wizard_url,
)


def test_live_check_returns_the_steps_findings_without_saving(
    client: Client, login_as: LoginAs, make_request: MakeRequest, db: Session
) -> None:
    request = make_request(login_as(Role.officer), content=example_content())
    fragment = client.submit(
        wizard_url(request.id, "facts") + "/check",
        {"facts": "Fraud.", "nexus": example()["nexus"], "version": "1"},
        form_url=wizard_url(request.id, "facts"),
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    findings = texts(BeautifulSoup(fragment.text, "html.parser"), ".findings > li")
    assert any("The summary of facts is very short (1 word)" in f for f in findings), findings
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
    links = BeautifulSoup(fragment.text, "html.parser").select(".findings > li a")
    assert [(a["href"], text_of(a)) for a in links if a["href"] == "#identifiers-1-value"] == [
        ("#identifiers-1-value", "Enter an IP address such as 198.51.100.23 or 2001:db8::1.")
    ]
    assert saved_request(db, request.id).version == 1


def test_step_page_has_a_live_region_and_loads_the_script(
    client: Client, client_request: PageClient, login_as: LoginAs, make_request: MakeRequest
) -> None:
    request = make_request(login_as(Role.officer))
    page = client_request.get(wizard_url(request.id, "facts"))
    region = page.select_one("#step-findings")
    assert region is not None
    assert (region["class"], region["aria-live"]) == (["wizard-findings"], "polite")
    [form] = page.select("form[data-live-check]")
    assert form["data-live-check"] == f"{wizard_url(request.id, 'facts')}/check"
    [tag] = page.select("script")
    assert (tag["src"], tag.has_attr("defer")) == ("/static/wizard.js", True)
    assert page.select("[onclick]") == [] and page.select("[style]") == []
    script = client.get("/static/wizard.js")
    assert script.status_code == 200
    assert "step-findings" in script.text  # served by the app itself, no CDN
    script.close()


def _return_with_comments(db: Session, request: MlaRequest, reviewer: User) -> None:
    assert request.id is not None and reviewer.id is not None
    event = RequestEvent(
        request_id=request.id,
        actor_id=reviewer.id,
        action=WorkflowAction.return_,
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
    login_as: LoginAs,
    make_user: MakeUser,
    make_request: MakeRequest,
    db: Session,
) -> None:
    request = make_request(login_as(Role.officer), content=example_content())
    _return_with_comments(db, request, make_user(Role.reviewer))

    facts = check_page(client.get(wizard_url(request.id, "facts")))
    assert "Say when the account was created." in notes_of(facts, "facts")
    assert "Give the provider" not in facts.text
    persons = check_page(client.get(wizard_url(request.id, "persons")))
    assert "Give the provider of the IP address." in notes_of(persons, "identifiers")

    tasks = check_page(client.get(wizard_url(request.id)))
    assert texts(tasks, ".review-comments li") == ["Please use the new template."]
    [facts_task] = [t for t in texts(tasks, ".task-list > li") if "Facts and nexus" in t]
    assert "1 comment from the reviewer" in facts_task


@pytest.mark.parametrize("status", [RequestStatus.signed, RequestStatus.transmitted])
def test_a_request_past_signing_is_not_opened_in_the_wizard(
    client: Client,
    login_as: LoginAs,
    make_request: MakeRequest,
    db: Session,
    status: RequestStatus,
) -> None:
    request = make_request(login_as(Role.officer))
    request.status = status
    db.add(request)
    db.commit()
    for url in (wizard_url(request.id), wizard_url(request.id, "facts")):
        page = check_page(client.get(url, follow_redirects=True))
        assert flashes(page) == ["This request can no longer be edited in its current state."]
    posted = client.submit(
        wizard_url(request.id, "facts"),
        {"facts": "Late change", "version": "1"},
        form_url=f"/requests/{request.id}",
    )
    assert posted.status_code == 302
    assert saved_request(db, request.id).content["facts"] == ""


def test_other_units_and_other_roles_cannot_use_the_wizard(
    client: Client,
    login_as: LoginAs,
    make_user: MakeUser,
    make_unit: MakeUnit,
    make_request: MakeRequest,
) -> None:
    request = make_request(make_user(Role.officer), title="Confidential Doha case")
    login_as(Role.officer, unit_=make_unit())
    assert client.get(wizard_url(request.id)).status_code == 404
    assert client.get(wizard_url(request.id, "facts")).status_code == 404
    client.post("/logout")
    login_as(Role.reviewer)
    assert client.get(wizard_url(request.id, "facts")).status_code == 403


def test_unknown_step_is_not_found(
    client: Client, login_as: LoginAs, make_request: MakeRequest
) -> None:
    request = make_request(login_as(Role.officer))
    assert client.get(wizard_url(request.id, "nonsense")).status_code == 404


def test_changing_the_requested_state_shows_the_route_again(
    client_request: PageClient, login_as: LoginAs, make_request: MakeRequest
) -> None:
    request = make_request(login_as(Role.officer), content=example_content())
    data = {**step_data("route"), "requested_state": "GB", "version": "1"}
    page = client_request.post(wizard_url(request.id, "route"), data, follow_redirects=True)
    assert text_of(page.h1) == "Route and requesting authority"
    assert "The requested state changed: check the legal basis and channel." in flashes(page)
    assert field_value(page, "requested_state") == "GB"
    assert text_of(page.select_one("#guidance-title")) == "What United Kingdom requires"
    assert "UK Central Authority (UKCA), Home Office" in texts(page, ".wizard-aside p strong")
    # The advisor's routes are those to the United Kingdom now.
    assert page.select('.wizard-aside li[data-route][data-basis="mlat-gb-us"]') == []
    assert page.select(".wizard-aside li[data-route]")


def test_the_route_step_refuses_the_units_own_state_and_keeps_the_input(
    client_request: PageClient, login_as: LoginAs, make_request: MakeRequest
) -> None:
    request = make_request(login_as(Role.officer), content=example_content())
    data = {**step_data("route"), "title": "Kept title", "requested_state": "QA", "version": "1"}
    page = client_request.post(wizard_url(request.id, "route"), data)
    [error] = form_errors(page)
    assert "a request to your own state is not mutual legal assistance" in error
    assert field_value(page, "title") == "Kept title"
    assert page.select('select#requested_state option[value="QA"]') == []


def test_opening_a_step_or_the_check_page_is_audited_as_a_consultation(
    client: Client,
    login_as: LoginAs,
    make_request: MakeRequest,
    db: Session,
) -> None:
    officer = login_as(Role.officer)
    draft = make_request(officer)
    client.get(wizard_url(draft.id, "facts"))
    client.get(wizard_url(draft.id, "check"))
    views = db.exec(
        select(AuditEntry.details).where(
            AuditEntry.action == "request.view", AuditEntry.object_id == str(draft.id)
        )
    ).all()
    assert views == [{"wizard_step": "facts"}, {"wizard_step": "check"}]


def test_a_time_of_use_beyond_any_calendar_is_refused_and_the_steps_still_open(
    client: Client, login_as: LoginAs, make_request: MakeRequest, db: Session
) -> None:
    """9999-12-31T23:59 at UTC-05:00 is in the year 10000 in UTC: it once saved, and then
    the persons and measures steps answered 500 for good."""
    request = make_request(login_as(Role.officer), content=example_content())
    data = {
        **step_data("persons"),
        "identifiers-1-observed_at": "9999-12-31T23:59",
        "identifiers-1-observed_tz": "-05:00",
        "version": "1",
    }
    response = client.submit(wizard_url(request.id, "persons"), data)
    page = BeautifulSoup(response.text, "html.parser")
    assert any("between 1970 and 2100" in e for e in form_errors(page)), form_errors(page)
    assert saved_request(db, request.id).version == 1
    # A request stored with such a time before this check still opens on every step.
    stored = example_content()
    stored["identifiers"][1]["observed_at"] = "9999-12-31T23:59:00-05:00"
    request.content = stored
    db.add(request)
    db.commit()
    for step in ("persons", "measures", "check"):
        assert client.get(wizard_url(request.id, step)).status_code == 200, step


def test_a_text_longer_than_the_limit_is_refused_with_the_limit_and_kept(
    client: Client, login_as: LoginAs, make_request: MakeRequest, db: Session
) -> None:
    """158,000 characters pasted into the facts were cut to 20,000 by the browser's
    maxlength without a word; now the whole text comes back with the limit stated."""
    request = make_request(login_as(Role.officer), content=example_content())
    form = BeautifulSoup(client.get(wizard_url(request.id, "facts")).text, "html.parser")
    assert form.select("[maxlength]") == []
    pasted = "The suspect sent false invoices. " * 700  # 23,100 characters
    data = {**step_data("facts"), "facts": pasted, "version": "1"}
    page = BeautifulSoup(client.submit(wizard_url(request.id, "facts"), data).text, "html.parser")
    assert "Use at most 20000 characters." in form_errors(page)
    box = page.select_one("textarea[name=facts]")
    assert box is not None and box.get_text().strip() == pasted.strip()
    assert saved_request(db, request.id).version == 1


@pytest.mark.parametrize("url", ["/login", "/requests/import", "/rules/routes", "/requests"])
def test_no_form_lets_the_browser_cut_input_silently(
    client: Client, login_as: LoginAs, url: str
) -> None:
    if url != "/login":
        login_as(Role.officer)
    page = BeautifulSoup(client.get(url).text, "html.parser")
    assert page.select("[maxlength]") == []


def test_date_boxes_carry_no_format_hint_of_their_own(
    client: Client, login_as: LoginAs, make_request: MakeRequest
) -> None:
    """The browser's date box shows dates in the user's format (mm/dd/yyyy in the US): a
    hint 'For example 2026-03-31' beside it contradicted it."""
    request = make_request(login_as(Role.officer), content=example_content())
    for step in ("measures", "safeguards", "persons"):
        page = BeautifulSoup(client.get(wizard_url(request.id, step)).text, "html.parser")
        assert page.select("input[type=date]"), step
        assert "For example 2026-03-31" not in page.get_text(), step
        assert "e.g. 2026-03-09T10:14:22" not in page.get_text(), step


def test_changing_an_approved_request_warns_before_and_says_so_after(
    client: Client, login_as: LoginAs, make_request: MakeRequest, db: Session
) -> None:
    """An approved request went back to review with only "Saved."."""
    request = make_request(login_as(Role.officer), content=example_content())
    request.status = RequestStatus.approved
    db.add(request)
    db.commit()
    page = BeautifulSoup(client.get(wizard_url(request.id, "facts")).text, "html.parser")
    warning = page.select_one("#approval-warning")
    assert warning is not None
    assert "Saving a change withdraws the approval" in text_of(warning)
    data = {**step_data("facts"), "nexus": example()["nexus"] + " It was used daily.",
            "version": str(request.version)}  # fmt: skip
    saved = client.submit(wizard_url(request.id, "facts"), data, follow_redirects=True)
    assert any("The approval is withdrawn" in f for f in flashes(check_page(saved)))
    assert saved_request(db, request.id).status == RequestStatus.in_review


def test_the_task_list_counts_steps_as_the_steps_do(
    client_request: PageClient, login_as: LoginAs, make_request: MakeRequest
) -> None:
    """'0 of 7 parts completed' stood next to 'Step 1 of 8'."""
    request = make_request(login_as(Role.officer))
    tasks = client_request.get(wizard_url(request.id))
    summary = text_of(tasks.select_one("main h1 + p"))
    assert summary.startswith("Steps 1 to 7: 0 completed. Step 8 checks and submits the request.")
    step = client_request.get(wizard_url(request.id, "route"))
    assert text_of(step.select_one("p.caption")).endswith("Step 1 of 8")


def test_the_check_step_numbers_identifiers_from_one_and_shows_times_in_words(
    client_request: PageClient, login_as: LoginAs, make_request: MakeRequest
) -> None:
    """Identifiers were numbered from 0, and a time of use read 2026-03-09T10:14:22+03:00
    next to dates such as "Sep 3, 1984"."""
    request = make_request(login_as(Role.officer), content=example_content())
    page = client_request.get(wizard_url(request.id, "check"))
    identifiers = page.select_one("ol.identifiers")
    assert identifiers is not None and not identifiers.has_attr("start")
    shown = text_of(identifiers)
    assert "Mar 9, 2026" in shown and "(UTC+03:00)" in shown
    assert "T10:14:22" not in shown


def test_a_reviewers_comment_appears_once_on_its_step_with_its_part_in_words(
    client: Client,
    login_as: LoginAs,
    make_user: MakeUser,
    make_request: MakeRequest,
    db: Session,
) -> None:
    """Each comment appeared twice, once behind a raw "identifiers:" link."""
    request = make_request(login_as(Role.officer), content=example_content())
    _return_with_comments(db, request, make_user(Role.reviewer))
    persons = check_page(client.get(wizard_url(request.id, "persons")))
    assert persons.text.count("Give the provider of the IP address.") == 1
    assert texts(persons, ".review-comments li") == ["Identifiers"]
    link = persons.select_one(".review-comments a")
    assert link is not None and link["href"] == "#identifiers"


def test_a_change_during_review_says_who_was_told_and_shows_in_the_history(
    client: Client, login_as: LoginAs, make_user: MakeUser, make_request: MakeRequest, db: Session
) -> None:
    request = make_request(login_as(Role.officer), content=example_content())
    make_user(Role.reviewer)
    request.status = RequestStatus.in_review
    db.add(request)
    db.commit()
    data = {**step_data("facts"), "nexus": example()["nexus"] + " It was used daily.",
            "version": str(request.version)}  # fmt: skip
    saved = client.submit(wizard_url(request.id, "facts"), data, follow_redirects=True)
    assert "its reviewers have been told of the change" in " ".join(flashes(check_page(saved)))
    shown = check_page(client.get(f"/requests/{request.id}"))
    assert any("Change during review" in entry for entry in texts(shown, "ol.history li"))
