"""Typed schema of the rule tables kept as TOML files under ``rules/data``.

Every rule carries its provenance: ``cite`` names an entry of the file's
``[sources]`` table (title and URL) and ``verified_on`` is the date a person
checked the rule against that source. A rule with no ``verified_on`` is
unverified, and the application says so wherever the rule is used.
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


class Source(Strict):
    title: str = Field(min_length=3)
    url: HttpUrl


class Ruled(Strict):
    """A rule: some facts plus where they come from and when they were checked."""

    cite: str = Field(min_length=1, description="key of an entry in [sources]")
    verified_on: dt.date | None = Field(
        default=None, description="date the rule was checked against its source; none = unverified"
    )
    note: str = ""


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


class StateTable(Strict):
    state: str = Field(pattern=ISO_STATE)
    name: str
    region: Literal["Africa", "Americas", "Asia", "Europe", "Middle East", "Oceania"]
    legal_tradition: Literal["common_law", "civil_law", "mixed", "islamic_law"]
    sources: dict[str, Source] = Field(min_length=1)
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

    @model_validator(mode="after")
    def _citations_resolve(self) -> StateTable:
        for path, rule in self.rules():
            if rule.cite not in self.sources:
                raise ValueError(f"{path}: cite {rule.cite!r} is not in [sources]")
        return self

    def rules(self) -> list[tuple[str, Ruled]]:
        """Every rule in the table with its path, for provenance checks."""
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
    cite: str | None = Field(
        default=None, description="source for this party, if not the instrument's"
    )
    verified_on: dt.date | None = None
    note: str = ""

    def in_force_on(self, day: dt.date) -> bool:
        if self.in_force is not None:
            return self.in_force <= day
        return self.in_force_year is not None and self.in_force_year < day.year


ScopeOffences = Literal[
    "any",  # any criminal offence
    "any_with_electronic_evidence",  # any offence, where evidence in electronic form is sought
    "serious_crime",  # UNTOC: min_penalty_years, transnational, organised group
    "convention_offences",  # offences established under the instrument itself
    "corruption",
    "computer_related",  # offences against or by means of computer systems
]
QUOTE_WORDS = 30


class Scope(Strict):
    """What an instrument covers, with the article that says so."""

    summary: str = Field(min_length=3)
    article: str = Field(default="", description="article(s) that set the scope, e.g. Art. 2(b)")
    cite: str = Field(min_length=1, description="key of an entry in [sources]")
    locator: str = ""
    quote: str = Field(default="", description=f"at most {QUOTE_WORDS} words, copied exactly")
    verified_on: dt.date | None = None
    offences: ScopeOffences = "any"
    min_penalty_years: float | None = Field(default=None, ge=0)
    transnational: bool = False
    organised_group: bool = False
    between: str = ""
    note: str = ""

    @field_validator("quote")
    @classmethod
    def _short_quote(cls, value: str) -> str:
        if len(value.split()) > QUOTE_WORDS:
            raise ValueError(f"a quote has at most {QUOTE_WORDS} words")
        return value


class Instrument(Ruled):
    name: str
    kind: Literal["multilateral", "bilateral", "regional", "reciprocity"]
    applies_from: dt.date | None = Field(
        default=None, description="first day the instrument applies at all"
    )
    channels: list[Channel] = Field(default_factory=list)
    parties: list[Party] = Field(default_factory=list)
    scope: Scope | None = None


class InstrumentCatalogue(Strict):
    sources: dict[str, Source] = Field(min_length=1)
    instruments: dict[str, Instrument] = Field(min_length=1)

    @model_validator(mode="after")
    def _citations_resolve(self) -> InstrumentCatalogue:
        for slug, inst in self.instruments.items():
            cites = [inst.cite] + [p.cite for p in inst.parties if p.cite]
            cites += [inst.scope.cite] if inst.scope else []
            for cite in cites:
                if cite not in self.sources:
                    raise ValueError(f"instruments.{slug}: cite {cite!r} is not in [sources]")
            if inst.kind == "bilateral":
                if len(inst.parties) != 2:
                    raise ValueError(f"instruments.{slug}: a bilateral treaty has two parties")
                codes = sorted(p.state.lower() for p in inst.parties)
                if slug != f"mlat-{codes[0]}-{codes[1]}":
                    raise ValueError(f"instruments.{slug}: bilateral slug must be mlat-<a>-<b>")
        return self
