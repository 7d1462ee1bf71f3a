"""Which instruments link a requesting and a requested state on a given day."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from mlat.rules.provenance import Citation, citation
from mlat.rules.refs import catalogue_ref
from mlat.rules.schema import Instrument, InstrumentCatalogue, Party


@dataclass(frozen=True)
class Link:
    """Whether an instrument binds both states, and how sure the data is."""

    slug: str
    instrument: Instrument
    linked: bool
    reason: str  # N_-marked message when not linked
    reason_params: dict[str, str]
    verified: bool
    citation: Citation


def _party(instrument: Instrument, state: str) -> Party | None:
    return next((p for p in instrument.parties if p.state == state), None)


def _party_verified(inst: Instrument, party: Party) -> bool:
    """A party's entry is verified by its own date, or by the instrument's when it has no
    source of its own."""
    verified_on = party.verified_on or (inst.verified_on if party.cite is None else None)
    return verified_on is not None


def link(
    catalogue: InstrumentCatalogue, slug: str, requesting: str, requested: str, today: dt.date
) -> Link | None:
    """How the instrument ``slug`` stands between the two states; None for an unknown slug."""
    inst = catalogue.instruments.get(slug)
    if inst is None:
        return None
    cite = citation(catalogue.sources, inst.cite, inst.verified_on, today, ref=catalogue_ref(slug))

    def result(linked: bool, reason: str = "", verified: bool = True, **params: str) -> Link:
        return Link(slug, inst, linked, reason, params, verified, cite)

    if inst.applies_from and today < inst.applies_from:
        return result(
            False,
            "%(name)s applies only from %(date)s.",
            name=inst.name,
            date=inst.applies_from.isoformat(),
        )
    if inst.kind == "reciprocity":
        party = _party(inst, requested)
        if party is None:
            return result(
                False,
                "No source records that %(state)s executes requests on the basis of reciprocity.",
                state=requested,
            )
        return result(True, verified=_party_verified(inst, party))

    verified = True
    for state in (requesting, requested):
        party = _party(inst, state)
        if party is None:
            return result(
                False, "%(state)s is not a party to %(name)s.", state=state, name=inst.name
            )
        if not party.in_force_on(today):
            return result(
                False,
                "%(name)s is not in force for %(state)s (signed only, or not yet in force).",
                state=state,
                name=inst.name,
            )
        verified = verified and _party_verified(inst, party)
    return result(True, verified=verified)


def linking_instruments(
    catalogue: InstrumentCatalogue, requesting: str, requested: str, today: dt.date
) -> list[Link]:
    """Every instrument in force between the two states: bilateral treaties first."""
    order = {"bilateral": 0, "regional": 1, "multilateral": 2, "reciprocity": 3}
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
