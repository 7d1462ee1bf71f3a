"""Typed schema of the rule tables kept as TOML files under ``rules/data``.

Every rule carries its provenance: ``cite`` names an entry of the file's
``[sources]`` table (title, URL, and whether it is a primary or a secondary source),
``locator`` says where in the source the fact stands and ``quote`` gives its words;
``verified_on`` is the day a person read the rule against that source. A rule with no
``verified_on`` is unverified, one checked only against a secondary source is not
verified either, and the application says so wherever the rule is used
(``mlat.rules.provenance``).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

from mlat.request_format import Channel, MeasureKind

ISO_STATE = r"^[A-Z]{2}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


MAX_QUOTE_WORDS = 30

SourceKind = Literal["primary", "secondary"]


class Source(Strict):
    title: str = Field(min_length=3)
    url: HttpUrl
    kind: SourceKind = Field(
        description="primary: the official text or the official body's own page (legislation, "
        "treaty office or depositary, ministry, central authority, official journal); "
        "secondary: a copy or a commentary"
    )
    as_of: dt.date | None = Field(
        default=None, description="the status date the source itself states, if any"
    )


def _short_quote(value: str) -> str:
    if len(value.split()) > MAX_QUOTE_WORDS:
        raise ValueError(f"a quotation has at most {MAX_QUOTE_WORDS} words")
    return value


class Provenance(Strict):
    """Where a fact comes from: the source, the place in it, its words, and the day a
    person read it there."""

    cite: str = Field(min_length=1, description="key of an entry in [sources]")
    locator: str = Field(
        default="", description="where in the source: article, section, page, table row"
    )
    quote: str = Field(default="", description="the source's words, at most 30")
    verified_on: dt.date | None = Field(
        default=None, description="the day the rule was read against its source; none = unverified"
    )
    entered_on: dt.date | None = Field(
        default=None,
        description="the day the rule was first written from its source, when it has not been "
        "read against it since; never a verification",
    )
    note: str = ""

    _quote_is_short = field_validator("quote")(_short_quote)

    @model_validator(mode="after")
    def _verified_says_where(self) -> Provenance:
        if self.verified_on is not None and not self.locator.strip():
            raise ValueError("a verified rule says where in its source it stands (locator)")
        return self


class Ruled(Provenance):
    """A rule: some facts plus where they come from and when they were checked."""


class Threshold(StrEnum):
    """Evidential standard the requested state applies before executing a measure,
    in rising order."""

    none = "none"
    relevance = "relevance"
    reasonable_grounds = "reasonable_grounds"
    specific_articulable_facts = "specific_articulable_facts"
    probable_cause = "probable_cause"


THRESHOLD_ORDER = list(Threshold)

RequiredField = Literal[
    "facts",  # summary of facts
    "nexus",  # link between the evidence sought and the offence
    "offences",  # at least one offence with its statutory citation
    "identifiers",  # at least one identifier linked to the measure
    "identifier_timestamps",  # IP identifiers with timestamp and offset
    "provider",  # custodian / service provider of the data
    "date_range",  # bounded date_from / date_to on the measure
    "persons",  # persons concerned
    "details",  # measure details (questions to put, accounts, premises)
    "procedures",  # formalities for admissibility
    "judicial_order",  # a domestic court order or warrant in the annexes
]


class Authority(Ruled):
    name: str
    address: str = ""
    email: str = ""
    phone: str = ""
    url: str = ""
    timezone: str = Field(description="IANA time zone name, e.g. Europe/London")
    office_hours: str = ""


class ChannelRule(Ruled):
    kind: Channel
    electronic: bool = Field(description="electronic transmission (e-mail, portal) accepted")
    urgent_only: bool = False


class Languages(Ruled):
    accepted: list[str] = Field(min_length=1)
    certified_translation_required: bool = False
    english_when_urgent: bool = False

    @field_validator("accepted")
    @classmethod
    def _iso_codes(cls, value: list[str]) -> list[str]:
        for code in value:
            if len(code) != 2 or not code.isalpha() or not code.islower():
                raise ValueError(f"{code!r} is not an ISO 639-1 code")
        return value


class DualCriminality(Ruled):
    policy: Literal["never", "coercive_only", "always"]


class MeasureRule(Ruled):
    possible: bool
    legal_framework: str = Field(description="domestic instrument that executes the measure")
    threshold: Threshold = Threshold.none
    coercive: bool = False
    guidance: str = Field(default="", description="plain-language advice for the drafter")
    required_fields: list[RequiredField] = Field(
        default_factory=list,
        description="paths in the request format that must be filled for this measure",
    )
    max_range_days: int | None = Field(
        default=None, ge=1, description="longest date range the state executes without challenge"
    )
    max_age_days: int | None = Field(
        default=None, ge=1, description="facts older than this are treated as stale"
    )


class Preservation(Ruled):
    available: bool
    initial_days: int | None = Field(default=None, ge=1)
    extension_days: int | None = Field(default=None, ge=0)
    how_to_extend: str = ""


class Urgency(Ruled):
    emergency_definition: str = ""
    channel: Channel | None = None
    target: str = ""


class Confidentiality(Ruled):
    available: bool


class Assurance(Ruled):
    kind: Literal["death_penalty", "speciality", "data_protection", "life_imprisonment"]
    required_when: Literal["always", "death_penalty_possible"]
    text: str


class Formalities(Ruled):
    signature_required: bool = True
    judicial_validation_required: bool = False
    certification: str = ""
    paper_size: Literal["A4", "letter"] = "A4"


class Execution(Ruled):
    typical_days: int | None = Field(default=None, ge=1)


class DeMinimis(Ruled):
    applies: bool
    min_penalty_years: float | None = Field(default=None, ge=0)


class RuleFile(Strict):
    """A file of rules that cite the sources it lists: a state's table, a provider's file."""

    sources: dict[str, Source] = Field(min_length=1)

    @model_validator(mode="after")
    def _citations_resolve(self) -> RuleFile:
        for path, rule in self.rules():
            if rule.cite not in self.sources:
                raise ValueError(f"{path}: cite {rule.cite!r} is not in [sources]")
        return self

    def rules(self) -> list[tuple[str, Ruled]]:
        """Every rule of the file with its path, for provenance checks."""
        found: list[tuple[str, Ruled]] = []
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, Ruled):
                found.append((name, value))
            elif isinstance(value, list):
                found += [(f"{name}[{i}]", v) for i, v in enumerate(value) if isinstance(v, Ruled)]
            elif isinstance(value, dict):
                found += [(f"{name}.{k}", v) for k, v in value.items() if isinstance(v, Ruled)]
        return found


class StateTable(RuleFile):
    state: str = Field(pattern=ISO_STATE)
    name: str
    region: Literal["Africa", "Americas", "Asia", "Europe", "Middle East", "Oceania"]
    legal_tradition: Literal["common_law", "civil_law", "mixed", "islamic_law"]
    central_authority: Authority
    contact_24_7: Authority | None = None
    provider_authority: Authority | None = None
    channels: list[ChannelRule] = Field(min_length=1)
    languages: Languages
    dual_criminality: DualCriminality
    measures: dict[MeasureKind, MeasureRule] = Field(min_length=1)
    preservation: Preservation
    urgency: Urgency
    confidentiality: Confidentiality
    assurances: list[Assurance] = Field(default_factory=list)
    formalities: Formalities
    execution: Execution
    de_minimis: DeMinimis | None = None


class Declaration(Provenance):
    """A party's declaration or reservation that changes how a request is made."""

    kind: Literal[
        "central_authority",  # Budapest Art. 24(7), 27(2); UNTOC 18(13); UNCAC 46(13)
        "urgent_means",  # Budapest Art. 25(3)
        "dual_criminality",  # Budapest Art. 29(4)
        "contact_24_7",  # Budapest Art. 35
        "language",  # UNTOC 18(14); UNCAC 46(14); ETS 030 Art. 16
        "other",
    ]
    text: str = Field(min_length=3, description="what the declaration says, in short")


class Party(Strict):
    state: str = Field(pattern=ISO_STATE)
    in_force: dt.date | None = Field(
        default=None, description="date the instrument entered into force for this party"
    )
    in_force_year: int | None = Field(
        default=None,
        ge=1900,
        description="year it entered into force, where the source gives no exact date",
    )
    signed: dt.date | None = None
    signatory_only: bool = Field(
        default=False,
        description="signed but not ratified: not bound. A party with no date at all is "
        "bound from a day the sources read did not give",
    )
    cite: str | None = Field(
        default=None, description="source for this party, if not the instrument's"
    )
    side: str = Field(
        default="",
        description="for an agreement between two sides (the EU's member states and a third "
        "state): the party's side; two parties on the same side are not linked by it",
    )
    locator: str = Field(default="", description="where in the source: the row, the notice")
    quote: str = ""
    verified_on: dt.date | None = None
    entered_on: dt.date | None = None
    note: str = ""
    declarations: list[Declaration] = Field(default_factory=list)

    _quote_is_short = field_validator("quote")(_short_quote)

    @model_validator(mode="after")
    def _verified_says_where(self) -> Party:
        if self.verified_on is not None and not self.locator.strip():
            raise ValueError(f"party {self.state}: a verified entry says where it stands (locator)")
        return self

    def in_force_on(self, day: dt.date) -> bool:
        if self.signatory_only:
            return False
        if self.in_force is not None:
            return self.in_force <= day
        if self.in_force_year is not None:
            return self.in_force_year < day.year
        return True


ScopeOffences = Literal[
    "any",  # any criminal offence
    "any_with_electronic_evidence",  # any offence, where evidence in electronic form is sought
    "serious_crime",  # UNTOC: min_penalty_years, transnational, organised group
    "convention_offences",  # offences established under the instrument itself
    "corruption",
    "computer_related",  # offences against or by means of computer systems
]


class Scope(Provenance):
    """What an instrument covers, with the article that says so."""

    summary: str = Field(min_length=3)
    article: str = Field(default="", description="article(s) that set the scope, e.g. Art. 2(b)")
    offences: ScopeOffences = "any"
    min_penalty_years: float | None = Field(default=None, ge=0)
    transnational: bool = False
    organised_group: bool = False
    between: str = ""


class Applies(Provenance):
    """The first day an instrument applies at all (a regulation's date of application, a
    treaty's provisional application), with where that date stands."""

    date: dt.date


class Emergency(Provenance):
    """An instrument's own provision for emergencies: a significant and imminent risk to
    the life or safety of a person, and the channel it opens."""

    summary: str = Field(min_length=3)
    article: str = Field(min_length=3, description="article(s) that provide for it")
    channel: Channel


InstrumentKind = Literal["multilateral", "bilateral", "regional", "reciprocity", "domestic_law"]
# Kinds that bind only the requested state: it executes requests without a treaty, or
# its law lets its service providers answer a foreign authority directly.
ONE_SIDED: frozenset[str] = frozenset({"reciprocity", "domestic_law"})


class Instrument(Ruled):
    name: str
    kind: InstrumentKind = Field(
        description="domestic_law: a law of the requested state that lets its service "
        "providers answer a foreign authority directly; like reciprocity, it binds only the "
        "requested state"
    )
    applies_from: Applies | None = Field(
        default=None, description="first day the instrument applies at all, with its source"
    )
    channels: list[Channel] = Field(default_factory=list)
    parties: list[Party] = Field(default_factory=list)
    parties_complete: bool = Field(
        default=False,
        description="the source's whole party list was read and entered; when false, a state "
        "missing from the list may still be a party",
    )
    parties_as_of: dt.date | None = Field(
        default=None, description="the status date of the party list entered"
    )
    scope: Scope | None = None
    reaches: list[MeasureKind] = Field(
        default_factory=list,
        description="the only measures an order or request under it can obtain; empty: any",
    )
    emergency: Emergency | None = None

    def party(self, state: str) -> Party | None:
        return next((p for p in self.parties if p.state == state), None)


class InstrumentCatalogue(Strict):
    sources: dict[str, Source] = Field(min_length=1)
    instruments: dict[str, Instrument] = Field(min_length=1)

    @model_validator(mode="after")
    def _citations_resolve(self) -> InstrumentCatalogue:
        for slug, inst in self.instruments.items():
            cites = [inst.cite] + [p.cite for p in inst.parties if p.cite]
            cites += [d.cite for p in inst.parties for d in p.declarations]
            cites += [inst.scope.cite] if inst.scope else []
            cites += [inst.emergency.cite] if inst.emergency else []
            cites += [inst.applies_from.cite] if inst.applies_from else []
            for cite in cites:
                if cite not in self.sources:
                    raise ValueError(f"instruments.{slug}: cite {cite!r} is not in [sources]")
            if inst.kind == "bilateral":
                if len(inst.parties) != 2:
                    raise ValueError(f"instruments.{slug}: a bilateral treaty has two parties")
                codes = sorted(p.state.lower() for p in inst.parties)
                if not slug.endswith(f"-{codes[0]}-{codes[1]}"):
                    raise ValueError(
                        f"instruments.{slug}: a bilateral slug ends with its parties, -<a>-<b>"
                    )
        return self


class TeamSharing(Ruled):
    """What a framework says of the information a joint investigation team's members
    obtain: that it may be used within the team, and on what terms."""

    article: str = Field(min_length=3, description="the paragraph, e.g. Art. 1(10)")
    summary: str = Field(min_length=3)


class JointTeamFramework(Ruled):
    """A legal framework under which states set up a joint investigation team by
    agreement, with the article that provides for it."""

    name: str = Field(min_length=3)
    article: str = Field(min_length=3, description="the article on joint teams")
    summary: str = Field(min_length=3)
    sharing: TeamSharing | None = None


class JointTeamFile(RuleFile):
    """The frameworks a case's joint investigation team may rest on (``joint_teams.toml``)."""

    frameworks: dict[str, JointTeamFramework] = Field(min_length=1)

    def rules(self) -> list[tuple[str, Ruled]]:
        found = super().rules()
        found += [
            (f"frameworks.{key}.sharing", f.sharing)
            for key, f in self.frameworks.items()
            if f.sharing is not None
        ]
        return found
