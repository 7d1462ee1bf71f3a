"""ISO 3166 alpha-2 state codes with their names in the user's locale (from Babel's CLDR
data), and IANA time zone names."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from zoneinfo import available_timezones

from babel import Locale
from pypinyin import lazy_pinyin
from pyuca import Collator

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


# Codes of places no request is addressed to: uninhabited territories, and parts of a state
# whose own authorities receive the requests for them (Ascension and Tristan da Cunha through
# St Helena, the Canary Islands, Ceuta and Melilla through Spain).
NOT_REQUESTED = frozenset(
    {"AC", "AQ", "BV", "CP", "DG", "EA", "GS", "HM", "IC", "IO", "TA", "TF", "UM"}
)


def may_be_requested(code: str) -> bool:
    """Whether a request for mutual legal assistance can be addressed to ``code``."""
    return is_state(code) and code.upper() not in NOT_REQUESTED


def is_state(code: str) -> bool:
    return code.upper() in state_names()


def state_name(code: str, locale: str = "en") -> str:
    return state_names(locale).get(code.upper(), code.upper())


@cache
def _collator() -> Collator:
    return Collator()  # reads the Unicode Collation Algorithm's table: once per process


SortKey = tuple[tuple[int, ...], str]


def collation_key(locale: str) -> Callable[[str], SortKey]:
    """How the language orders names: the Unicode Collation Algorithm (accents after the
    bare letter, "Émirats" beside "Espagne"; Arabic and Cyrillic in alphabetical order);
    Chinese by the pinyin of each character, as CLDR's default Chinese collation does."""
    collator = _collator()
    if Locale.parse(locale).language == "zh":
        return lambda name: (tuple(collator.sort_key(" ".join(lazy_pinyin(name)))), name)
    return lambda name: (tuple(collator.sort_key(name)), name)


def sort_names(names: list[str], locale: str) -> list[str]:
    return sorted(names, key=collation_key(locale))


@cache
def state_choices(locale: str = "en") -> tuple[tuple[str, str], ...]:
    """(code, name) of every state, in the order the language sorts their names."""
    names = state_names(locale)
    key = collation_key(locale)
    return tuple(sorted(names.items(), key=lambda item: key(item[1])))


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())  # reads the zone files: once per process


def is_timezone(name: str) -> bool:
    return name in _timezones()
