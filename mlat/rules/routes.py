"""The route advisor: which ways to the evidence exist between two states, fastest first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from mlat.messages import N_
from mlat.request_format import Channel, MeasureKind
from mlat.rules.instruments import Link, link, linking_instruments
from mlat.rules.loader import RuleBook
from mlat.rules.provenance import Citation
from mlat.rules.schema import Authority, StateTable

STORED_DATA = {MeasureKind.subscriber_info, MeasureKind.traffic_data, MeasureKind.stored_content}


@dataclass(frozen=True)
class Route:
    kind: str  # preservation_24_7 | direct_provider | treaty | reciprocity
    legal_basis: str  # instrument slug
    legal_basis_name: str
    channel: Channel
    authority: str
    typical_days: int | None
    explanation: str  # N_-marked
    verified: bool
    citation: Citation


def _route(
    kind: str,
    lk: Link,
    channel: Channel,
    authority: Authority | None,
    typical_days: int | None,
    explanation: str,
) -> Route:
    return Route(
        kind=kind,
        legal_basis=lk.slug,
        legal_basis_name=lk.instrument.name,
        channel=channel,
        authority=authority.name if authority else "",
        typical_days=typical_days,
        explanation=explanation,
        verified=lk.verified,
        citation=lk.citation,
    )


def _reciprocity_channel(lk: Link, table: StateTable | None) -> Channel:
    """The diplomatic channel, unless the requested state takes requests without a
    treaty only through another channel the instrument allows (its central authority)."""
    accepted = {c.kind for c in table.channels} if table else set()
    usable = [c for c in lk.instrument.channels if c in accepted]
    return Channel.diplomatic if Channel.diplomatic in accepted or not usable else usable[0]


def advise_routes(
    book: RuleBook,
    requesting: str,
    requested: str,
    measures: Iterable[MeasureKind],
    urgent: bool,
    today: dt.date,
) -> list[Route]:
    """Available routes in the order to try them: preservation through the 24/7 network
    where data may be lost, direct disclosure by the provider where both states apply the
    Second Additional Protocol, treaty MLA, then reciprocity / letters rogatory."""
    table = book.state(requested)
    wanted = set(measures)
    typical = table.execution.typical_days if table else None
    central = table.central_authority if table else None
    routes: list[Route] = []

    budapest = link(book.instruments, "budapest", requesting, requested, today)
    data_at_risk = urgent or bool(wanted & STORED_DATA) or MeasureKind.preservation in wanted
    if budapest and budapest.linked and data_at_risk and table and table.contact_24_7:
        routes.append(
            _route(
                "preservation_24_7",
                budapest,
                Channel.network_24_7,
                table.contact_24_7,
                None,
                N_(
                    "Ask the 24/7 point of contact to preserve the data at once (Budapest "
                    "Convention, Article 29), then send the full request."
                ),
            )
        )
    protocol = link(book.instruments, "budapest-2ap", requesting, requested, today)
    if protocol and protocol.linked and MeasureKind.subscriber_info in wanted:
        routes.append(
            _route(
                "direct_provider",
                protocol,
                Channel.direct_provider,
                None,
                None,
                N_(
                    "Ask the service provider directly for subscriber information (Second "
                    "Additional Protocol, Article 7)."
                ),
            )
        )
    for lk in linking_instruments(book.instruments, requesting, requested, today):
        if lk.instrument.kind == "reciprocity" or lk.slug == "budapest-2ap":
            continue
        if lk.instrument.channels and Channel.central_authority not in lk.instrument.channels:
            if Channel.direct_provider in lk.instrument.channels:
                routes.append(
                    _route(
                        "direct_provider",
                        lk,
                        Channel.direct_provider,
                        None,
                        None,
                        N_("Send an order straight to the service provider under this instrument."),
                    )
                )
            continue
        routes.append(
            _route(
                "treaty",
                lk,
                Channel.central_authority,
                central,
                typical,
                N_(
                    "Send a request for mutual legal assistance to the central authority "
                    "under this instrument."
                ),
            )
        )
    reciprocity = link(book.instruments, "reciprocity", requesting, requested, today)
    if reciprocity and reciprocity.linked:
        routes.append(
            _route(
                "reciprocity",
                reciprocity,
                _reciprocity_channel(reciprocity, table),
                central,
                typical,
                N_(
                    "Without a treaty: a letter rogatory on the basis of reciprocity, usually "
                    "through the diplomatic channel. Expect it to take longer."
                ),
            )
        )
    return routes
