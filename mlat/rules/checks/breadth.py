"""Checks that a request asks for no more than the case supports, and that its dates can
be right: stored data dated after today, "all data" wording, date ranges far wider than
the period the facts describe, people born in the future, identifiers seen tomorrow."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Iterator
from functools import cache
from typing import Any

from babel import Locale

from mlat.messages import N_, Np_
from mlat.request_format import MeasureKind
from mlat.rules.checks.common import STORED_DATA, finding
from mlat.rules.findings import Context, Finding

# Data that exists before the request is made: a range ending after today asks for
# records that cannot exist yet (future data needs real-time collection).
RECORDS = STORED_DATA | {MeasureKind.bank_records}
# A range reaching further than this beyond the dates the facts and identifiers mention
# is wider than the case shows a need for (advice, not a legal rule).
BEYOND_FACTS_DAYS = 90
# A time of use more than this far ahead of the unit's today is a mistake, not a time zone.
CLOCK_SLACK = dt.timedelta(days=1)

# Wording that asks for everything an account holds rather than the categories needed.
ALL_DATA = re.compile(
    r"\b(?:any\s+and\s+all|all\s+(?:the\s+)?(?:data|information|content|records|e-?mails"
    r"|messages|communications|files)|everything|(?:entire|whole|complete)\s+"
    r"(?:account|mailbox|content|history)|toutes\s+les\s+(?:données|informations)"
    r"|l'intégralité|todos\s+los\s+datos|toda\s+la\s+información|la\s+totalidad)\b"
    r"|(?:جميع|كافة|كل)\s+(?:البيانات|المعلومات|المحتوى)",
    re.IGNORECASE,
)

MONTH_LANGUAGES = ("en", "fr", "es", "pt", "de", "ru", "ar")
ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
DAY_FIRST = re.compile(r"\b(\d{1,2})[./](\d{1,2})[./](\d{4})\b")


@cache
def _months() -> dict[str, int]:
    """Month names, lower case, in the languages officers write facts in."""
    names: dict[str, int] = {}
    for language in MONTH_LANGUAGES:
        locale = Locale.parse(language)
        for context in ("format", "stand-alone"):
            for width in ("wide", "abbreviated"):
                for number, name in locale.months[context][width].items():
                    names[name.lower().rstrip(".")] = number
    return names


def trie_pattern(words: Iterable[str]) -> str:
    """A regular expression matching any of ``words``, longest first, written as a trie
    ("ma(?:r(?:ch|s)?|y)"): tried at every position of a text, it compares a letter or
    two instead of each of the 150 month names in turn."""
    trie: dict[str, Any] = {}
    for word in words:
        node = trie
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def written(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + written(node[char]) for char in sorted(node) if char]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if "" not in node:  # the word may not end here
            return body
        return ("(?:" + body + ")" if len(branches) == 1 else body) + "?"

    return written(trie)


@cache
def _named_dates() -> re.Pattern[str]:
    """Dates with a month's name, in a lower-case text (the names are lower case)."""
    names = trie_pattern(_months())
    return re.compile(
        rf"(?:\b(\d{{1,2}})(?:st|nd|rd|th|er)?\s+(?:de\s+)?)?({names})\.?\s+(?:(\d{{1,2}}),?\s+)?"
        rf"(?:de\s+)?(\d{{4}})\b"
    )


def _day(year: int, month: int, day: int | None, last: bool) -> dt.date | None:
    if not (1900 <= year <= 2100 and 1 <= month <= 12):
        return None
    if day is None:
        day = calendar.monthrange(year, month)[1] if last else 1
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def dates_in(text: str) -> list[dt.date]:
    """The days a text names: 2026-03-01, 01/03/2026 (day first), 1 March 2026,
    March 1, 2026, le 1er mars 2026, 1 de marzo de 2026; a month alone (March 2026)
    counts as its first and its last day."""
    found: list[dt.date | None] = []
    for y, m, d in ISO_DATE.findall(text):
        found.append(_day(int(y), int(m), int(d), last=False))
    for d, m, y in DAY_FIRST.findall(text):
        found.append(_day(int(y), int(m), int(d), last=False))
    months = _months()
    for before, name, after, year in _named_dates().findall(text.lower()):
        month = months[name]
        day = before or after
        if day:
            found.append(_day(int(year), month, int(day), last=False))
        else:
            found += [_day(int(year), month, None, False), _day(int(year), month, None, True)]
    return [d for d in found if d is not None]


def _case_period(ctx: Context) -> tuple[dt.date, dt.date] | None:
    """The first and last day the facts and the identifiers' times of use mention."""
    req = ctx.request
    days = dates_in(req.facts) + dates_in(req.nexus)
    days += [i.observed_at.date() for i in req.identifiers if i.observed_at]
    days = [d for d in days if d <= ctx.today]
    return (min(days), max(days)) if days else None


def check_breadth(ctx: Context) -> Iterator[Finding]:
    period = _case_period(ctx)
    for i, measure in enumerate(ctx.request.measures):
        path = f"measures[{i}]"
        if measure.details and (match := ALL_DATA.search(measure.details)):
            yield finding(
                "measure_overbroad_wording",
                "warning",
                f"{path}.details",
                N_(
                    "'%(words)s' asks for everything the account holds: providers and "
                    "requested states refuse such requests as overbroad. Name the "
                    "categories of data the investigation needs."
                ),
                words=match.group(0),
            )
        if measure.kind in RECORDS and measure.date_to and measure.date_to > ctx.today:
            yield finding(
                "date_range_in_future",
                "error",
                f"{path}.date_to",
                N_(
                    "Stored records cannot be dated after today, but the range ends on "
                    "%(date)s. End it today at the latest; data created later needs "
                    "real-time collection or a new request."
                ),
                date=measure.date_to.isoformat(),
            )
        elif period and measure.date_from and measure.date_to:
            yield from _beyond_facts(path, measure.date_from, measure.date_to, *period)


def _beyond_facts(
    path: str, start: dt.date, end: dt.date, first: dt.date, last: dt.date
) -> Iterable[Finding]:
    margin = dt.timedelta(days=BEYOND_FACTS_DAYS)
    if start < first - margin or end > last + margin:
        yield finding(
            "date_range_beyond_facts",
            "warning",
            f"{path}.date_from",
            Np_(
                "The date range (%(start)s to %(end)s) reaches more than %(n)d day beyond "
                "the period the facts and identifiers mention (%(first)s to %(last)s). "
                "Narrow it, or say in the facts why the wider period is needed.",
                "The date range (%(start)s to %(end)s) reaches more than %(n)d days beyond "
                "the period the facts and identifiers mention (%(first)s to %(last)s). "
                "Narrow it, or say in the facts why the wider period is needed.",
            ),
            start=start.isoformat(),
            end=end.isoformat(),
            first=first.isoformat(),
            last=last.isoformat(),
            n=BEYOND_FACTS_DAYS,
        )


def check_impossible_dates(ctx: Context) -> Iterator[Finding]:
    req = ctx.request
    for i, person in enumerate(req.persons):
        if person.date_of_birth and person.date_of_birth > ctx.today:
            yield finding(
                "person_born_in_future",
                "error",
                f"persons[{i}].date_of_birth",
                N_("The date of birth %(date)s is in the future."),
                date=person.date_of_birth.isoformat(),
            )
    for i, ident in enumerate(req.identifiers):
        seen = ident.observed_at
        if seen is None:
            continue
        day = seen.astimezone(dt.UTC).date() if seen.utcoffset() is not None else seen.date()
        if day > ctx.today + CLOCK_SLACK:
            yield finding(
                "identifier_observed_in_future",
                "error",
                f"identifiers[{i}].observed_at",
                N_(
                    "This identifier is said to have been used on %(date)s, after today. "
                    "Check the date and time of use."
                ),
                date=day.isoformat(),
            )
    requested_on = req.preservation.requested_on
    if req.preservation.requested and requested_on and requested_on > ctx.today:
        yield finding(
            "preservation_requested_in_future",
            "error",
            "preservation.requested_on",
            N_("Preservation cannot have been asked for on %(date)s, after today."),
            date=requested_on.isoformat(),
        )
