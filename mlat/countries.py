"""ISO 3166 alpha-2 state codes with their names in the user's locale (from Babel's CLDR
data), and IANA time zone names."""

from __future__ import annotations

from functools import cache
from zoneinfo import available_timezones

from babel import Locale

# Codes CLDR lists that are groupings or placeholders rather than states.
_NOT_STATES = frozenset({"EU", "EZ", "UN", "QO", "XA", "XB", "ZZ"})


@cache
def state_names(locale: str = "en") -> dict[str, str]:
    territories = Locale.parse(locale).territories
    return {
        code: name
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_STATES
    }


def is_state(code: str) -> bool:
    return code.upper() in state_names()


def state_name(code: str, locale: str = "en") -> str:
    return state_names(locale).get(code.upper(), code.upper())


@cache
def state_choices(locale: str = "en") -> tuple[tuple[str, str], ...]:
    """(code, name) of every state, by name."""
    names = state_names(locale)
    return tuple(sorted(names.items(), key=lambda item: item[1]))


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())  # reads the zone files: once per process


def is_timezone(name: str) -> bool:
    return name in _timezones()
