"""The one JSON representation of a request: import, export, validation and the API.

Documented in ``docs/request-format.md``; ``docs/request.schema.json`` is generated from
these models (``python -m mlat.request_format``) and a test keeps the two in step.

A draft may be incomplete, so most fields are optional here: whether a request is
complete enough for the requested state is the validation engine's job, which reports
what is missing as findings instead of refusing the document.
"""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator


# What a request asks for and how it travels; the rule tables (mlat.rules.schema) use them too.
class MeasureKind(StrEnum):
    preservation = "preservation"
    subscriber_info = "subscriber_info"
    traffic_data = "traffic_data"
    stored_content = "stored_content"
    realtime_traffic = "realtime_traffic"
    interception = "interception"
    search_seizure = "search_seizure"
    witness_statement = "witness_statement"
    video_hearing = "video_hearing"
    bank_records = "bank_records"
    service_of_documents = "service_of_documents"
    asset_freezing = "asset_freezing"


class Channel(StrEnum):
    central_authority = "central_authority"
    diplomatic = "diplomatic"
    interpol = "interpol"
    network_24_7 = "network_24_7"
    direct_provider = "direct_provider"
    online_portal = "online_portal"


# The limits of the format, which the wizard's forms apply too.
MAX_LINE = 500
MAX_TEXT = 20_000
MAX_PENALTY_YEARS = 100
MAX_OFFENCES = 50
MAX_RELATED = 50
MAX_PERSONS = 200
MAX_IDENTIFIERS = 500
MAX_MEASURES = 50
MAX_ANNEXES = 100

StateCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]
LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
# The range of a time of use an identifier can have: the internet's, not a typing slip.
EARLIEST_USE = dt.date(1970, 1, 1)
LATEST_USE = dt.date(2100, 12, 31)
Line = Annotated[str, StringConstraints(max_length=MAX_LINE)]

IdentifierKind = Literal[
    "ip", "email", "phone", "account", "domain", "url", "crypto_wallet", "device"
]
PersonRole = Literal["suspect", "victim", "witness", "other"]
ProceedingsType = Literal["investigation", "prosecution", "trial"]
AssuranceKind = Literal["death_penalty", "speciality", "data_protection", "life_imprisonment"]
AnnexKind = Literal["offence_text", "judicial_order", "translation", "evidence", "other"]


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


ResponseMeans = Literal["email", "post", "fax", "phone", "network_24_7"]


class Contact(Part):
    """A second person to reach when the first is away."""

    name: Line = ""
    phone: Line = ""
    email: Line = ""


class RequestingAuthority(Part):
    name: Line = ""
    office: Line = ""
    address: Line = ""
    contact_person: Line = ""
    phone: Line = ""
    mobile: Line = ""
    fax: Line = ""
    email: Line = ""
    preferred_response: ResponseMeans | None = Field(
        default=None, description="how the requesting authority prefers to be answered"
    )
    languages: list[LanguageCode] = Field(
        default_factory=list,
        description="languages the requesting authority can correspond in",
    )
    backup_contact: Contact = Field(default_factory=Contact)
    timezone: Line = Field(default="", description="IANA time zone name, e.g. Asia/Qatar")
    office_hours: Line = ""


class ValidatingAuthority(Part):
    """The judicial authority that validated the request, where the issuing authority is
    not a judge or prosecutor (EIO Annex A, section L)."""

    name: Line = Field(default="", description="the court or prosecutor's office")
    person: Line = Field(default="", description="name and position of the person who validated")
    address: Line = ""
    phone: Line = ""
    email: Line = ""


class InvestigatingAuthority(Part):
    """The investigative or operational authority in charge of the case, where it is not the
    requesting authority (item 7 of the T-CY(2018)10 and T-CY(2018)11 models)."""

    name: Line = Field(default="", description="the organisation, e.g. the police unit")
    person: Line = Field(default="", description="the person in charge of the case")
    address: Line = ""
    phone: Line = ""
    mobile: Line = ""
    email: Line = ""
    fax: Line = ""


class Addressee(Part):
    """The receiving authority's contact details as the officer confirmed them, for what the
    requested state's rule table does not give (or gives out of date): each field given here
    is printed in the packet instead of the table's."""

    name: Line = ""
    address: Line = ""
    email: Line = ""
    phone: Line = ""


class Proceedings(Part):
    type: ProceedingsType | None = None
    case_number: Line = ""
    authority: Line = Field(default="", description="court or prosecutor in charge")


class Offence(Part):
    name: Line = ""
    citation: Line = Field(
        default="", description="statutory provision, e.g. Law No. 14 of 2014, art. 2"
    )
    max_penalty_years: float | None = Field(default=None, ge=0, le=MAX_PENALTY_YEARS)
    death_penalty_possible: bool = False
    equivalent_offence: Line = Field(
        default="",
        description="the corresponding offence in the requested state, for dual criminality",
    )


class Person(Part):
    role: PersonRole = "other"
    name: Line = ""
    date_of_birth: dt.date | None = None
    nationality: StateCode | None = None
    address: Line = Field(default="", description="last known address")
    identity_documents: Line = Field(
        default="", description="identity card, passport or other numbers, with their kind"
    )


class Identifier(Part):
    kind: IdentifierKind
    value: Line = ""
    observed_at: dt.datetime | None = Field(
        default=None,
        description="ISO 8601 with offset, e.g. 2026-03-01T14:22:05+03:00; needed for IPs",
    )
    provider: Line = Field(default="", description="custodian or service provider holding data")
    provider_state: StateCode | None = Field(
        default=None, description="the state where that provider is established"
    )

    @field_validator("observed_at")
    @classmethod
    def _a_real_instant(cls, value: dt.datetime | None) -> dt.datetime | None:
        """A time of use that exists in UTC too (9999-12-31T23:59-05:00 does not)."""
        if value is None:
            return value
        try:
            instant = value.astimezone(dt.UTC) if value.utcoffset() is not None else value
        except OverflowError:
            raise ValueError("the time is out of range") from None
        if not EARLIEST_USE.year <= instant.year <= LATEST_USE.year:
            raise ValueError(f"give a time between {EARLIEST_USE.year} and {LATEST_USE.year}")
        return value


class Measure(Part):
    kind: MeasureKind
    identifiers: list[Annotated[int, Field(ge=0)]] = Field(
        default_factory=list, description="indexes into the request's identifiers"
    )
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    details: Text = ""


class Urgency(Part):
    urgent: bool = False
    danger_to_life: bool = Field(
        default=False,
        description="an emergency: a risk to the life or physical safety of a person",
    )
    reason: Text = ""
    deadline: dt.date | None = None


class Preservation(Part):
    requested: bool = False
    reference: Line = ""
    requested_on: dt.date | None = None
    expires_on: dt.date | None = None


class Confidentiality(Part):
    non_disclosure: bool = False
    reason: Text = ""


class Signatory(Part):
    name: Line = ""
    title: Line = ""


class Annex(Part):
    kind: AnnexKind = "other"
    title: Line = ""
    language: LanguageCode | None = None
    sha256: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")] | None = Field(
        default=None,
        description="SHA-256 of the uploaded file, so that approving the request covers it",
    )


class RequestDocument(Part):
    """A request for mutual legal assistance."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={"$id": "https://mlat.example/request.schema.json"},
    )

    format_version: Literal[1] = 1
    reference: Line = ""
    status: Literal["new", "follow_up", "extension"] = "new"
    requesting_state: StateCode | None = None
    requested_state: StateCode | None = None
    language: LanguageCode | None = Field(default=None, description="language of the request text")
    translations: list[LanguageCode] = Field(
        default_factory=list, description="languages the request has been translated into"
    )
    requesting_authority: RequestingAuthority = Field(default_factory=RequestingAuthority)
    legal_basis: Line = Field(default="", description="instrument id from the catalogue")
    channel: Channel | None = None
    document: Literal["preservation", "subscriber", "mla"] | None = Field(
        default=None,
        description="the document to produce: a request for expedited preservation (Convention "
        "on Cybercrime, Art. 29), a request for subscriber information (Art. 31, on the "
        "T-CY(2018)10 model) or a letter of request for mutual legal assistance; none: as the "
        "measures and the legal basis decide",
    )
    proceedings: Proceedings = Field(default_factory=Proceedings)
    offences: list[Offence] = Field(default_factory=list, max_length=MAX_OFFENCES)
    facts: Text = ""
    nexus: Text = ""
    related_requests: list[Line] = Field(default_factory=list, max_length=MAX_RELATED)
    persons: list[Person] = Field(default_factory=list, max_length=MAX_PERSONS)
    identifiers: list[Identifier] = Field(default_factory=list, max_length=MAX_IDENTIFIERS)
    measures: list[Measure] = Field(default_factory=list, max_length=MAX_MEASURES)
    urgency: Urgency = Field(default_factory=Urgency)
    preservation: Preservation = Field(default_factory=Preservation)
    confidentiality: Confidentiality = Field(default_factory=Confidentiality)
    assurances: list[AssuranceKind] = Field(default_factory=list)
    procedures: Text = Field(default="", description="formalities for admissibility")
    legal_remedies: Text = Field(
        default="",
        description="remedies sought or available against the measures in the requesting "
        "state (EIO Annex A, section J)",
    )
    investigating_authority: InvestigatingAuthority = Field(
        default_factory=InvestigatingAuthority,
        description="the investigative or operational authority in charge of the case, if not "
        "the requesting authority",
    )
    validating_authority: ValidatingAuthority = Field(default_factory=ValidatingAuthority)
    addressee: Addressee = Field(
        default_factory=Addressee,
        description="the receiving authority's contact details where the rule table has none",
    )
    annexes: list[Annex] = Field(default_factory=list, max_length=MAX_ANNEXES)
    signatory: Signatory = Field(default_factory=Signatory)


def json_schema() -> dict[str, object]:
    schema = RequestDocument.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


if __name__ == "__main__":  # regenerate docs/request.schema.json
    print(json_schema_text(), end="")
