"""Statistics: counts per status and requested state, medians, and the SVG charts."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from sqlmodel import Session

from mlat.charts import Bar, bar_chart
from mlat.models import MlaRequest, RequestStatus, Role, User
from mlat.services.stats import (
    Median,
    Period,
    StatisticsCache,
    Timing,
    percentile,
    statistics,
)
from tests.conftest import LoginAs, MakeRequest, MakeUnit, MakeUser, PageClient, rows, texts

START = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)


def arranged(
    db: Session, make_request: MakeRequest, owner: User, state: str, **columns: Any
) -> MlaRequest:
    request = make_request(owner, requested_state=state)
    request.created_at = START
    for name, value in columns.items():
        setattr(request, name, value)
    db.commit()
    return request


def test_counts_and_medians_per_requested_state(
    db: Session,
    make_user: MakeUser,
    make_unit: MakeUnit,
    make_request: MakeRequest,
) -> None:
    officer = make_user(Role.officer)
    days: float
    for days in (2, 4, 10):  # US, odd count: the middle value
        arranged(db, make_request, officer, "US", status=RequestStatus.approved,
                 approved_at=START + dt.timedelta(days=days))  # fmt: skip
    for days in (1, 3.6):  # GB, even count: the mean of the two middle values
        arranged(db, make_request, officer, "GB", status=RequestStatus.approved,
                 approved_at=START + dt.timedelta(days=days))  # fmt: skip
    arranged(db, make_request, officer, "GB")  # a draft: no approval yet
    on = dt.date(2026, 2, 1)
    for days in (100, 300):
        arranged(db, make_request, officer, "US", status=RequestStatus.executed,
                 transmitted_on=on, executed_on=on + dt.timedelta(days=days))  # fmt: skip
    stranger = make_user(Role.officer, unit_=make_unit())
    arranged(db, make_request, stranger, "US", status=RequestStatus.approved,
             approved_at=START + dt.timedelta(days=90))  # fmt: skip

    stats = statistics(session=db, user=officer)
    assert stats.total == 8
    counts = dict(stats.by_status)
    assert counts["approved"] == 5 and counts["executed"] == 2 and counts["draft"] == 1
    assert counts["closed"] == 0 and list(counts) == [s.value for s in RequestStatus]
    assert stats.by_state == [("US", 5), ("GB", 3)]
    assert stats.draft_to_approval == [Median("GB", 2.3, 2), Median("US", 4.0, 3)]
    # the United States' rule table gives about 300 days as typical
    assert stats.transmission_to_execution == [Timing("US", 2, 200.0, 300.0, 300)]


def test_bar_chart_has_a_bar_and_a_title_per_value_and_escapes_labels() -> None:
    svg = bar_chart(
        chart_id="c1",
        title="Requests per <state>",
        bars=[Bar("United States", 30, "30"), Bar('<script>"x"</script>', 10, "10")],
        description="Counts & more",
    )
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert 'aria-labelledby="c1-title c1-desc"' in svg
    assert '<title id="c1-title">Requests per &lt;state&gt;</title>' in svg
    assert '<desc id="c1-desc">Counts &amp; more</desc>' in svg
    assert svg.count('<rect class="chart-bar"') == 2
    assert "<title>United States: 30</title>" in svg
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "style=" not in svg
    widths = [float(w) for w in re.findall(r'class="chart-bar"[^>]*width="([\d.]+)"', svg)]
    assert widths[0] == pytest.approx(3 * widths[1], abs=0.2)  # scaled to the largest value
    assert bar_chart(chart_id="c2", title="empty", bars=[]) == ""


def test_a_units_statistics_are_kept_two_minutes_then_worked_out_again(
    db: Session, make_user: MakeUser, make_unit: MakeUnit, make_request: MakeRequest
) -> None:
    officer = make_user(Role.officer)
    colleague = make_user(Role.officer, unit_=officer.unit)
    stranger = make_user(Role.officer, unit_=make_unit())
    arranged(db, make_request, officer, "US")
    now = [0.0]
    kept = StatisticsCache(clock=lambda: now[0])
    first, worked_out = kept.get(session=db, user=officer)
    assert first.total == 1
    arranged(db, make_request, officer, "GB")
    now[0] = 119.0
    # the unit's figures as they were, for a colleague too; another unit's are its own
    assert kept.get(session=db, user=colleague) == (first, worked_out)
    assert kept.get(session=db, user=stranger)[0].total == 0
    assert kept.get(session=db, user=officer, period=Period(dt.date(2026, 1, 1)))[0].total == 2
    now[0] = 121.0
    again, later = kept.get(session=db, user=officer)
    assert again.total == 2 and later >= worked_out
    assert again.by_state == [("GB", 1), ("US", 1)]


def test_statistics_page_shows_charts_and_the_numbers(
    client_request: PageClient, login_as: LoginAs, make_request: MakeRequest, db: Session
) -> None:
    officer = login_as(Role.officer)
    arranged(db, make_request, officer, "US", status=RequestStatus.approved,
             approved_at=START + dt.timedelta(days=3))  # fmt: skip
    page = client_request.get("/statistics")
    # status, state, approval; nothing executed yet
    assert len(page.select("svg")) == 3
    assert [section["aria-labelledby"] for section in page.select("section:has(svg)")] == [
        "stat-status",
        "stat-state",
        "stat-approval",
    ]
    assert "United States: 1" in texts(page, "section[aria-labelledby=stat-state] svg title")
    assert "Approved: 1" in texts(page, "section[aria-labelledby=stat-status] svg title")
    assert ["Approved", "1"] in rows(page, "section[aria-labelledby=stat-status] table")
    assert rows(page, "section[aria-labelledby=stat-approval] table") == [
        ["United States", "3.0", "1"]
    ]
    assert texts(page, "section[aria-labelledby=stat-execution] p") == [
        "No request has been executed yet."
    ]
    assert page.select("[style]") == [] and "style=" not in str(page)
    (when,) = [t for t in texts(page, "p.muted") if t.startswith("Figures as of")]
    assert when.endswith("They are worked out again every two minutes.")


def test_the_90th_percentile_is_the_nearest_rank() -> None:
    assert percentile([5.0], 0.9) == 5.0
    assert percentile([float(n) for n in range(1, 11)], 0.9) == 9.0
    assert percentile([float(n) for n in range(1, 21)], 0.9) == 18.0


def test_a_period_counts_the_requests_created_in_it(
    db: Session, make_user: MakeUser, make_request: MakeRequest
) -> None:
    officer = make_user(Role.officer)
    arranged(db, make_request, officer, "US")  # created on 5 January 2026
    later = arranged(db, make_request, officer, "GB")
    later.created_at = dt.datetime(2026, 4, 2, 9, 0, tzinfo=dt.UTC)
    db.commit()
    assert statistics(session=db, user=officer).total == 2
    first = statistics(session=db, user=officer, period=Period.quarter(2026, 1))
    assert (first.total, first.by_state) == (1, [("US", 1)])
    second = statistics(session=db, user=officer, period=Period(dt.date(2026, 4, 1), None))
    assert second.by_state == [("GB", 1)]
    assert Period.quarter(2026, 4) == Period(dt.date(2026, 10, 1), dt.date(2026, 12, 31))


def test_the_page_filters_by_quarter_counts_measures_and_exports_csv(
    client_request: PageClient, login_as: LoginAs, make_request: MakeRequest, db: Session
) -> None:
    from tests.wizard_helpers import example_content

    officer = login_as(Role.officer)
    request = make_request(officer, requested_state="US", content=example_content())
    request.created_at = START
    request.status = RequestStatus.executed
    request.transmitted_on, request.executed_on = dt.date(2026, 2, 1), dt.date(2026, 3, 3)
    db.commit()
    page = client_request.get("/statistics?quarter=2026-Q1")
    assert "Requests created from" in texts(page, "main > p")[0]
    measures = rows(page, "section[aria-labelledby=stat-measure] table")
    assert ["Stored content", "1"] in measures and ["Traffic data", "1"] in measures
    assert rows(page, "#execution-times") == [["United States", "30.0", "30.0", "300", "1"]]
    assert ["Stored content", "30.0", "30.0", "1"] in rows(page, "#execution-by-measure")
    assert rows(page, "#outcome-times") == [["Executed", "30.0", "30.0", "1"]]
    empty = client_request.get("/statistics?quarter=2025-Q4")
    assert texts(empty, "section[aria-labelledby=stat-execution] p") == [
        "No request has been executed yet."
    ]
    bad = client_request.get("/statistics?date_from=2026-03-01&date_to=2026-01-01", status=400)
    assert "The end date is before the start date." in texts(bad, ".error-message")
    csv_text = client_request.client.get("/statistics.csv?quarter=2026-Q1").text
    assert csv_text.splitlines()[1] == "United States,1,1,30.0,30.0,300"


def test_the_days_to_a_refusal_are_counted_from_the_date_recorded_with_it(
    db: Session, make_user: MakeUser, make_request: MakeRequest
) -> None:
    from mlat.services.stats import outcome_times
    from tests.workflow_helpers import step

    officer = make_user(Role.officer)
    request = arranged(db, make_request, officer, "US", status=RequestStatus.transmitted,
                       transmitted_on=dt.date(2026, 2, 1))  # fmt: skip
    step(db, request, officer, "refuse", comment="Dual criminality not met.",
         on=dt.date(2026, 2, 21))  # fmt: skip
    assert outcome_times(session=db, unit_id=officer.unit_id) == [
        Timing("refused", 1, 20.0, 20.0, None)
    ]
