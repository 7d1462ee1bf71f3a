"""Where a rule comes from and whether its verification is still fresh."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from mlat.rules.schema import Source, StateTable

STALE_AFTER = dt.timedelta(days=365)

Status = Literal["verified", "stale", "unverified"]


@dataclass(frozen=True)
class Citation:
    ref: str  # the rule's address in the tables (``mlat.rules.refs``)
    title: str
    url: str
    verified_on: dt.date | None
    status: Status

    def as_dict(self) -> dict[str, str | None]:
        return {
            "title": self.title,
            "url": self.url,
            "verified_on": self.verified_on.isoformat() if self.verified_on else None,
            "status": self.status,
        }


def status_of(verified_on: dt.date | None, today: dt.date) -> Status:
    if verified_on is None:
        return "unverified"
    if today - verified_on > STALE_AFTER:
        return "stale"
    return "verified"


def citation(
    sources: dict[str, Source], cite: str, verified_on: dt.date | None, today: dt.date, *, ref: str
) -> Citation:
    source = sources[cite]
    return Citation(
        ref=ref,
        title=source.title,
        url=str(source.url),
        verified_on=verified_on,
        status=status_of(verified_on, today),
    )


def rule_statuses(table: StateTable, today: dt.date) -> dict[str, Status]:
    """Every rule of the table with whether it is verified, stale or unverified."""
    return {path: status_of(rule.verified_on, today) for path, rule in table.rules()}
