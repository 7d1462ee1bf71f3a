"""The citations the pages show beside rules: each a rule's source, place, words and
status (``mlat.rules.provenance``) with its address for reports (``mlat.rules.refs``)."""

from __future__ import annotations

import datetime as dt

from mlat.rules.instruments import party_citation
from mlat.rules.provenance import Citation, citation
from mlat.rules.providers import Provider
from mlat.rules.refs import catalogue_ref, path_of, provider_ref, state_ref
from mlat.rules.schema import Declaration, InstrumentCatalogue, Ruled, StateTable


def rule_citation(table: StateTable, rule: Ruled, today: dt.date) -> Citation:
    """The citation of one rule of a state's table."""
    ref = state_ref(table, path_of(table, rule))
    return citation(table.sources, rule.cite, rule, today, ref=ref)


def table_citations(table: StateTable, today: dt.date) -> dict[str, Citation]:
    """Every rule's citation, keyed by its path in the table (e.g. ``measures.traffic_data``)."""
    return {
        path: citation(table.sources, rule.cite, rule, today, ref=state_ref(table, path))
        for path, rule in table.rules()
    }


def scope_citations(catalogue: InstrumentCatalogue, today: dt.date) -> dict[str, Citation]:
    """The citation of each instrument's scope, keyed by the instrument's slug."""
    return {
        slug: citation(
            catalogue.sources, inst.scope.cite, inst.scope, today, ref=catalogue_ref(slug)
        )
        for slug, inst in catalogue.instruments.items()
        if inst.scope
    }


def applies_citations(catalogue: InstrumentCatalogue, today: dt.date) -> dict[str, Citation]:
    """The citation of each instrument's date of application, keyed by the instrument's slug."""
    return {
        slug: citation(
            catalogue.sources,
            inst.applies_from.cite,
            inst.applies_from,
            today,
            ref=catalogue_ref(slug),
        )
        for slug, inst in catalogue.instruments.items()
        if inst.applies_from
    }


def party_citations(
    catalogue: InstrumentCatalogue, state: str, today: dt.date
) -> tuple[dict[str, Citation], dict[str, list[Citation]]]:
    """The citation of the state's entry in each instrument, and of its declarations,
    keyed by the instrument's slug."""
    parties: dict[str, Citation] = {}
    declarations: dict[str, list[Citation]] = {}
    for slug, inst in catalogue.instruments.items():
        party = inst.party(state)
        if party is None:
            continue
        parties[slug] = party_citation(catalogue, slug, party, today)
        declarations[slug] = [c for _d, c in declaration_citations(catalogue, slug, state, today)]
    return parties, declarations


def declaration_citations(
    catalogue: InstrumentCatalogue, slug: str, state: str, today: dt.date
) -> list[tuple[Declaration, Citation]]:
    """The state's declarations under the instrument ``slug``, each with its citation."""
    party = catalogue.instruments[slug].party(state)
    if party is None:
        return []
    ref = catalogue_ref(slug, state)
    return [(d, citation(catalogue.sources, d.cite, d, today, ref=ref)) for d in party.declarations]


def provider_citations(provider: Provider, today: dt.date) -> dict[str, Citation]:
    """Every fact's citation in a provider's file, keyed by its path (e.g. ``preservation``,
    ``retention[0]``)."""
    return {
        path: citation(
            provider.sources, rule.cite, rule, today, ref=provider_ref(provider.slug, path)
        )
        for path, rule in provider.rules()
    }
