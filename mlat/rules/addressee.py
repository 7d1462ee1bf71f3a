"""Whom a request is addressed to: the authority the requested state's rule table names for
the channel (its 24/7 point of contact for a request through the 24/7 network, its central
authority otherwise), with the contact details the officer confirmed where the table has
none. The packet prints it and the engine checks it, so both read it here."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from mlat.request_format import Channel, RequestDocument
from mlat.rules.schema import StateTable

Role = Literal["central_authority", "contact_24_7"]


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
        elif not (self.address or self.email):
            gaps.append("address_or_email")
        return tuple(gaps)


def addressee(document: RequestDocument, table: StateTable | None) -> Addressee:
    """The receiving authority of the request, as the packet names it. Through the 24/7
    network it is the state's 24/7 point of contact: where the table names none, its
    details are the officer's to give (their own 24/7 point of contact has them), never
    the central authority's."""
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
    given = document.addressee
    confirmed = {
        name: value
        for name in ("name", "address", "email", "phone")
        if (value := getattr(given, name))
    }
    return replace(found, **confirmed)
