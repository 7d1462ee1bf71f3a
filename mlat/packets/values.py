"""A packet as plain values: strings, numbers, dates, bytes and tuples of them.

The templates see only these, never a database row or a rule-table model, so rendering
is a pure function of what is here. ``mlat.packets.build`` makes them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestingAuthority:
    name: str
    office: str
    address: str
    contact_person: str
    phone: str
    email: str
    timezone: str
    office_hours: str
    state: str
    mobile: str = ""
    fax: str = ""
    preferred_response: str = ""
    languages: tuple[str, ...] = ()
    backup_name: str = ""
    backup_phone: str = ""
    backup_email: str = ""


@dataclass(frozen=True)
class ValidatingAuthority:
    name: str = ""
    person: str = ""
    address: str = ""
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class InvestigatingAuthority:
    name: str = ""
    person: str = ""
    address: str = ""
    phone: str = ""
    mobile: str = ""
    email: str = ""
    fax: str = ""


@dataclass(frozen=True)
class ReceivingAuthority:
    """Who receives the request: its 24/7 point of contact for a request through the 24/7
    network, its central authority otherwise, as the requested state's rule table gives it
    and the officer confirmed it (``mlat.rules.addressee``)."""

    state: str
    name: str
    address: str
    email: str
    phone: str
    url: str
    timezone: str
    office_hours: str
    role: str = "central_authority"  # or "contact_24_7"


@dataclass(frozen=True)
class Proceedings:
    type: str
    case_number: str
    authority: str


@dataclass(frozen=True)
class Offence:
    name: str
    citation: str
    max_penalty_years: float | None
    death_penalty_possible: bool
    equivalent_offence: str


@dataclass(frozen=True)
class Person:
    role: str
    name: str
    date_of_birth: dt.date | None
    nationality: str
    address: str = ""
    identity_documents: str = ""


@dataclass(frozen=True)
class Identifier:
    number: int
    kind: str
    value: str
    observed_at: dt.datetime | None
    provider: str
    provider_state: str = ""


@dataclass(frozen=True)
class Measure:
    kind: str
    identifiers: tuple[int, ...]
    date_from: dt.date | None
    date_to: dt.date | None
    details: str


@dataclass(frozen=True)
class Urgency:
    urgent: bool
    reason: str
    deadline: dt.date | None
    danger_to_life: bool = False


@dataclass(frozen=True)
class Preservation:
    requested: bool
    reference: str
    requested_on: dt.date | None
    expires_on: dt.date | None


@dataclass(frozen=True)
class Confidentiality:
    non_disclosure: bool
    reason: str


@dataclass(frozen=True)
class Assurance:
    kind: str
    text: str  # the wording of the requested state's rule table; empty when it has none


@dataclass(frozen=True)
class AnnexFile:
    filename: str
    media_type: str
    data: bytes
    uploaded_at: dt.datetime


@dataclass(frozen=True)
class Annex:
    number: int
    kind: str
    title: str
    language: str
    file: AnnexFile | None

    @property
    def is_pdf(self) -> bool:
        return self.file is not None and self.file.media_type == "application/pdf"


@dataclass(frozen=True)
class Signature:
    name: str
    title: str
    signed_on: dt.date | None
    demo: bool = False  # signed with a demonstration certificate


@dataclass(frozen=True)
class Citation:
    title: str
    url: str
    verified_on: dt.date | None
    status: str  # verified, secondary, stale or unverified
    locator: str = ""


@dataclass(frozen=True)
class Instruction:
    """One of a provider's requirements, in its own words, for the internal copy's handling
    instructions: ``topic`` is one of identifiers, languages, preservation, notification,
    emergency."""

    topic: str
    text: str
    citation: Citation
    days: int | None = None  # the preservation period, for the topic preservation


@dataclass(frozen=True)
class Finding:
    severity: str
    field: str
    message: str
    citation: Citation | None


@dataclass(frozen=True)
class PacketValues:
    reference: str
    subject: str
    label_language: str  # the language of the fixed labels and headings
    text_language: str  # the language the free text was written in ("" when not given)
    accepted_languages: tuple[str, ...]
    needs_translation: bool
    draft: bool
    issued_on: dt.date
    issued_at: dt.datetime
    paper_size: str  # "A4" or "letter"
    request_status: str  # new, follow_up or extension
    related_requests: tuple[str, ...]
    requesting: RequestingAuthority
    receiving: ReceivingAuthority
    channel: str
    legal_basis: str
    document: str  # "mla"; "preservation" (Budapest Art. 29); "subscriber" (Budapest Art. 31)
    proceedings: Proceedings
    offences: tuple[Offence, ...]
    facts: str
    nexus: str
    persons: tuple[Person, ...]
    identifiers: tuple[Identifier, ...]
    measures: tuple[Measure, ...]
    procedures: str
    urgency: Urgency
    preservation: Preservation
    confidentiality: Confidentiality
    assurances: tuple[Assurance, ...]
    annexes: tuple[Annex, ...]
    signature: Signature
    findings: tuple[Finding, ...]
    checked_on: dt.date
    legal_remedies: str = ""
    validating: ValidatingAuthority = ValidatingAuthority()
    investigating: InvestigatingAuthority = InvestigatingAuthority()
    handling_provider: str = ""  # the provider a request sent straight to it goes to
    handling: tuple[Instruction, ...] = ()  # its requirements, for the internal copy

    @property
    def translation_annexes(self) -> tuple[Annex, ...]:
        return tuple(a for a in self.annexes if a.kind == "translation" and a.file is not None)
