"""Whether a case's joint investigation team (JIT) serves a request of the case.

A JIT is set up by agreement between states, for a specific purpose and a limited period
(Framework Decision 2002/465/JHA, Art. 1; 2nd Additional Protocol to the 1959
Convention, Art. 20; the JIT articles of UNTOC, UNCAC and the Budapest Convention's 2nd
Additional Protocol). Its members may share what they lawfully obtain within the team
under the agreement, without a request for mutual assistance. The advisor says so when a
request goes to a member state, within the team's period and the measures its agreement
covers; and, when the state is a member, why the team does not serve this request.
Computed from plain values: the team's record and the request's state and measures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field

from mlat.messages import N_
from mlat.request_format import MeasureKind
from mlat.rules.provenance import Citation, citation
from mlat.rules.schema import JointTeamFile, JointTeamFramework


@dataclass(frozen=True)
class Team:
    """A case's joint investigation team, as its record holds it."""

    name: str
    framework: str
    members: frozenset[str]
    """the member states besides the requesting unit's own"""
    starts_on: dt.date
    ends_on: dt.date
    scope: str = ""
    measures: frozenset[MeasureKind] = frozenset()
    """the measures its agreement covers; empty: any"""


@dataclass(frozen=True)
class TeamAdvice:
    team: Team
    applies: bool
    framework: JointTeamFramework | None
    citation: Citation | None
    """the framework's article on joint teams"""
    sharing: Citation | None
    """the framework's paragraph on the use of what the team obtains"""
    reason: str = ""
    """N_: why the team does not serve the request, when it does not"""
    params: Mapping[str, object] = field(default_factory=dict)


def framework_citation(
    frameworks: JointTeamFile | None, key: str, today: dt.date
) -> tuple[Citation | None, Citation | None]:
    """The framework's article on joint teams and its paragraph on sharing, cited."""
    found = frameworks.frameworks.get(key) if frameworks else None
    if frameworks is None or found is None:
        return None, None
    ref = f"joint_teams:frameworks.{key}"
    cited = citation(frameworks.sources, found.cite, found, today, ref=ref)
    sharing = None
    if found.sharing is not None:
        sharing = citation(frameworks.sources, found.sharing.cite, found.sharing, today,
                           ref=f"{ref}.sharing")  # fmt: skip
    return cited, sharing


def team_advice(
    frameworks: JointTeamFile | None,
    team: Team,
    requested: str,
    measures: frozenset[MeasureKind],
    today: dt.date,
) -> TeamAdvice | None:
    """The team's advice for a request to ``requested``; None when that state is not a
    member of the team (the team has nothing to say about it)."""
    if requested not in team.members:
        return None
    found = frameworks.frameworks.get(team.framework) if frameworks else None
    cited, sharing = framework_citation(frameworks, team.framework, today)
    dates = {"start": team.starts_on.isoformat(), "end": team.ends_on.isoformat()}
    if today < team.starts_on:
        reason = N_("The team's agreement applies only from %(start)s.")
        return TeamAdvice(team, False, found, cited, sharing, reason, dates)
    if today > team.ends_on:
        reason = N_("The team's agreement ran until %(end)s: extend it, or send a request.")
        return TeamAdvice(team, False, found, cited, sharing, reason, dates)
    outside = sorted(measures - team.measures) if team.measures else []
    if outside:
        return TeamAdvice(team, False, found, cited, sharing,
                          N_("The team's agreement does not cover every measure asked for."),
                          {"measures": [str(m) for m in outside]})  # fmt: skip
    return TeamAdvice(team, True, found, cited, sharing, params=dates)
