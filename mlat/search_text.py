# ruff: noqa: RUF001, RUF002 (Arabic letters are meant)
"""The words full-text search indexes and looks for, the same on both database engines.

Text is folded before it is indexed and before it is looked for: case and accents go
(``É`` is ``e``), and Arabic loses its diacritics and tatweel and folds its usual letter
variants (أ إ آ ٱ to ا, ى to ي, ة to ه). It is then cut into words at anything that is
not a letter or a digit, so that an e-mail address, a domain, a hyphenated name or a
phone number is found by any of its parts; phone numbers are also kept as their digits
alone, so that "4443 0000" and "+974-4443-0000" find each other. The engines index these
words (SQLite's FTS5, PostgreSQL's ``tsvector``) and never tokenise themselves, so both
find the same requests. A snippet of why a request matched is cut from the text as it
was written, with the matching words marked, so names show as written."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from markupsafe import Markup, escape

from mlat.content import normalise_identifier

ARABIC_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
ARABIC_LETTERS = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي"}
)
WORD = re.compile(r"[^\W_]+")
PHONE = re.compile(r"\+?\d[\d\s().\-/]{4,}\d")
QUOTED = re.compile(r'"([^"]*)"')
MAX_TERMS = 12
MIN_SUBSTRING = 3
MIN_PREFIX = 3
SNIPPET_WORDS = 24


def fold(text: str) -> str:
    """Text without case, accents or Arabic diacritics, Arabic letter variants folded."""
    if text.isascii():
        return text.lower()  # most text: nothing else to fold
    text = ARABIC_DIACRITICS.sub("", text).translate(ARABIC_LETTERS)
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


def words(text: str) -> list[str]:
    return WORD.findall(fold(text))


def phone_digits(text: str) -> list[str]:
    """The digits of each phone number written in the text, alone."""
    return ["".join(c for c in found if c.isdigit()) for found in PHONE.findall(text)]


class Field(NamedTuple):
    """A part of a request as written, and the label that says where it stands (a
    tuple: a search makes a dozen for each request it lists)."""

    label: str
    text: str


@dataclass(frozen=True)
class Document:
    """What the index keeps of one request: its heading words (title, reference, case
    number), which weigh most; the rest of its words; and its names and identifiers as
    folded text, for substrings."""

    heading: str
    body: str
    names: str
    unit: str = ""
    """The unit's token (``unit_token``): the index finds a unit's requests itself."""


def _texts(items: Any, *keys: str) -> Iterable[str]:
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping):
            for key in keys:
                value = item.get(key)
                if isinstance(value, str) and value:
                    yield value


NORMALISED = "identifier_form"


def _normalised_identifiers(items: Any) -> Iterable[str]:
    """Identifiers as the app normalises them (an IPv6 address compressed, a phone number
    as +digits), where that differs from how they were written."""
    for item in items if isinstance(items, list) else []:
        if isinstance(item, Mapping) and isinstance(item.get("value"), str) and item["value"]:
            normalised = normalise_identifier(str(item.get("kind") or "account"), item["value"])
            if fold(normalised) != fold(item["value"]):
                yield normalised


def fields_of(
    *,
    title: str,
    reference: str,
    content: Mapping[str, Any],
    comments: Iterable[str] = (),
    normalised: bool = True,
) -> list[Field]:
    """The searchable parts of a request, in the order a snippet prefers them. Labels
    are message ids (``mlat.services.search.FIELD_LABELS``). ``normalised``: with the
    identifiers as the app normalises them, which the index holds but snippets never
    show."""
    proceedings = content.get("proceedings") or {}
    identifiers = content.get("identifiers")
    spelled = _normalised_identifiers(identifiers) if normalised else ()
    found = [
        Field("title", title),
        Field("reference", reference),
        Field("case_number", str(proceedings.get("case_number") or "")),
        *(Field("person", t) for t in _texts(content.get("persons"), "name")),
        *(Field("identifier", t) for t in _texts(identifiers, "value")),
        *(Field(NORMALISED, t) for t in spelled),
        *(Field("provider", t) for t in _texts(identifiers, "provider")),
        *(
            Field("offence", t)
            for t in _texts(content.get("offences"), "name", "citation", "equivalent_offence")
        ),
        Field("facts", str(content.get("facts") or "")),
        Field("nexus", str(content.get("nexus") or "")),
        *(Field("comment", c) for c in comments),
    ]
    return [f for f in found if f.text.strip()]


NAMED = frozenset(
    {"person", "identifier", NORMALISED, "provider", "title", "reference", "case_number"}
)


def unit_token(unit_id: int | None) -> str:
    """The word that stands for a unit in the index's own column, never searched by
    the user's words (they go to the heading and body only)."""
    return f"u{unit_id}"


def document(fields: list[Field], *, unit_id: int | None = None) -> Document:
    heading = [f.text for f in fields if f.label in ("title", "reference", "case_number")]
    body = [f.text for f in fields if f.label not in ("title", "reference", "case_number")]
    named = [f.text for f in fields if f.label in NAMED]
    digits = [
        d for f in fields if f.label in ("identifier", "person") for d in phone_digits(f.text)
    ]
    return Document(
        heading=" ".join(w for text in heading for w in words(text)),
        body=" ".join([*(w for text in body for w in words(text)), *digits]),
        names=" | ".join([*(fold(text) for text in named), *digits]),
        unit=unit_token(unit_id),
    )


@dataclass(frozen=True)
class Term:
    """One thing looked for: a word, or words in a row (a phrase); the last word may be
    the start of a longer one."""

    words: tuple[str, ...]
    prefix: bool
    digits: str = ""
    """For a phone number or another run of digits and punctuation: its digits alone,
    found instead of the words ("+974-4443-0000" as 97444430000)."""

    @property
    def text(self) -> str:
        return " ".join(self.words)


def parse(query: str) -> list[Term]:
    """The terms of a query: "quoted words" are a phrase found as written; any other
    word is found as the start of a word; "e-mail" or "al-marri" are their parts in a
    row. Every term must be found (AND)."""
    terms: list[Term] = []
    for phrase in QUOTED.findall(query):
        found = tuple(words(phrase))
        if found:
            terms.append(Term(found, prefix=False))
    for token in QUOTED.sub(" ", query).split():
        found = tuple(words(token))
        if found:
            # One or two letters alone are a word of their own, not the start of
            # thousands; after other words ("cyb/2026/04") they may begin the last one.
            terms.append(Term(found, prefix=len(found) > 1 or len(found[-1]) >= MIN_PREFIX))
        digits = "".join(c for c in token if c.isdigit())
        if len(found) > 1 and len(digits) >= 5 and PHONE.fullmatch(token):
            terms[-1] = Term(found, prefix=True, digits=digits)
    return terms[:MAX_TERMS]


def fts5_query(terms: list[Term], unit_id: int | None) -> str:
    """The terms as an SQLite FTS5 query, in the unit's requests:
    ``unit : "u3" AND {heading body} : ("al marri"*) AND {heading body} : ("fraud"*)``."""
    parts = [f'unit : "{unit_token(unit_id)}"']
    for t in terms:
        words = f'"{t.text}"' + ("*" if t.prefix else "")
        either = f'{words} OR "{t.digits}"*' if t.digits else words
        parts.append(f"{{heading body}} : ({either})")
    return " AND ".join(parts)


def tsquery(terms: list[Term], unit_id: int | None) -> str:
    """The terms as a PostgreSQL tsquery, in the unit's requests: the unit's lexeme has
    weight D, the words are looked for in the heading (A) and body (B) only:
    ``u3:D & (al:AB <-> marri:*AB) & (fraud:*AB)``."""
    parts = [f"{unit_token(unit_id)}:D"]
    for t in terms:
        last = t.words[-1] + (":*AB" if t.prefix else ":AB")
        words = "(" + " <-> ".join([*(w + ":AB" for w in t.words[:-1]), last]) + ")"
        parts.append(f"({words} | {t.digits}:*AB)" if t.digits else words)
    return " & ".join(parts)


def _matches(folded: str, terms: list[Term]) -> bool:
    """Whether a folded word is one the terms look for: one of their words, the start of
    a word they may begin, a part of it (for a term of one word), or its digits."""
    for t in terms:
        last = len(t.words) - 1
        for i, w in enumerate(t.words):
            if folded == w or (t.prefix and i == last and folded.startswith(w)):
                return True
        if last == 0 and len(t.words[0]) >= MIN_SUBSTRING and t.words[0] in folded:
            return True
        if t.digits and t.digits in "".join(c for c in folded if c.isdigit()):
            return True
    return False


def _mentions(folded: str, terms: list[Term]) -> bool:
    """Whether folded text holds any word of the terms, or the digits of one, somewhere:
    most parts of a request do not, and need no word-by-word look."""
    if any(w in folded for t in terms for w in t.words):
        return True
    if not any(t.digits for t in terms):
        return False
    digits = "".join(c for c in folded if c.isdigit())
    return any(t.digits and t.digits in digits for t in terms)


def snippet(text: str, terms: list[Term]) -> Markup | None:
    """Words of the text around its first match, matching words marked, as written;
    None when nothing in it matches."""
    if not _mentions(fold(text), terms):
        return None
    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]

    def matches(i: int) -> bool:
        start, end = spans[i]
        return any(_matches(w, terms) for w in WORD.findall(fold(text[start:end])))

    # Only the words shown are looked at: up to the first match, then the window after.
    found = next((i for i in range(len(spans)) if matches(i)), None)
    if found is None:
        return None
    first = max(0, found - SNIPPET_WORDS // 3)
    last = min(len(spans), first + SNIPPET_WORDS)
    shown = []
    for i in range(first, last):
        start, end = spans[i]
        piece = str(escape(text[start:end]))
        shown.append(f"<mark>{piece}</mark>" if i == found or (i > found and matches(i)) else piece)
    before = "… " if first else ""
    after = " …" if last < len(spans) else ""
    return Markup(before + " ".join(shown) + after)
