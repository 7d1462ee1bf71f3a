"""How far the rule data can be relied on: per state table and for the catalogue, the
share of rules verified against a primary source, and the rules that can make the engine
report an error although they are not primary-verified (``flask rules check``)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from mlat.rules.instruments import party_citation
from mlat.rules.provenance import Status, citation, rule_statuses
from mlat.rules.providers import Provider
from mlat.rules.schema import InstrumentCatalogue, JointTeamFile, StateTable

# The parts of a state table that the checks cite in an error finding (channel or language
# not accepted, measure not possible or short of its threshold or fields, a missing
# assurance or judicial validation, a lapsed preservation).
ERROR_RULE_PATHS = ("channels[", "languages", "measures.", "assurances[", "formalities",
                    "preservation")  # fmt: skip


@dataclass
class Reliability:
    """Counts of rules by status, and the error-driving rules not primary-verified."""

    name: str
    statuses: Counter[Status] = field(default_factory=Counter)
    weak_error_rules: list[str] = field(default_factory=list)
    one_per_line: bool = False  # each weak entry on a line of its own (instruments)

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    @property
    def verified_share(self) -> float:
        return self.statuses["verified"] / self.total if self.total else 0.0


def drives_errors(path: str) -> bool:
    return path.startswith(ERROR_RULE_PATHS)


def table_reliability(table: StateTable, today: dt.date) -> Reliability:
    statuses = rule_statuses(table, today)
    return Reliability(
        name=f"{table.state} {table.name}",
        statuses=Counter(statuses.values()),
        weak_error_rules=[p for p, s in statuses.items() if drives_errors(p) and s != "verified"],
    )


def catalogue_reliability(catalogue: InstrumentCatalogue, today: dt.date) -> Reliability:
    """Every instrument, its date of application and every party entry counts as a rule:
    each can make the engine say that a legal basis does not link two states, an error."""
    result = Reliability(name="instruments catalogue", one_per_line=True)
    for slug, inst in catalogue.instruments.items():
        own = citation(catalogue.sources, inst.cite, inst, today, ref=slug).status
        start = None
        if (applies := inst.applies_from) is not None:
            start = citation(catalogue.sources, applies.cite, applies, today, ref=slug).status
        parties = {p.state: party_citation(catalogue, slug, p, today).status for p in inst.parties}
        result.statuses.update([own, *([start] if start else []), *parties.values()])
        weak = [state for state, status in parties.items() if status != "verified"]
        parts = [] if own == "verified" else ["the instrument"]
        if start and start != "verified":
            parts.append("the date it applies from")
        if weak:
            parts.append(f"{len(weak)} of {len(parties)} parties ({', '.join(weak)})")
        if parts:
            result.weak_error_rules.append(f"{slug}: {'; '.join(parts)}")
    return result


# The parts of a provider's file the checks rely on to advise against a request (stored
# content it does not hold, data older than it keeps, an identifier it cannot search).
PROVIDER_ERROR_PATHS = ("disclosure", "preservation", "retention[", "identifiers[")


def joint_teams_reliability(frameworks: JointTeamFile, today: dt.date) -> Reliability:
    """The frameworks a case's joint team may rest on: the advisor cites them, so every
    one not primary-verified is listed."""
    statuses = rule_statuses(frameworks, today)
    return Reliability(
        name="joint investigation team frameworks",
        statuses=Counter(statuses.values()),
        weak_error_rules=[p for p, s in statuses.items() if s != "verified"],
    )


def provider_reliability(provider: Provider, today: dt.date) -> Reliability:
    statuses = rule_statuses(provider, today)
    return Reliability(
        name=f"provider {provider.slug} ({provider.name})",
        statuses=Counter(statuses.values()),
        weak_error_rules=[
            p for p, s in statuses.items() if p.startswith(PROVIDER_ERROR_PATHS) and s != "verified"
        ],
    )
