"""Where a rule comes from and how far it can be relied on.

A rule is *verified* only when a person read it against a primary source (the official
text or the official body's own page), says where in it the fact stands, and did so
within the last 12 months. Read against a copy or a commentary, it is *secondary*; read
longer ago, *stale*; never read, *unverified*.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal, Protocol

from mlat.rules.schema import RuleFile, Source, SourceKind

STALE_AFTER = dt.timedelta(days=365)

Status = Literal["verified", "secondary", "stale", "unverified"]


class Provenanced(Protocol):
    """Anything that cites a source: a rule, a party entry, a declaration, a scope."""

    @property
    def locator(self) -> str: ...
    @property
    def quote(self) -> str: ...
    @property
    def verified_on(self) -> dt.date | None: ...
    @property
    def entered_on(self) -> dt.date | None: ...


@dataclass(frozen=True)
class Citation:
    ref: str  # the rule's address in the tables (``mlat.rules.refs``)
    title: str
    url: str
    verified_on: dt.date | None
    status: Status
    source_kind: SourceKind = "secondary"
    locator: str = ""
    quote: str = ""
    entered_on: dt.date | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "title": self.title,
            "url": self.url,
            "source_kind": self.source_kind,
            "locator": self.locator,
            "quote": self.quote,
            "verified_on": self.verified_on.isoformat() if self.verified_on else None,
            "status": self.status,
        }


def status_of(verified_on: dt.date | None, kind: SourceKind, today: dt.date) -> Status:
    if verified_on is None:
        return "unverified"
    if kind != "primary":
        return "secondary"
    if today - verified_on > STALE_AFTER:
        return "stale"
    return "verified"


def citation(
    sources: dict[str, Source], cite: str, rule: Provenanced, today: dt.date, *, ref: str
) -> Citation:
    """The citation of ``rule`` as read against the source ``cite``; ``ref`` names the rule
    (``mlat.rules.refs``), so a user can report it."""
    source = sources[cite]
    return Citation(
        ref=ref,
        title=source.title,
        url=str(source.url),
        verified_on=rule.verified_on,
        status=status_of(rule.verified_on, source.kind, today),
        source_kind=source.kind,
        locator=rule.locator,
        quote=rule.quote,
        entered_on=rule.entered_on,
    )


def rule_statuses(table: RuleFile, today: dt.date) -> dict[str, Status]:
    """Every rule of the table (or provider's file) with how far it can be relied on."""
    return {
        path: status_of(rule.verified_on, table.sources[rule.cite].kind, today)
        for path, rule in table.rules()
    }
