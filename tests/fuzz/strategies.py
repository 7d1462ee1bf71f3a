"""Shared by the fuzz tests: random values (text with control characters, huge strings,
numbers and dates at the ends of the calendar, file names, JSON), and ``fuzz``, which
makes a property-based test of a test function."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def fuzz(examples: int) -> Callable[[Any], Any]:
    """A property-based test with this many examples, on SQLite."""
    chosen = settings(
        max_examples=examples * int(os.environ.get("FUZZ_SCALE", "1")),
        deadline=None,
        database=None,  # no .hypothesis/ folder in the checkout
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
        ],
    )
    return lambda test: SQLITE_ONLY(chosen(test))


# ------------------------------------------------------------------ values

EDGES = [
    "", " ", "\x00", "\r\n", "\t", "0", "-1", "1e309", "-0", "NaN", "inf",
    "99999999999999999999999999", str(2**63), str(-(2**63) - 1), "\u00b2", "\u0663", "0x1F",
    "\u00b2" * 6, "\u0663" * 6,
    "0001-01-01", "9999-12-31", "2026-02-30", "2026-13-01", "0000-00-00", "2026-01-01T25:61",
    "9999-12-31T23:59:59", "0001-01-01T00:00", "+14:00", "-99:99", "UTC", "Etc/GMT+12",
    "../../etc/passwd", "<script>alert(1)</script>", "' OR 1=1 --", "%s%n", "{{7*7}}",
    "\u202eevil", "\ufeff", "\U0001d54f\U0001d550", "null", "[]", "{}", "true",
    "add:offences", "remove:identifiers:999999", "remove:persons:-1", "//evil.example",
    "/\\evil.example",
]  # fmt: skip
NUMBERS = st.one_of(st.integers(), st.floats(allow_nan=True, allow_infinity=True)).map(str)


def texts(longest: int) -> st.SearchStrategy[str]:
    """Any text, mostly without NUL: the app refuses NUL at the door (400), so a value
    holding one would keep the rest of the form from reaching the code behind it."""
    any_but_nul = st.characters(codec="utf-8", exclude_characters="\x00")
    huge = st.integers(min_value=1_000, max_value=longest).map(lambda n: "Ж" * n)
    return st.one_of(
        st.text(any_but_nul), st.text(any_but_nul, max_size=5), st.sampled_from(EDGES),
        NUMBERS, huge, st.text(max_size=3),
    )  # fmt: skip


TEXT = texts(120_000)
# Multipart bodies stay under 500 KB: above that the test client spools the body to a
# temporary file that it never closes (a ResourceWarning, an error under this suite).
UPLOAD_TEXT = texts(5_000)
DATES = st.one_of(
    st.dates().map(str),
    st.datetimes().map(lambda d: d.isoformat(timespec="minutes")),
    st.sampled_from(["0001-01-01", "9999-12-31", "9999-12-31T23:59", "0001-01-01T00:00"]),
)
DATE_NAME = re.compile(r"date|_on$|^on$|_at$|deadline|_from$|_to$")
INT_NAME = re.compile(r"version|_id$|^id$|position|seq|owner|years|origin|identifiers$")


def value_for(data: st.DataObject, name: str, text: st.SearchStrategy[str] = TEXT) -> str:
    """Random text, made likelier to reach the code behind dates and numbers. All three
    kinds are drawn whatever the name, so that what is drawn does not depend on the page
    (hypothesis replays draws, and refuses ones that depend on outside state)."""
    date, number, other, pick = data.draw(
        st.tuples(DATES, st.integers().map(str), text, st.integers(0, 2))
    )
    if pick and DATE_NAME.search(name):
        return date
    if pick and INT_NAME.search(name):
        return number
    return other


FILENAMES = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_characters='\r\n"'), max_size=40),
    st.sampled_from(["a.pdf", "a.PNG", "a.txt", "x.exe", "../../etc/passwd", "C:\\x\\y.pdf",
                     ".pdf", "a.pdf.txt", "", "…" * 300 + ".txt"]),
)  # fmt: skip


def json_values(text: st.SearchStrategy[str] = TEXT) -> st.SearchStrategy[Any]:
    scalars = st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(), text, st.sampled_from(EDGES)
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
        ),
        max_leaves=20,
    )
