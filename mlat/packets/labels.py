"""The packet's fixed labels and headings, one gettext catalogue per language.

Catalogues live in ``labels/<language>/LC_MESSAGES/packet.po`` and are read with Babel
at first use, so no compile step is needed. Plain labels use the English text as their
id; enumerated values (measure kinds, person roles, ...) use the stored value as id with
the enumeration as message context, and the English catalogue gives their wording.
A missing translation falls back to English, then to the id itself.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel import Locale
from babel.dates import format_date
from babel.messages.pofile import read_po
from markupsafe import Markup, escape

LABELS_DIR = Path(__file__).parent / "labels"
DOMAIN = "packet"
FALLBACK = "en"
RIGHT_TO_LEFT = frozenset({"ar"})

Messages = dict[tuple[str | None, str], str]

# Runs without spaces longer than this may break after their punctuation.
LONG_RUN = 16
SPACES = re.compile(r"(\s+)")
ZERO_WIDTH_SPACE = "\u200b"
BREAK_AFTER = re.compile(r"(?<=[@/._\-:?&=#])(?=\S)")


def catalogue_path(language: str) -> Path:
    return LABELS_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def label_languages() -> tuple[str, ...]:
    """The languages that have a label set."""
    return tuple(sorted(p.name for p in LABELS_DIR.iterdir() if catalogue_path(p.name).exists()))


@cache
def messages(language: str) -> Messages:
    """The translated messages of one catalogue, keyed by (context, id)."""
    with catalogue_path(language).open("rb") as fh:
        catalogue = read_po(fh, locale=language, domain=DOMAIN)
    return {
        (m.context, m.id): m.string
        for m in catalogue
        if m.id and isinstance(m.id, str) and isinstance(m.string, str) and m.string
    }


def label_language(accepted: Iterable[str]) -> str:
    """The first accepted language that has a label set, else English."""
    available = label_languages()
    return next((code for code in accepted if code in available), FALLBACK)


@dataclass(frozen=True)
class Labels:
    """Label lookups and formatting in one language, as the templates call them."""

    language: str

    @property
    def direction(self) -> str:
        return "rtl" if self.language in RIGHT_TO_LEFT else "ltr"

    @staticmethod
    def direction_of(text: str) -> str:
        """The direction of a piece of free text, from its first strong character."""
        for char in text:
            kind = unicodedata.bidirectional(char)
            if kind in ("R", "AL"):
                return "rtl"
            if kind == "L":
                return "ltr"
        return "ltr"

    def lookup(self, message: str, context: str | None = None) -> str:
        key = (context, message)
        return messages(self.language).get(key) or messages(FALLBACK).get(key) or message

    def __call__(self, message: str, **params: object) -> Markup:
        """The label, as markup: parameters given as markup (a value isolated in its own
        direction by the ``text`` macro) are kept, the rest escaped."""
        text = escape(self.lookup(message))
        return text % params if params else text

    @staticmethod
    def breakable(text: str) -> str:
        """The text with a break opportunity (a zero-width space) after the punctuation
        inside long runs without spaces (e-mail addresses, URLs, account names), so that
        a narrow column breaks them there and never inside a word. Markup (a label) is
        left as it is."""
        if isinstance(text, Markup):
            return text
        return "".join(
            ZERO_WIDTH_SPACE.join(BREAK_AFTER.split(token)) if len(token) > LONG_RUN else token
            for token in SPACES.split(text)
        )

    @property
    def colon(self) -> str:
        """A colon as the language sets it: French puts a narrow no-break space before it,
        Chinese uses the full-width colon."""
        return {"fr": "\u202f:", "zh": "\uff1a"}.get(self.language, ":")

    def enum(self, context: str, value: str) -> str:
        return self.lookup(value, context)

    def undertaking(self, kind: str, authority: str) -> str:
        """The undertaking an assurance gives, worded for its kind, by the authority."""
        return self.lookup(kind, "undertaking") % {"authority": authority}

    def yes_no(self, value: bool) -> str:
        return self("Yes") if value else self("No")

    def date(self, value: dt.date | None) -> str:
        return format_date(value, "long", locale=self.language) if value else ""

    def timestamp(self, value: dt.datetime | None) -> str:
        """A moment exactly as given, with its UTC offset (as identifiers need)."""
        if value is None:
            return ""
        offset = value.strftime("%z")
        zone = f"UTC{offset[:3]}:{offset[3:]}" if offset else self("time zone not given")
        return f"{value:%Y-%m-%d %H:%M:%S} ({zone})"

    def language_name(self, code: str) -> str:
        return str(Locale.parse(self.language).languages.get(code, code))

    def language_names(self, codes: Iterable[str]) -> str:
        return ", ".join(self.language_name(code) for code in codes)

    def state_name(self, code: str) -> str:
        return str(Locale.parse(self.language).territories.get(code.upper(), code.upper()))

    def number(self, value: float) -> str:
        return f"{value:g}"
