"""A request's day is its unit's calendar day, not the server's: a unit in Kiritimati
(UTC+14) is already in tomorrow while the server, on UTC, is still in today."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, select

import mlat.dates
from mlat.models import Notification, RequestStatus, Role, Unit
from mlat.services import notifications
from tests.conftest import (
    LoginAs,
    MakeRequest,
    MakeUnit,
    MakeUser,
    PageClient,
    field_value,
    form_errors,
    text_of,
)
from tests.wizard_helpers import example_content, step_data
from tests.workflow_helpers import submittable_content

# 22:00 UTC on 15 June is noon on 16 June in Kiritimati.
NOW = dt.datetime(2030, 6, 15, 22, 0, tzinfo=dt.UTC)
SERVER_DAY, UNIT_DAY = "2030-06-15", "2030-06-16"


@pytest.fixture
def kiritimati(make_unit: MakeUnit, monkeypatch: pytest.MonkeyPatch) -> Unit:
    monkeypatch.setattr(mlat.dates, "_now", lambda: NOW)
    return make_unit(name="Line Islands Police", code="KIR", state="KI",
                     timezone="Pacific/Kiritimati")  # fmt: skip


def test_a_date_an_action_asks_for_is_the_units_today(
    client_request: PageClient,
    kiritimati: Unit,
    login_as: LoginAs,
    make_request: MakeRequest,
    db: Session,
) -> None:
    officer = login_as(Role.officer, unit_=kiritimati)
    request = make_request(officer)
    request.status = RequestStatus.transmitted
    db.commit()
    page = client_request.get(f"/requests/{request.id}")
    dates = page.select('input[name="on"]')
    assert dates, "the page offers an action that asks for a date"
    assert [date.get("value") for date in dates] == [UNIT_DAY] * len(dates)
    assert SERVER_DAY not in str(page)


def test_a_date_of_birth_on_the_units_today_is_not_in_the_future(
    client_request: PageClient,
    kiritimati: Unit,
    login_as: LoginAs,
    make_request: MakeRequest,
) -> None:
    request = make_request(login_as(Role.officer, unit_=kiritimati), content=example_content())
    url = f"/requests/{request.id}/wizard/persons"

    def data(born: str) -> dict[str, str]:
        return {**step_data("persons"), "persons-0-date_of_birth": born, "version": "1"}

    page = client_request.post(url, data("2030-06-17"))
    assert form_errors(page) == ["The date of birth is in the future."]
    assert text_of(page.select_one("#persons-0-date_of_birth-error")) == (
        "The date of birth is in the future."
    )
    assert field_value(page, "persons-0-date_of_birth") == "2030-06-17"
    client_request.post_redirect(url, data(UNIT_DAY))


def test_a_reference_takes_the_year_of_the_unit(
    kiritimati: Unit,
    make_user: MakeUser,
    make_request: MakeRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Noon on 31 December UTC is already New Year's Day in Kiritimati.
    monkeypatch.setattr(mlat.dates, "_now", lambda: dt.datetime(2030, 12, 31, 12, tzinfo=dt.UTC))
    request = make_request(make_user(Role.officer, unit_=kiritimati))
    assert request.reference == "KIR-2031-0001"


def test_preservation_warnings_count_the_days_from_the_units_today(
    db: Session, kiritimati: Unit, make_user: MakeUser, make_request: MakeRequest
) -> None:
    """Fourteen days before the lapse on the unit's calendar, fifteen on the server's:
    the owner is warned on the unit's day."""
    owner = make_user(Role.officer, unit_=kiritimati)
    lapses = dt.date.fromisoformat(UNIT_DAY) + dt.timedelta(days=14)
    content = submittable_content(dt.date.fromisoformat(UNIT_DAY))
    content["preservation"]["requested_on"] = (lapses - dt.timedelta(days=90)).isoformat()
    content["preservation"]["expires_on"] = lapses.isoformat()
    request = make_request(owner, content=content)

    assert notifications.preservation_warnings(session=db) == 1
    db.commit()
    kinds = db.exec(select(Notification.kind).where(Notification.request_id == request.id))
    assert list(kinds) == ["preservation_lapsing"]
