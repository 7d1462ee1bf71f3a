"""Pure functions over request content: its digest, its searchable terms, fingerprints
of its identifiers and the differences between two versions of it."""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import ipaddress
import json
import re
from dataclasses import dataclass
from typing import Any

from mlat.request_format import RequestDocument

# Kept in database columns, not in the stored content.
DATABASE_FIELDS = frozenset({"reference", "requesting_state", "requested_state"})


def stored_content(document: RequestDocument) -> dict[str, Any]:
    """The content as stored: the document in JSON form, minus what the database holds."""
    return document.model_dump(mode="json", exclude=set(DATABASE_FIELDS))


def digest(*, title: str, requested_state: str, content: dict[str, Any]) -> str:
    """SHA-256 over everything a reviewer approves: title, requested state and content."""
    canonical = json.dumps(
        {"title": title, "requested_state": requested_state, "content": content},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def normalise_identifier(kind: str, value: str) -> str:
    """One spelling per identifier, so that the same account is found whatever its case."""
    value = value.strip()
    if kind == "ip":
        try:
            return ipaddress.ip_address(value).compressed
        except ValueError:
            return value.lower()
    if kind == "phone":
        digits = re.sub(r"[^\d+]", "", value)
        return digits or value
    return value.casefold()


# Fingerprints of identifiers: hex digits, short enough for a form, long enough never to
# collide within one request.
IDENTIFIER_KEY_LENGTH = 16
IDENTIFIER_KEY = re.compile(rf"[0-9a-f]{{{IDENTIFIER_KEY_LENGTH}}}")


def identifier_key(kind: str, value: str, observed_at: dt.datetime | str | None) -> str:
    """A short fingerprint of what an identifier is: its kind, its exact value and the
    instant it was used. The wizard names identifiers by it rather than by their position,
    so that a link to one still means that identifier after the list was reordered, and
    means nothing once it was changed or removed."""
    canonical = json.dumps(
        [kind, value.strip(), _instant(observed_at)], separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:IDENTIFIER_KEY_LENGTH]


def _instant(observed_at: dt.datetime | str | None) -> str | None:
    """The time of use in one spelling: the same instant in UTC whatever its offset."""
    if isinstance(observed_at, str):
        text = observed_at.strip()
        try:
            observed_at = dt.datetime.fromisoformat(text)
        except ValueError:
            return text or None
    if observed_at is None:
        return None
    if observed_at.tzinfo is not None:
        try:
            observed_at = observed_at.astimezone(dt.UTC)
        except OverflowError:  # beyond year 9999 in UTC: kept as written
            return observed_at.isoformat()
    return observed_at.isoformat()


def identifier_keys(identifiers: Any) -> list[str | None]:
    """The fingerprint of each identifier of stored content, by position (None for an
    entry that is not an identifier)."""
    keys: list[str | None] = []
    for ident in identifiers if isinstance(identifiers, list) else []:
        if isinstance(ident, dict):
            when = ident.get("observed_at")
            keys.append(
                identifier_key(
                    str(ident.get("kind") or ""),
                    str(ident.get("value") or ""),
                    when if isinstance(when, str | dt.datetime) else None,
                )
            )
        else:
            keys.append(None)
    return keys


def identifier_positions(identifiers: Any) -> dict[str, int]:
    """Each fingerprint of the identifiers of stored content with the position of the
    first identifier that has it (identical identifiers share one fingerprint)."""
    positions: dict[str, int] = {}
    for position, key in enumerate(identifier_keys(identifiers)):
        if key is not None:
            positions.setdefault(key, position)
    return positions


def normalise_name(name: str) -> str:
    return " ".join(name.casefold().split())


def terms(document: RequestDocument) -> set[tuple[str, str]]:
    """The (kind, value) pairs search and related requests look up."""
    found: set[tuple[str, str]] = set()
    for identifier in document.identifiers:
        if identifier.value:
            found.add(("identifier", normalise_identifier(identifier.kind, identifier.value)))
    for person in document.persons:
        if person.name:
            found.add(("person", normalise_name(person.name)))
    for measure in document.measures:
        found.add(("measure", str(measure.kind)))
    return {(kind, value[:500]) for kind, value in found}


def flatten(value: Any, path: str = "") -> dict[str, Any]:
    """``{"offences[0].name": "Fraud", ...}``: every leaf of a JSON value by its path."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(flatten(item, f"{path}.{key}" if path else str(key)))
        return out
    if isinstance(value, list) and value and isinstance(value[0], dict | list):
        out = {}
        for index, item in enumerate(value):
            out.update(flatten(item, f"{path}[{index}]"))
        return out
    return {path: value}


@dataclass(frozen=True)
class Change:
    path: str
    before: Any
    after: Any

    @property
    def words(self) -> list[tuple[str, str]]:
        """The change word by word: ("same" | "deleted" | "inserted", text)."""
        return word_diff(_as_text(self.before), _as_text(self.after))


_TOKENS = re.compile(r"^\s+|\S+\s*")  # each word with the space after it


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    """What was deleted and inserted between two texts, word by word, with the words
    that stayed: enough for a reviewer to see the change inside a long paragraph."""
    old, new = _TOKENS.findall(before), _TOKENS.findall(after)
    parts: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            parts.append(("same", "".join(old[i1:i2])))
            continue
        if i2 > i1:
            parts.append(("deleted", "".join(old[i1:i2])))
        if j2 > j1:
            parts.append(("inserted", "".join(new[j1:j2])))
    return parts


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    """What differs between two versions of a request, leaf by leaf, in path order."""
    old, new = flatten(before), flatten(after)
    empty: tuple[Any, ...] = (None, "", [], False)
    return [
        Change(path, old.get(path), new.get(path))
        for path in sorted(old.keys() | new.keys())
        if old.get(path) != new.get(path)
        and not (old.get(path) in empty and new.get(path) in empty)
    ]


def preservation_expiry(
    *, requested_on: dt.date | None, expires_on: dt.date | None, initial_days: int | None
) -> dt.date | None:
    """When preservation lapses: the date entered, else the start plus the state's period."""
    if expires_on is not None:
        return expires_on
    if requested_on is not None and initial_days:
        return requested_on + dt.timedelta(days=initial_days)
    return None
