"""Build a packet's plain values from a request, its rule table and its uploaded annexes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from mlat import request_format as rf
from mlat.dates import local_date
from mlat.packets import values as v
from mlat.packets.labels import label_language
from mlat.request_format import RequestDocument
from mlat.rules.addressee import addressee
from mlat.rules.citations import provider_citations
from mlat.rules.documents import document_kind
from mlat.rules.findings import Finding
from mlat.rules.loader import RuleBook
from mlat.rules.providers import Provider, provider_named
from mlat.rules.schema import StateTable

# Workflow states in which the packet is final: no DRAFT watermark.
FINAL_STATES = frozenset(
    {"approved", "signed", "transmitted", "acknowledged", "partially_executed", "executed"}
)
# States a request reaches from anywhere: final only if it was approved on the way.
TERMINAL_STATES = frozenset({"refused", "withdrawn", "closed"})


@dataclass(frozen=True)
class Issuer:
    """The requesting unit."""

    name: str
    state: str
    timezone: str


@dataclass(frozen=True)
class Record:
    """What the database knows about a request beyond its content."""

    reference: str
    subject: str
    status: str
    approved_at: dt.datetime | None
    signed_at: dt.datetime | None
    signer: str = ""  # the name on the account that signed; empty before signing
    demo_signature: bool = False  # the signer's certificate is a demonstration one


@dataclass(frozen=True)
class AnnexInput:
    """An annex as the request lists it, with its uploaded file when there is one."""

    kind: str
    title: str
    language: str
    file: v.AnnexFile | None = None


def is_draft(record: Record) -> bool:
    if record.status in FINAL_STATES:
        return False
    if record.status in TERMINAL_STATES:
        return record.approved_at is None and record.signed_at is None
    return True


def packet_values(
    document: RequestDocument,
    *,
    record: Record,
    issuer: Issuer,
    book: RuleBook,
    annexes: Sequence[AnnexInput] | None = None,
    findings: Sequence[Finding] = (),
    now: dt.datetime,
) -> v.PacketValues:
    """The packet of a request. ``annexes`` are the request's annexes matched with their
    uploaded files (the content's descriptions alone when None); ``findings`` are given
    for the internal copy only."""
    table = book.state(record_state(document))
    accepted = tuple(table.languages.accepted) if table else ()
    issued_at = record.signed_at or now
    text_language = document.language or ""
    return v.PacketValues(
        reference=record.reference,
        subject=record.subject,
        label_language=label_language(accepted),
        text_language=text_language,
        accepted_languages=accepted,
        needs_translation=bool(text_language and accepted and text_language not in accepted),
        draft=is_draft(record),
        issued_on=local_date(issued_at, issuer.timezone),
        issued_at=issued_at,
        paper_size=table.formalities.paper_size if table else "A4",
        request_status=document.status,
        related_requests=tuple(document.related_requests),
        requesting=requesting_authority(document, issuer),
        receiving=receiving_authority(document, table, book.providers),
        channel=document.channel.value if document.channel else "",
        legal_basis=legal_basis(document.legal_basis, book),
        document=document_kind(document),
        proceedings=v.Proceedings(
            type=document.proceedings.type or "",
            case_number=document.proceedings.case_number,
            authority=document.proceedings.authority,
        ),
        offences=tuple(offence(o) for o in document.offences),
        facts=document.facts,
        nexus=document.nexus,
        persons=tuple(person(p) for p in document.persons),
        identifiers=identifiers(document),
        measures=tuple(measure(m) for m in document.measures),
        procedures=document.procedures,
        urgency=v.Urgency(
            urgent=document.urgency.urgent,
            reason=document.urgency.reason,
            deadline=document.urgency.deadline,
            danger_to_life=document.urgency.danger_to_life,
        ),
        preservation=v.Preservation(
            requested=document.preservation.requested,
            reference=document.preservation.reference,
            requested_on=document.preservation.requested_on,
            expires_on=document.preservation.expires_on,
        ),
        confidentiality=v.Confidentiality(
            non_disclosure=document.confidentiality.non_disclosure,
            reason=document.confidentiality.reason,
        ),
        assurances=assurances(document, table),
        annexes=numbered(described(document) if annexes is None else annexes),
        signature=signature(document, record, issuer),
        findings=tuple(finding(f) for f in findings),
        checked_on=local_date(now, issuer.timezone),
        legal_remedies=document.legal_remedies,
        validating=v.ValidatingAuthority(**document.validating_authority.model_dump()),
        investigating=v.InvestigatingAuthority(**document.investigating_authority.model_dump()),
        **handling(document, book, local_date(now, issuer.timezone)),
    )


def handling(document: RequestDocument, book: RuleBook, today: dt.date) -> dict[str, Any]:
    """For a request sent straight to a provider of the directory, the provider's own
    requirements with their sources: the handling instructions of the internal copy."""
    if document.channel != rf.Channel.direct_provider:
        return {}
    provider = next(
        (p for i in document.identifiers if (p := provider_named(i.provider, book.providers))),
        None,
    )
    if provider is None:
        return {}
    cites = provider_citations(provider, today)
    found: list[v.Instruction] = []

    def add(topic: str, text: str, path: str, days: int | None = None) -> None:
        if text or days:
            c = cites[path]
            cited = v.Citation(c.title, c.url, c.verified_on, c.status, c.locator)
            found.append(v.Instruction(topic, text, cited, days))

    for i, searchable in enumerate(provider.identifiers):
        add("identifiers", searchable.format, f"identifiers[{i}]")
    if provider.languages and provider.languages.accepted:
        add("languages", ", ".join(provider.languages.accepted), "languages")
    kept = provider.preservation
    add("preservation", kept.how_to_extend, "preservation", kept.days)
    if provider.notification:
        add("notification", provider.notification.how_to_delay, "notification")
    add("emergency", provider.emergency.criteria, "emergency")
    return {"handling_provider": provider.name, "handling": tuple(found)}


def signature(document: RequestDocument, record: Record, issuer: Issuer) -> v.Signature:
    """Who signs: the signatory the officer named until the request is signed; then the
    prosecutor whose account signed, with the position typed in the request only if it
    was typed for that same person, so that typed text never poses as the signer."""
    typed = document.signatory
    signed_on = local_date(record.signed_at, issuer.timezone) if record.signed_at else None
    if not record.signer:
        return v.Signature(name=typed.name, title=typed.title, signed_on=signed_on)
    same = typed.name.casefold().split() == record.signer.casefold().split()
    return v.Signature(name=record.signer, title=typed.title if same else "", signed_on=signed_on,
                       demo=record.demo_signature)  # fmt: skip


def record_state(document: RequestDocument) -> str:
    return document.requested_state or ""


def requesting_authority(document: RequestDocument, issuer: Issuer) -> v.RequestingAuthority:
    authority = document.requesting_authority
    return v.RequestingAuthority(
        name=authority.name or issuer.name,
        office=authority.office,
        address=authority.address,
        contact_person=authority.contact_person,
        phone=authority.phone,
        email=authority.email,
        timezone=authority.timezone or issuer.timezone,
        office_hours=authority.office_hours,
        state=document.requesting_state or issuer.state,
        mobile=authority.mobile,
        fax=authority.fax,
        preferred_response=authority.preferred_response or "",
        languages=tuple(authority.languages),
        backup_name=authority.backup_contact.name,
        backup_phone=authority.backup_contact.phone,
        backup_email=authority.backup_contact.email,
    )


def receiving_authority(
    document: RequestDocument, table: StateTable | None, providers: Mapping[str, Provider]
) -> v.ReceivingAuthority:
    """Who receives the request (``mlat.rules.addressee``)."""
    return v.ReceivingAuthority(**asdict(addressee(document, table, providers)))


def legal_basis(slug: str, book: RuleBook) -> str:
    instrument = book.instruments.instruments.get(slug)
    return instrument.name if instrument else slug


def offence(o: rf.Offence) -> v.Offence:
    return v.Offence(
        name=o.name,
        citation=o.citation,
        max_penalty_years=o.max_penalty_years,
        death_penalty_possible=o.death_penalty_possible,
        equivalent_offence=o.equivalent_offence,
    )


def person(p: rf.Person) -> v.Person:
    return v.Person(
        role=p.role,
        name=p.name,
        date_of_birth=p.date_of_birth,
        nationality=p.nationality or "",
        address=p.address,
        identity_documents=p.identity_documents,
    )


def identifiers(document: RequestDocument) -> tuple[v.Identifier, ...]:
    return tuple(
        v.Identifier(
            number=index,
            kind=i.kind,
            value=i.value,
            observed_at=i.observed_at,
            provider=i.provider,
            provider_state=i.provider_state or "",
        )
        for index, i in enumerate(document.identifiers, start=1)
    )


def measure(m: rf.Measure) -> v.Measure:
    return v.Measure(
        kind=m.kind.value,
        identifiers=tuple(index + 1 for index in m.identifiers),
        date_from=m.date_from,
        date_to=m.date_to,
        details=m.details,
    )


def assurances(document: RequestDocument, table: StateTable | None) -> tuple[v.Assurance, ...]:
    wording = {a.kind: a.text for a in table.assurances} if table else {}
    return tuple(v.Assurance(kind=kind, text=wording.get(kind, "")) for kind in document.assurances)


def described(document: RequestDocument) -> list[AnnexInput]:
    return [AnnexInput(a.kind, a.title, a.language or "") for a in document.annexes]


def numbered(annexes: Sequence[AnnexInput]) -> tuple[v.Annex, ...]:
    return tuple(
        v.Annex(number=n, kind=a.kind, title=a.title, language=a.language, file=a.file)
        for n, a in enumerate(annexes, start=1)
    )


def finding(f: Finding) -> v.Finding:
    cited = f.citation
    return v.Finding(
        severity=f.severity,
        field=f.field,
        message=f.message,
        citation=v.Citation(cited.title, cited.url, cited.verified_on, cited.status, cited.locator)
        if cited
        else None,
    )
