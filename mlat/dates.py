"""Dates where a unit works: a request's day (its deadlines, the dates it may be given,
the rule tables in force) is the unit's calendar day, not the server's.

A module of its own, without imports from the rest of the app, so that services, views,
forms and the packets use one definition.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

if TYPE_CHECKING:
    from mlat.models import Unit


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def utc(moment: dt.datetime) -> dt.datetime:
    """``moment`` as an aware time: a naive one (as SQLite gives them back) is UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def local_date(moment: dt.datetime, timezone: str) -> dt.date:
    """The calendar day of ``moment`` (UTC when naive) in the time zone; an unknown zone
    counts as UTC."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return utc(moment).astimezone(zone).date()


def local_today(unit: Unit) -> dt.date:
    """Today's date where the unit works (a deadline ends at the unit's midnight)."""
    return local_date(_now(), unit.timezone)
