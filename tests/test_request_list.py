"""The request list: filters, sort orders, keyset paging, and bad parameters."""

from __future__ import annotations

import datetime as dt
from typing import Any

from bs4 import BeautifulSoup
from sqlmodel import Session, select

from bench.seed import seed
from mlat.countries import collation_key
from mlat.models import MlaRequest, RequestStatus, Role, Unit
from tests.conftest import (
    PASSWORD,
    Client,
    LoginAs,
    MakeRequest,
    MakeUnit,
    MakeUser,
    PageClient,
    check_page,
    form_errors,
    texts,
)

NOW = dt.datetime.now(dt.UTC)


def listed(client: Client, url: str) -> list[str]:
    """The references in the list's rows, in the order shown."""
    response = client.get(url)
    assert response.status_code == 200, response.text
    return references(check_page(response))


def references(page: BeautifulSoup) -> list[str]:
    return texts(page, "table tbody td:first-child a")


def link(page: BeautifulSoup, rel: str) -> str | None:
    """Where the pager's link to the next or previous page leads, if there is one."""
    found = page.select_one(f'.pager a[rel="{rel}"]')
    return str(found["href"]) if found else None


def status_line(page: BeautifulSoup) -> str:
    """What the line above the list says: how many requests match, or that none do."""
    return " ".join(texts(page, "main > p"))


def content(*measures: str) -> dict[str, Any]:
    return {"measures": [{"kind": m} for m in measures]}


def test_filters_by_status_state_owner_and_measure(
    client: Client,
    login_as: LoginAs,
    make_user: MakeUser,
    make_request: MakeRequest,
    db: Session,
) -> None:
    me = login_as(Role.officer)
    colleague = make_user(Role.officer)
    draft_us = make_request(me, requested_state="US", content=content("stored_content"))
    review_gb = make_request(me, requested_state="GB", content=content("subscriber_info"))
    theirs_us = make_request(colleague, requested_state="US", content=content("traffic_data"))
    review_gb.status = RequestStatus.in_review
    db.commit()

    assert set(listed(client, "/")) == {r.reference for r in (draft_us, review_gb, theirs_us)}
    assert listed(client, "/?status=in_review") == [review_gb.reference]
    assert set(listed(client, "/?state=US")) == {draft_us.reference, theirs_us.reference}
    assert set(listed(client, f"/?owner={me.id}")) == {draft_us.reference, review_gb.reference}
    assert listed(client, f"/?owner={me.id}&state=US") == [draft_us.reference]
    assert listed(client, "/?measure=traffic_data") == [theirs_us.reference]
    page = check_page(client.get("/?measure=interception"))
    assert status_line(page) == "No request matches these filters."
    assert references(page) == []


def test_date_range_is_whole_days_in_the_units_time_zone(
    client: Client,
    login_as: LoginAs,
    make_request: MakeRequest,
    db: Session,
) -> None:
    me = login_as(Role.officer)  # the unit is in Asia/Qatar, UTC+3
    early, inside, late = (make_request(me, title=t) for t in ("early", "inside", "late"))
    early.created_at = dt.datetime(2026, 2, 28, 20, 59, tzinfo=dt.UTC)  # 28 Feb 23:59 Doha
    inside.created_at = dt.datetime(2026, 2, 28, 21, 0, tzinfo=dt.UTC)  # 1 Mar 00:00 Doha
    late.created_at = dt.datetime(2026, 3, 31, 21, 0, tzinfo=dt.UTC)  # 1 Apr 00:00 Doha
    db.commit()
    url = "/?date_field=created&date_from=2026-03-01&date_to=2026-03-31"
    assert listed(client, url) == [inside.reference]
    assert set(listed(client, "/?date_field=created&date_from=2026-03-01")) == {
        inside.reference,
        late.reference,
    }


def test_sort_orders(
    client: Client,
    login_as: LoginAs,
    make_request: MakeRequest,
    db: Session,
) -> None:
    me = login_as(Role.officer)
    first = make_request(me, requested_state="US")
    second = make_request(me, requested_state="FR")
    third = make_request(me, requested_state="GB")
    for hours, request in ((3, first), (1, second), (2, third)):
        request.updated_at = NOW - dt.timedelta(hours=hours)
        request.created_at = NOW - dt.timedelta(days=10 - hours)
    db.commit()
    refs = [first.reference, second.reference, third.reference]
    assert listed(client, "/") == [refs[1], refs[2], refs[0]]  # last changed first
    assert listed(client, "/?sort=updated&order=asc") == [refs[0], refs[2], refs[1]]
    assert listed(client, "/?sort=created") == [refs[0], refs[2], refs[1]]
    assert listed(client, "/?sort=reference&order=asc") == refs
    assert listed(client, "/?sort=reference") == refs[::-1]
    assert listed(client, "/?sort=state&order=asc") == [refs[1], refs[2], refs[0]]  # FR GB US


def test_pages_of_fifty_walk_forward_and_back_without_gaps(
    app: Any, client: Client, client_request: PageClient, db: Session, unit: Unit
) -> None:
    seed(app.extensions["mlat_engine"], count=140, password=PASSWORD)
    client.login("all-roles@doh.bench.example")
    expected = list(
        db.exec(
            select(MlaRequest.reference)
            .where(MlaRequest.unit_id == unit.id)
            .order_by(MlaRequest.reference)
        )
    )
    assert len(expected) > 100
    seen: list[str] = []
    pages: list[str] = []
    url: str | None = "/?sort=reference&order=asc"
    while url:
        pages.append(url)
        page = client_request.get(url)
        refs = references(page)
        assert len(refs) <= 50
        seen += refs
        url = link(page, "next")
    assert seen == expected  # every request once, in order, none from the other unit
    assert len(pages) == (len(expected) + 49) // 50
    before = link(client_request.get(pages[-1]), "prev")
    assert before is not None
    second_to_last = expected[(len(pages) - 2) * 50 : (len(pages) - 1) * 50]
    assert listed(client, before) == second_to_last
    assert status_line(client_request.get(pages[0])) == "More than 50 requests match."


def test_bad_parameters_are_reported_and_ignored(
    client_request: PageClient, login_as: LoginAs, make_request: MakeRequest
) -> None:
    me = login_as(Role.officer)
    request = make_request(me)
    url = (
        "/?status=sleeping&state=XX&owner=99999&measure=telepathy&due=yesterday"
        "&date_field=moon&date_from=31-02-2026&date_to=tomorrow&sort=evil&order=sideways"
        "&cursor=not-a-cursor&page=-4"
    )
    page = client_request.get(url)
    assert texts(page, ".error-summary h2") == ["Some filters were ignored"]
    problems = form_errors(page)
    assert "Status: Choose one of the listed options. This filter was ignored." in problems
    assert any("Enter the date as YYYY-MM-DD" in problem for problem in problems)
    assert any("The page link is not valid" in problem for problem in problems)
    assert references(page) == [request.reference]
    backwards = client_request.get("/?date_from=2026-03-10&date_to=2026-03-01")
    assert any("The end date is before the start date." in p for p in form_errors(backwards))


def test_only_the_users_unit_is_listed(
    client: Client,
    login_as: LoginAs,
    make_user: MakeUser,
    make_unit: MakeUnit,
    make_request: MakeRequest,
) -> None:
    stranger = make_user(Role.officer, unit_=make_unit())
    theirs = make_request(stranger)
    me = login_as(Role.officer)
    mine = make_request(me)
    assert listed(client, "/") == [mine.reference]
    assert listed(client, f"/?owner={stranger.id}") == [mine.reference]  # unknown owner ignored
    assert theirs.reference not in client.get("/?status=draft").text
    assert listed(client, "/?status=draft") == [mine.reference]


def test_seeded_requests_are_valid_documents_with_terms(app: Any, db: Session) -> None:
    from mlat.models import RequestTerm
    from mlat.request_format import RequestDocument

    summary = seed(app.extensions["mlat_engine"], count=30, password=PASSWORD)
    assert summary.requests == 30
    for request in db.exec(select(MlaRequest)):
        RequestDocument.model_validate(request.content)
    kinds = set(db.exec(select(RequestTerm.kind)))
    assert kinds == {"identifier", "person", "measure"}


def options(page: BeautifulSoup, name: str, chosen: str = "") -> list[tuple[str, str]]:
    """(value, text) of the options of the select called ``name`` (only those marked
    selected when ``chosen`` is "[selected]")."""
    select = page.select_one(f'select[name="{name}"]')
    assert select, name
    return [(str(o["value"]), o.get_text()) for o in select.select(f"option{chosen}")]


def chosen_options(page: BeautifulSoup, name: str) -> list[tuple[str, str]]:
    """(value, text) of the options marked selected in the select called ``name``."""
    return options(page, name, "[selected]")


def test_filters_show_the_chosen_values_even_when_another_was_ignored(
    client_request: PageClient, login_as: LoginAs, make_request: MakeRequest
) -> None:
    me = login_as(Role.officer)
    make_request(me, requested_state="GB")
    page = client_request.get(
        f"/?state=GB&status=draft&owner={me.id}&measure=stored_content&sort=state&order=asc"
        "&date_from=not-a-date"
    )
    assert any("Enter the date as YYYY-MM-DD" in problem for problem in form_errors(page))
    assert chosen_options(page, "state") == [("GB", "United Kingdom")]
    assert chosen_options(page, "status") == [("draft", "Draft")]
    assert chosen_options(page, "owner") == [(str(me.id), me.name)]
    assert chosen_options(page, "measure") == [("stored_content", "Stored content")]
    assert chosen_options(page, "sort") == [("state", "Requested state")]
    assert chosen_options(page, "order") == [("asc", "Ascending: oldest first, A to Z")]

    # The next page, with another state, marks that one alone.
    other = client_request.get("/?state=US")
    assert chosen_options(other, "state") == [("US", "United States")]
    assert chosen_options(other, "status") == [("", "Any status")]
    assert chosen_options(other, "sort") == [("updated", "Last changed")]


def test_state_filter_lists_every_state_by_name_and_selects_nothing_unknown(
    client: Client, login_as: LoginAs
) -> None:
    login_as(Role.officer)
    response = client.get('/?state="><b>x')
    assert "<b>x" not in response.text
    page = check_page(response)
    assert any(
        problem.startswith("Requested state: Choose one of the listed options.")
        for problem in form_errors(page)
    )
    assert chosen_options(page, "state") == []
    states = options(page, "state")
    assert states[0] == ("", "Any state")
    names = [text for _value, text in states[1:]]
    # In the language's order: "Åland Islands" among the A, not after "Zimbabwe".
    assert len(names) > 240 and names == sorted(names, key=collation_key("en"))
    assert names.index("Afghanistan") < names.index("Åland Islands") < names.index("Albania")
    assert ("QA", "Qatar") in states
