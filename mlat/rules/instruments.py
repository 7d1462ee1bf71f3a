"""Which instruments link a requesting and a requested state on a given day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from mlat.messages import N_
from mlat.request_format import Channel
from mlat.rules.provenance import Citation, citation
from mlat.rules.refs import catalogue_ref
from mlat.rules.schema import ONE_SIDED, Instrument, InstrumentCatalogue, Party
from mlat.rules.words import Words

NOT_LISTED = N_(
    "%(state)s was not found among the parties to %(name)s in the catalogue; the catalogue's "
    "list may be incomplete, so confirm with the depositary's chart."
)


@dataclass(frozen=True)
class Link:
    """Whether an instrument binds both states, and how sure the data is.

    ``linked`` is false both when the catalogue shows that it does not (``reason``) and
    when a state is missing from a party list the catalogue does not hold whole
    (``uncertain``): the first is a fact, the second a gap in the catalogue."""

    slug: str
    instrument: Instrument
    linked: bool
    reason: str  # N_-marked message when not linked
    reason_params: dict[str, object]
    verified: bool
    citation: Citation
    uncertain: bool = False
    parties: tuple[Citation, ...] = field(default=())


def opens_directly(instrument: Instrument, channel: Channel) -> bool:
    """Whether the instrument itself lets an authority of one party send its order straight
    to a service provider in the other (the e-Evidence Regulation, a CLOUD Act agreement,
    Article 7 of the Second Additional Protocol to the Budapest Convention): no authority
    of the requested state receives the order, so its table's channels do not decide."""
    return channel == Channel.direct_provider and Channel.direct_provider in instrument.channels


def party_citation(
    catalogue: InstrumentCatalogue, slug: str, party: Party, today: dt.date
) -> Citation:
    """Where the party's entry comes from: its own source, or the instrument's."""
    cite = party.cite or catalogue.instruments[slug].cite
    return citation(catalogue.sources, cite, party, today, ref=catalogue_ref(slug, party.state))


def link(
    catalogue: InstrumentCatalogue, slug: str, requesting: str, requested: str, today: dt.date
) -> Link | None:
    """How the instrument ``slug`` stands between the two states; None for an unknown slug."""
    inst = catalogue.instruments.get(slug)
    if inst is None:
        return None
    cite = citation(catalogue.sources, inst.cite, inst, today, ref=catalogue_ref(slug))

    def result(
        linked: bool,
        reason: str = "",
        parties: tuple[Citation, ...] = (),
        uncertain: bool = False,
        **params: object,
    ) -> Link:
        verified = bool(parties) and all(c.status == "verified" for c in parties)
        return Link(slug, inst, linked, reason, params, verified, cite, uncertain, parties)

    if inst.applies_from and today < inst.applies_from.date:
        return result(
            False,
            N_("%(name)s applies only from %(date)s."),
            name=inst.name,
            date=inst.applies_from.date.isoformat(),
        )
    if inst.kind in ONE_SIDED:
        party = inst.party(requested)
        if party is None and inst.kind == "reciprocity":
            return result(
                False,
                N_(
                    "No source records that %(state)s executes requests on the basis of "
                    "reciprocity."
                ),
                state=Words("state", (requested,)),
            )
        if party is None:
            return result(
                False,
                N_("%(name)s is a law of another state; it does not apply to %(state)s."),
                name=inst.name,
                state=Words("state", (requested,)),
            )
        return result(True, parties=(party_citation(catalogue, slug, party, today),))

    found: list[Citation] = []
    sides = {p.side for state in (requesting, requested) if (p := inst.party(state))}
    if len(sides) == 1 and "" not in sides and requesting != requested:
        return result(
            False,
            N_("%(name)s joins two sides; %(a)s and %(b)s are on the same side."),
            name=inst.name,
            a=Words("state", (requesting,)),
            b=Words("state", (requested,)),
        )
    for state in (requesting, requested):
        party = inst.party(state)
        if party is None and not inst.parties_complete:
            return result(
                False, NOT_LISTED, uncertain=True, state=Words("state", (state,)), name=inst.name
            )
        if party is None:
            return result(
                False,
                N_("%(state)s is not a party to %(name)s."),
                state=Words("state", (state,)),
                name=inst.name,
            )
        if not party.in_force_on(today):
            return result(
                False,
                N_("%(name)s is not in force for %(state)s (signed only, or not yet in force)."),
                state=Words("state", (state,)),
                name=inst.name,
            )
        found.append(party_citation(catalogue, slug, party, today))
    return result(True, parties=tuple(found))


def linking_instruments(
    catalogue: InstrumentCatalogue, requesting: str, requested: str, today: dt.date
) -> list[Link]:
    """Every instrument in force between the two states: bilateral treaties first."""
    order = {"bilateral": 0, "regional": 1, "multilateral": 2, "reciprocity": 3, "domestic_law": 4}
    links = [link(catalogue, slug, requesting, requested, today) for slug in catalogue.instruments]
    found = [lk for lk in links if lk is not None and lk.linked]
    return sorted(found, key=lambda lk: (order[lk.instrument.kind], lk.slug))


@dataclass(frozen=True)
class BasisChoices:
    """The legal bases to offer for a request: those that link the two states on the day,
    and the others, each with the reason it does not."""

    linking: list[Link]
    others: list[Link]


def basis_choices(
    catalogue: InstrumentCatalogue, requesting: str, requested: str, today: dt.date
) -> BasisChoices:
    linking = linking_instruments(catalogue, requesting, requested, today)
    offered = {lk.slug for lk in linking}
    others = [link(catalogue, slug, requesting, requested, today) for slug in catalogue.instruments]
    return BasisChoices(linking, [lk for lk in others if lk is not None and lk.slug not in offered])
