"""Whom a request is addressed to: the authority the requested state's rule table names for
the channel (its 24/7 point of contact for a request through the 24/7 network, its central
authority otherwise), or, for a request sent straight to a service provider of the
directory, the provider's legal entity in the requested state and its law-enforcement
portal or address; with the contact details the officer confirmed where these have none.
The packet prints it and the engine checks it, so both read it here."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Literal

from mlat.request_format import Channel, RequestDocument
from mlat.rules.providers import Provider, provider_named
from mlat.rules.schema import StateTable

Role = Literal["central_authority", "contact_24_7", "provider"]


@dataclass(frozen=True)
class Addressee:
    role: Role
    state: str
    name: str = ""
    address: str = ""
    email: str = ""
    phone: str = ""
    url: str = ""
    timezone: str = ""
    office_hours: str = ""

    def missing(self) -> tuple[str, ...]:
        """What a packet cannot go out without: the authority's name, and a way to reach
        it: a postal address or an e-mail address, or for the 24/7 network (which works by
        phone and e-mail) a phone number or an e-mail address."""
        gaps: list[str] = []
        if not self.name:
            gaps.append("name")
        if self.role == "contact_24_7":
            if not (self.phone or self.email):
                gaps.append("phone_or_email")
        elif self.role == "provider":
            if not (self.url or self.email or self.address):
                gaps.append("portal_or_address")
        elif not (self.address or self.email):
            gaps.append("address_or_email")
        return tuple(gaps)


def entity_address(entity: str, address: str) -> str:
    """The part of a provider's address for legal process that belongs to one entity, where
    the directory gives one address per entity, separated by semicolons (``Meta Platforms
    Ireland Ltd., Merrion Road, ... (European-region users); Meta Platforms, Inc., ...``):
    the part naming the entity, without its leading label or trailing remark. The whole
    address when no one part names it."""
    parts = [part.strip() for part in address.split(";") if part.strip()]
    if len(parts) < 2:
        return address
    words = entity.split()
    for n in range(len(words), 1, -1):
        name = " ".join(words[:n]).rstrip(".,").casefold()
        named = [part for part in parts if name in part.casefold()]
        if len(named) == 1:
            part = named[0]
            label, colon, rest = part.partition(": ")
            if colon and name in rest.casefold() and not any(c.isdigit() for c in label):
                part = rest
            return re.sub(r"\s*\([^()]*\)$", "", part)
    return address


def _provider_addressee(
    document: RequestDocument, providers: Mapping[str, Provider]
) -> Addressee | None:
    """For a request sent straight to a provider of the directory: its legal entity in the
    requested state (else its first), reached through its law-enforcement portal, e-mail
    or address."""
    if document.channel != Channel.direct_provider:
        return None
    state = document.requested_state or ""
    for identifier in document.identifiers:
        provider = provider_named(identifier.provider, providers)
        if provider is None:
            continue
        entity = next((e for e in provider.entities if e.state == state), provider.entities[0])
        contact = provider.law_enforcement
        return Addressee(role="provider", state=state, name=entity.name,
                         address=entity_address(entity.name, contact.address),
                         email=contact.email, url=contact.portal)  # fmt: skip
    return None


def addressee(
    document: RequestDocument,
    table: StateTable | None,
    providers: Mapping[str, Provider] | None = None,
) -> Addressee:
    """The receiving authority of the request, as the packet names it. Through the 24/7
    network it is the state's 24/7 point of contact: where the table names none, its
    details are the officer's to give (their own 24/7 point of contact has them), never
    the central authority's. Straight to a provider of the directory, it is the provider."""
    given = document.addressee
    confirmed = {
        name: value
        for name in ("name", "address", "email", "phone")
        if (value := getattr(given, name))
    }
    to_provider = _provider_addressee(document, providers or {})
    if to_provider is not None:
        return replace(to_provider, **confirmed)
    state = document.requested_state or ""
    through_network = document.channel == Channel.network_24_7
    role: Role = "contact_24_7" if through_network else "central_authority"
    found = Addressee(role=role, state=state)
    authority = None
    if table is not None:
        authority = table.contact_24_7 if through_network else table.central_authority
    if authority is not None:
        found = Addressee(
            role=role,
            state=state,
            name=authority.name,
            address=authority.address,
            email=authority.email,
            phone=authority.phone,
            url=authority.url,
            timezone=authority.timezone,
            office_hours=authority.office_hours,
        )
    return replace(found, **confirmed)
