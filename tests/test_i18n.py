"""Language and time: pages say they are English; times are in the unit's time zone."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlmodel import Session

from mlat.models import MlaRequest, Role, Unit
from tests.conftest import (
    Client,
    LoginAs,
    MakeRequest,
    MakeUnit,
    MakeUser,
    check_page,
    rows,
    summary,
)

NOON_UTC = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.UTC)


def shown_time(page: str, time: str) -> bool:
    """Whether the page shows the time; CLDR puts a narrow no-break space before AM/PM."""
    hour_minute, period = time.split(" ")
    return re.search(rf"\b{re.escape(hour_minute)}(:00)?\s{period}\b", page) is not None


def last_changed(client: Client) -> str:
    """When the only request of the list was last changed, as the list shows it."""
    [row] = rows(check_page(client.get("/")))
    return row[5]


def dashboard_row(client: Client, panel: str) -> list[str]:
    """The only row of one of the dashboard's panels."""
    [row] = rows(check_page(client.get("/dashboard")), f".panel-{panel} table")
    return row


def set_updated_at(db: Session, request: MlaRequest, when: dt.datetime) -> None:
    request.updated_at = when
    db.add(request)
    db.commit()


@pytest.mark.parametrize(
    ("timezone", "expected"),
    [
        ("Asia/Qatar", "3:00 PM"),
        ("UTC", "12:00 PM"),
        ("America/New_York", "8:00 AM"),  # daylight saving time already began on 8 March
    ],
)
def test_request_list_shows_times_in_the_units_time_zone(
    client: Client,
    make_unit: MakeUnit,
    login_as: LoginAs,
    make_request: MakeRequest,
    db: Session,
    timezone: str,
    expected: str,
) -> None:
    unit = make_unit(timezone=timezone)
    officer = login_as(Role.officer, unit_=unit)
    set_updated_at(db, make_request(officer), NOON_UTC)

    changed = last_changed(client)
    assert changed.startswith("Mar 10, 2026")
    assert shown_time(changed, expected), changed


def test_qatar_unit_sees_3_pm_for_noon_utc_on_list_and_detail(
    client: Client,
    login_as: LoginAs,
    make_request: MakeRequest,
    db: Session,
    unit: Unit,
) -> None:
    assert unit.timezone == "Asia/Qatar"
    officer = login_as(Role.officer)
    request = make_request(officer)
    set_updated_at(db, request, NOON_UTC)

    assert shown_time(last_changed(client), "3:00 PM")
    assert not shown_time(client.get("/").text, "12:00 PM")
    shown = summary(check_page(client.get(f"/requests/{request.id}")))
    assert shown_time(shown["Last changed"], "3:00 PM")


def test_late_evening_utc_is_the_next_day_in_doha(
    client: Client,
    login_as: LoginAs,
    make_request: MakeRequest,
    db: Session,
) -> None:
    officer = login_as(Role.officer)
    set_updated_at(db, make_request(officer), dt.datetime(2026, 12, 31, 22, 30, tzinfo=dt.UTC))
    changed = last_changed(client)
    assert changed.startswith("Jan 1, 2027")
    assert shown_time(changed, "1:30 AM")


def test_two_units_see_the_same_moment_in_their_own_time(
    client: Client,
    make_unit: MakeUnit,
    make_user: MakeUser,
    make_request: MakeRequest,
    db: Session,
) -> None:
    doha_officer = make_user(Role.officer)
    london = make_unit(name="London liaison", code="LON", state="GB", timezone="Europe/London")
    london_officer = make_user(Role.officer, unit_=london)
    set_updated_at(db, make_request(doha_officer), NOON_UTC)
    set_updated_at(db, make_request(london_officer), NOON_UTC)

    client.login(doha_officer.email)
    assert shown_time(last_changed(client), "3:00 PM")
    client.login(london_officer.email)
    assert shown_time(last_changed(client), "12:00 PM")  # GMT in March before the 29th


@pytest.mark.parametrize(
    ("accept_language", "lang", "direction"),
    [
        (None, "en", "ltr"),
        ("en-GB", "en", "ltr"),
        ("fr-FR,fr;q=0.9", "fr", "ltr"),
        ("ar", "ar", "rtl"),
        ("zh-CN,zh;q=0.9", "zh-Hans", "ltr"),
        ("de-DE,de;q=0.9", "en", "ltr"),  # no German interface: English
    ],
)
def test_login_page_follows_the_browsers_language(
    client: Client, accept_language: str | None, lang: str, direction: str
) -> None:
    headers = {"Accept-Language": accept_language} if accept_language else {}
    page = check_page(client.get("/login", headers=headers))
    assert page.html is not None
    assert (page.html["lang"], page.html["dir"]) == (lang, direction)


def test_pages_after_login_are_marked_english_by_default(client: Client, login_as: LoginAs) -> None:
    login_as(Role.officer)
    for url in ("/", "/requests/new", "/rules/"):
        page = check_page(client.get(url))
        assert page.html is not None and page.html["lang"] == "en", url


@pytest.mark.parametrize(
    ("timezone", "expected_day", "expected_time"),
    [
        ("Asia/Qatar", "Jan 1, 2027", "1:30 AM"),
        ("America/New_York", "Dec 31, 2026", "5:30 PM"),
    ],
)
def test_dashboard_shows_times_in_the_units_time_zone(
    client: Client,
    make_unit: MakeUnit,
    login_as: LoginAs,
    make_request: MakeRequest,
    db: Session,
    timezone: str,
    expected_day: str,
    expected_time: str,
) -> None:
    officer = login_as(Role.officer, unit_=make_unit(timezone=timezone))
    draft = make_request(officer)
    set_updated_at(db, draft, dt.datetime(2026, 12, 31, 22, 30, tzinfo=dt.UTC))

    row = dashboard_row(client, "drafts")
    assert row[0] == draft.reference
    assert row[4].startswith(expected_day) and shown_time(row[4], expected_time)


def test_a_preservation_date_on_the_dashboard_is_the_calendar_day(
    client: Client,
    login_as: LoginAs,
    make_request: MakeRequest,
    db: Session,
) -> None:
    officer = login_as(Role.officer)
    request = make_request(officer)
    lapses = dt.date.today() + dt.timedelta(days=3)
    request.preservation_expires_on = lapses
    db.add(request)
    db.commit()

    row = dashboard_row(client, "preservation")
    assert row[0] == request.reference
    assert row[4] == f"{lapses:%b} {lapses.day}, {lapses.year}"


@pytest.mark.parametrize(
    "zone",
    ["UTC", "Asia/Qatar", "Europe/London", "America/New_York", "Australia/Lord_Howe",
     "Asia/Kolkata", "America/St_Johns", "Pacific/Chatham"],
)  # fmt: skip
def test_times_and_days_read_as_flask_babel_gives_them(zone: str) -> None:
    """The page helpers skip some of Babel's work; what they show must not change, also
    around the daylight saving changes of 2026 and for naive (UTC) and aware times."""
    from flask import Flask
    from flask_babel import Babel, format_date, format_datetime

    from mlat.i18n import date_local, datetime_local

    app = Flask(__name__)
    Babel(app, timezone_selector=lambda: zone)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    moments = [start + dt.timedelta(hours=h, minutes=17 * h % 60) for h in range(0, 8760, 7)]
    with app.test_request_context():
        for moment in moments:
            for value in (moment, moment.replace(tzinfo=None)):
                assert datetime_local(value) == format_datetime(value, "medium")
                assert date_local(value) == format_date(value, "medium")
