"""How far a case falls within an instrument's scope, read from what the request states.

Offences are free text, so words can only suggest what an offence is; the one firm test
is a stated maximum penalty below the instrument's minimum. The route advisor ranks by
this reading and the ``scope`` check warns by it; neither ever decides for the officer
that an offence is covered."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import IntEnum

from mlat.messages import N_
from mlat.request_format import MeasureKind
from mlat.rules.schema import Instrument

# Measures that obtain evidence in electronic form.
ELECTRONIC_EVIDENCE = frozenset(
    {
        MeasureKind.subscriber_info,
        MeasureKind.traffic_data,
        MeasureKind.stored_content,
        MeasureKind.realtime_traffic,
        MeasureKind.interception,
        MeasureKind.bank_records,
        MeasureKind.preservation,
    }
)
# Words that make an offence look like a corruption offence (bribery, embezzlement,
# trading in influence, abuse of functions, illicit enrichment, laundering,
# concealment, obstruction of justice).
CORRUPTION_WORDS = re.compile(
    r"brib|corrupt|embezzl|misappropriat|influence|abuse of (office|functions?|power)"
    r"|illicit enrichment|launder|conceal|obstruct",
    re.IGNORECASE,
)
COMPUTER_WORDS = re.compile(
    r"computer|cyber|information system|data|network|online|internet|electronic"
    r"|hack|malware|ransomware|phishing|intrusion|unauthori[sz]ed access",
    re.IGNORECASE,
)
ORGANISED_GROUP_WORDS = re.compile(
    r"organi[sz]ed (criminal )?group|criminal (group|network|organi[sz]ation)", re.IGNORECASE
)
TRANSNATIONAL_WORDS = re.compile(
    r"transnational|cross-border|across borders|more than one state|in another state",
    re.IGNORECASE,
)


class Fit(IntEnum):
    """How the case stands against the scope, best first."""

    covers = 0  # the scope covers any offence, or what the request states fits it
    confirm = 1  # an element the scope needs is not stated (a penalty, an organised group)
    unlikely = 2  # the offences as worded look like another kind than the scope covers
    outside = 3  # a stated fact puts the case outside the scope


@dataclass(frozen=True)
class CaseFacts:
    """What the request states that bears on scope."""

    measures: frozenset[MeasureKind] = frozenset()
    max_penalty_years: float | None = None  # the highest, when every offence gives one
    offence_text: str = ""  # names, provisions and equivalent offences
    facts: str = ""
    organised_group: bool = False  # said outright, whatever the facts' wording


@dataclass(frozen=True)
class Reading:
    fit: Fit
    reason: str  # N_-marked, with %(name)s, %(article)s and the params below
    params: dict[str, str] = field(default_factory=dict)


def read_scope(inst: Instrument, case: CaseFacts) -> Reading:
    """How the case stands against the instrument's scope, and why in one sentence."""
    scope = inst.scope
    if scope is None or scope.offences == "any":
        return Reading(Fit.covers, N_("%(name)s covers any criminal offence."))
    minimum, highest = scope.min_penalty_years, case.max_penalty_years
    if minimum is not None and highest is not None and highest < minimum:
        return Reading(
            Fit.outside,
            N_(
                "%(name)s covers offences punishable by at least %(years)s years "
                "(%(article)s); the offences here carry at most %(highest)s."
            ),
            {"years": f"{minimum:g}", "highest": f"{highest:g}"},
        )
    kind = scope.offences
    if kind == "any_with_electronic_evidence":
        if case.measures & ELECTRONIC_EVIDENCE or COMPUTER_WORDS.search(case.offence_text):
            return Reading(
                Fit.covers,
                N_("%(name)s covers electronic evidence of any offence (%(article)s)."),
            )
        return Reading(
            _unlikely_if_worded(case),
            N_(
                "%(name)s covers computer-related offences and electronic evidence "
                "(%(article)s); nothing in this case seeks either yet."
            ),
        )
    if kind == "computer_related":
        if COMPUTER_WORDS.search(case.offence_text):
            return Reading(Fit.covers, N_("%(name)s covers computer-related offences."))
        return Reading(
            _unlikely_if_worded(case),
            N_(
                "%(name)s covers computer-related offences (%(article)s); no offence here "
                "looks like one."
            ),
        )
    if kind in ("corruption", "convention_offences"):
        if kind == "corruption" and not CORRUPTION_WORDS.search(case.offence_text):
            return Reading(
                _unlikely_if_worded(case),
                N_(
                    "%(name)s covers corruption offences (%(article)s); no offence here "
                    "looks like one."
                ),
            )
        return Reading(
            Fit.confirm if kind == "convention_offences" else Fit.covers,
            N_("%(name)s covers the offences established under it (%(article)s)."),
        )
    # serious crime: a penalty threshold, and for UNTOC an organised, transnational crime
    if highest is None:
        return Reading(
            Fit.confirm,
            N_(
                "%(name)s covers serious crime (%(article)s); give each offence's maximum "
                "penalty to show it is one."
            ),
        )
    organised = case.organised_group or ORGANISED_GROUP_WORDS.search(case.facts)
    if scope.organised_group and not organised:
        return Reading(
            Fit.confirm,
            N_(
                "%(name)s needs an organised criminal group (%(article)s); the facts do "
                "not mention one."
            ),
        )
    return Reading(Fit.covers, N_("%(name)s covers serious crime such as this (%(article)s)."))


def _unlikely_if_worded(case: CaseFacts) -> Fit:
    """An offence named in other words than the scope's makes the instrument unlikely to
    apply; with no offence named yet, it is only to be confirmed."""
    return Fit.unlikely if case.offence_text.strip() else Fit.confirm
