"""Messages that show values in words, in the reader's language.

A finding, a route or a link says "Qatar is not a party to ..." or "accepted: central
authority, 24/7 network", never "QA" or "central_authority". The rule layer puts the
codes in a message as ``Words`` (and a message within a message as ``Phrase``); the page
that shows the message words them in its language through a ``Speaker``, and
``ENGLISH`` words them for the CLI, the API and the packet's English text."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Literal

from babel import Locale
from babel.lists import format_list

from mlat.countries import state_name
from mlat.labels import LABELS

WordKind = Literal["state", "language", "channel", "measure", "threshold"]


@dataclass(frozen=True)
class Words:
    """Codes to show in words: a state's name, a language's name, a channel's label."""

    kind: WordKind
    codes: tuple[str, ...]

    def __str__(self) -> str:
        return ENGLISH.words(self)


@dataclass(frozen=True)
class Phrase:
    """A message given as a parameter of another, translated before it is put in."""

    template: str
    params: Mapping[str, object]

    def __str__(self) -> str:
        return ENGLISH.say(self.template, self.params)


@dataclass(frozen=True)
class Speaker:
    """How to word messages in one language: its gettext and ngettext (Flask-Babel's,
    which format with the params given) and the word for a code of each kind."""

    gettext: Callable[..., str]
    ngettext: Callable[..., str]
    word: Callable[[WordKind, str], str]
    locale: str = "en"

    def words(self, value: Words) -> str:
        """The words joined as the language joins a list: "A, B and C", "A, B et C"."""
        return format_list(
            [self.word(value.kind, code) for code in value.codes], locale=self.locale
        )

    def value(self, value: object) -> object:
        if isinstance(value, Words):
            return self.words(value)
        if isinstance(value, Phrase):
            return self.say(value.template, value.params)
        return value

    def say(self, template: str, params: Mapping[str, object], plural: str = "") -> str:
        worded = {key: self.value(v) for key, v in params.items()}
        if plural:
            return self.ngettext(template, plural, worded["n"], **worded)
        return self.gettext(template, **worded)


@cache
def language_names(locale: str) -> dict[str, str]:
    return dict(Locale.parse(locale).languages)


def english_word(kind: WordKind, code: str) -> str:
    if kind == "state":
        return state_name(code, "en")
    if kind == "language":
        return language_names("en").get(code, code)
    return LABELS[kind].get(code, code)


def _format(template: str, **params: object) -> str:
    return template % params if params else template


def _nformat(singular: str, plural: str, num: int, **params: object) -> str:
    return (singular if num == 1 else plural) % params


ENGLISH = Speaker(gettext=_format, ngettext=_nformat, word=english_word)
