"""The route advisor: the ways to the evidence that fit the case, in the order to try
them, each saying why it is where it is; and the instruments in force between the two
states that do not fit the case, each with the reason.

The order, from the case itself:

0. in an emergency (a risk to a person's life or physical safety), the emergency
   procedure of an instrument binding both states (Art. 10 of the Second Additional
   Protocol to the Budapest Convention);
1. preservation through the 24/7 network (Budapest Art. 29 and 35), first whenever
   stored data may be lost before the full request is executed;
2. orders straight to a service provider: European Production and Preservation Orders
   between member states bound by Regulation (EU) 2023/1543, orders under a CLOUD Act
   agreement, and subscriber information under Art. 7 of the Second Additional Protocol;
   then requests a provider may answer of its own accord under its state's law (US
   providers' voluntary disclosure of non-content records). Only for the electronic data
   these instruments reach, and only where the providers named in the request are
   established in the requested state;
3. requests for mutual legal assistance under each instrument whose scope covers the
   case: the EIO and bilateral treaties before regional and then worldwide conventions,
   and an instrument whose coverage the request does not show (UNTOC without an
   organised group or without penalties) after those whose coverage it does;
4. reciprocity;
5. instruments for another kind of offence than the case's as worded (a corruption
   convention for a fraud), which would likely be refused.

Every route is one the engine's legal-basis, channel and language checks accept when it
is applied to the request (``tests/test_catalogue_invariants.py``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from mlat.messages import N_
from mlat.request_format import Channel, MeasureKind, RequestDocument
from mlat.rules.citations import declaration_citations, provider_citations, rule_citation
from mlat.rules.fit import CaseFacts, Fit, read_scope
from mlat.rules.instruments import Link, link, linking_instruments
from mlat.rules.loader import RuleBook
from mlat.rules.provenance import Citation, citation
from mlat.rules.providers import Entity, Provider, provider_named
from mlat.rules.refs import catalogue_ref
from mlat.rules.schema import Authority, StateTable
from mlat.rules.schema import Urgency as UrgencyRule
from mlat.rules.words import Phrase, Words

STORED_DATA = frozenset(
    {MeasureKind.subscriber_info, MeasureKind.traffic_data, MeasureKind.stored_content}
)
# What an order straight to a service provider can obtain: data a provider holds.
PROVIDER_DATA = STORED_DATA | {
    MeasureKind.preservation,
    MeasureKind.realtime_traffic,
    MeasureKind.interception,
}
# Regulation (EU) 2023/1543 orders: production (Art. 5) and preservation (Art. 6) of
# subscriber, traffic and content data.
PRODUCTION_ORDER_DATA = STORED_DATA | {MeasureKind.preservation}
PRODUCTION_ORDERS = "e-evidence"
PROTOCOL = "budapest-2ap"


class RouteKind(StrEnum):
    emergency = "emergency"
    preservation_24_7 = "preservation_24_7"
    production_order = "production_order"
    direct_provider = "direct_provider"
    voluntary_disclosure = "voluntary_disclosure"
    eio = "eio"
    treaty = "treaty"
    reciprocity = "reciprocity"


@dataclass(frozen=True)
class Case:
    """What the advisor weighs: the two states, the measures, urgency and emergency, the
    offences, and where the providers holding the data are established."""

    requesting: str
    requested: str
    measures: frozenset[MeasureKind] = frozenset()
    urgent: bool = False
    max_penalty_years: float | None = None
    offence_text: str = ""
    facts: str = ""
    organised_group: bool = False
    emergency: bool = False  # a risk to a person's life or physical safety
    provider_states: frozenset[str] = frozenset()  # empty: not known
    providers: frozenset[str] = frozenset()  # the directory's providers holding the data

    @classmethod
    def of(cls, doc: RequestDocument, requesting: str) -> Case:
        penalties = [o.max_penalty_years for o in doc.offences]
        known = [p for p in penalties if p is not None]
        return cls(
            requesting=requesting,
            requested=doc.requested_state or "",
            measures=frozenset(m.kind for m in doc.measures),
            urgent=doc.urgency.urgent,
            max_penalty_years=max(known) if known and len(known) == len(penalties) else None,
            offence_text=" ".join(
                f"{o.name} {o.citation} {o.equivalent_offence}" for o in doc.offences
            ),
            facts=doc.facts,
            emergency=doc.urgency.urgent and doc.urgency.danger_to_life,
            provider_states=frozenset(
                i.provider_state for i in doc.identifiers if i.provider_state
            ),
            providers=frozenset(i.provider for i in doc.identifiers if i.provider.strip()),
        )

    @property
    def facts_for_scope(self) -> CaseFacts:
        return CaseFacts(
            self.measures,
            self.max_penalty_years,
            self.offence_text,
            self.facts,
            self.organised_group,
        )

    @property
    def providers_elsewhere(self) -> frozenset[str]:
        """The states the providers are established in, when none is the requested state:
        an order or a request to a provider in the requested state would not reach them."""
        if self.provider_states and self.requested not in self.provider_states:
            return self.provider_states
        return frozenset()

    @property
    def data_at_risk(self) -> bool:
        """Whether stored data may be lost before the full request is executed."""
        return bool(self.measures & STORED_DATA) or MeasureKind.preservation in self.measures


@dataclass(frozen=True)
class Route:
    kind: RouteKind
    legal_basis: str  # instrument id
    legal_basis_name: str
    article: str  # where in the instrument, e.g. "Art. 29, Art. 35"
    channel: Channel
    authority: Authority | None  # who receives it, with contact data, when known
    typical_days: int | None
    typical_citation: Citation | None
    explanation: str  # N_: what to send, to whom
    why: str  # N_: why the route is here, and ranked where it is
    why_params: Mapping[str, object]
    contents: tuple[str, ...]  # N_: what the request must contain for this route
    languages: tuple[str, ...]  # ISO 639-1 codes the requested state accepts
    verified: bool
    citation: Citation
    to_confirm: bool = False  # the request does not show that the scope covers the case
    # the 24/7 points of contact the requested state declared under the instrument, each with
    # its source, where its rule table names none
    declared_contacts: tuple[tuple[str, Citation], ...] = ()


@dataclass(frozen=True)
class NotAvailable:
    """An instrument in force between the two states that does not serve this case."""

    legal_basis: str
    name: str
    reason: str  # N_-marked, with %(name)s and the params
    params: Mapping[str, object] = field(default_factory=dict)
    emergency: bool = False  # an emergency procedure that does not bind both states


@dataclass(frozen=True)
class EmergencyPractice:
    """What the requested state's rule table says it does in an emergency: what it treats
    as one, the channel, the time it aims for, with the rule's source."""

    state: str  # the state's name
    rule: UrgencyRule
    citation: Citation


@dataclass(frozen=True)
class ProviderAdvice:
    """What the provider directory says of a provider holding the case's data: whether it
    gives the requesting state's authorities the data asked for without mutual legal
    assistance, its emergency disclosure in an emergency, and the entities a formal request
    for its data concerns, with the state whose law governs each."""

    provider: Provider
    direct: tuple[str, Citation] | None  # what it gives directly, and where that is said
    emergency: Citation | None  # its emergency disclosure, when the case is an emergency
    entities: tuple[tuple[Entity, Citation], ...]


@dataclass(frozen=True)
class Advice:
    routes: list[Route]
    not_available: list[NotAvailable]
    same_state: bool = False
    emergency: bool = False  # the case is an emergency
    emergency_practice: EmergencyPractice | None = None
    providers: tuple[ProviderAdvice, ...] = ()

    @property
    def emergency_blocked(self) -> list[NotAvailable]:
        """In an emergency with no emergency procedure between the two states, why each
        one does not apply: the officer must know before choosing a slower route."""
        if not self.emergency or any(r.kind == RouteKind.emergency for r in self.routes):
            return []
        return [n for n in self.not_available if n.emergency]

    @property
    def suggestion(self) -> Route | None:
        """The first route: a suggestion to the officer, never applied by itself."""
        return self.routes[0] if self.routes else None


PRESERVATION_CONTENTS = (
    N_("the authority seeking preservation (Art. 29(2)(a))"),
    N_("the offence under investigation and a brief summary of the facts (Art. 29(2)(b))"),
    N_("the stored data to be preserved and its relationship to the offence (Art. 29(2)(c))"),
    N_("any information identifying the custodian or the location of the data (Art. 29(2)(d))"),
    N_("the necessity of the preservation (Art. 29(2)(e))"),
    N_("that a request for mutual assistance will follow (Art. 29(2)(f))"),
)
MLA_CONTENTS = (
    N_("the authority making the request and the proceedings"),
    N_("the facts, the offences and their penalties"),
    N_("the evidence sought and how it links to the offence"),
    N_("the legal basis, and the assurances the requested state requires"),
)
EMERGENCY_CONTENTS = (
    N_("the facts that show the emergency: who is at risk, of what, and how soon"),
    N_("why the evidence sought can avert the risk, and why it cannot wait"),
    N_("the evidence sought, limited to what the emergency needs"),
    N_("a contact who can be reached at any hour"),
)
VOLUNTARY_CONTENTS = (
    N_("the requesting authority, with contact data the provider can check"),
    N_("the offence and a brief summary of the facts"),
    N_("the identifiers and the records sought, with the time range"),
    N_("the law of your state under which you ask"),
)
ORDER_CONTENTS = (
    N_("the issuing authority and, where required, its validation by a judge or prosecutor"),
    N_("the service provider's designated establishment or legal representative"),
    N_("the identifiers and the data categories sought, with the time range"),
    N_("the offence and its maximum penalty"),
)


def advise(book: RuleBook, case: Case, today: dt.date) -> Advice:
    """The routes for the case in the order to try them, and what does not serve it."""
    if not (case.requesting and case.requested):
        return Advice([], [])
    if case.requesting == case.requested:
        return Advice([], [], same_state=True)
    table = book.state(case.requested)
    routes: list[tuple[tuple[int, int, int], Route]] = []
    not_available: list[NotAvailable] = []
    languages = tuple(table.languages.accepted) if table else ()

    def add(order: tuple[int, int, int], route: Route) -> None:
        routes.append((order, route))

    def make(kind: RouteKind, lk: Link, channel: Channel, **values: object) -> Route:
        values.setdefault("citation", _route_citation(lk))
        return Route(
            kind=kind,
            legal_basis=lk.slug,
            legal_basis_name=lk.instrument.name,
            channel=channel,
            languages=languages,
            verified=lk.verified,
            **values,  # type: ignore[arg-type]
        )

    if case.emergency:
        for slug, inst in book.instruments.instruments.items():
            provision = inst.emergency
            lk = link(book.instruments, slug, case.requesting, case.requested, today)
            if provision is None or lk is None:
                continue
            if not lk.linked:
                not_available.append(
                    NotAvailable(
                        slug,
                        inst.name,
                        N_(
                            "Emergency co-operation (%(article)s) needs both states to be "
                            "bound: %(reason)s"
                        ),
                        {
                            "name": inst.name,
                            "article": provision.article,
                            "reason": Phrase(lk.reason, lk.reason_params),
                        },
                        emergency=True,
                    )
                )
                continue
            add(
                (-1, 0, 0),
                make(
                    RouteKind.emergency,
                    lk,
                    provision.channel,
                    article=provision.article,
                    authority=table.central_authority if table else None,
                    typical_days=None,
                    typical_citation=None,
                    explanation=N_(
                        "Ask for emergency assistance, stating the emergency: it is handled "
                        "on a rapidly expedited basis."
                    ),
                    why=N_(
                        "A person's life or safety is at risk: the emergency procedure comes first."
                    ),
                    why_params={},
                    contents=EMERGENCY_CONTENTS,
                    citation=citation(
                        book.instruments.sources,
                        provision.cite,
                        provision,
                        today,
                        ref=catalogue_ref(slug),
                    ),
                ),
            )

    budapest = link(book.instruments, "budapest", case.requesting, case.requested, today)
    if budapest and not budapest.linked and case.data_at_risk:
        not_available.append(
            NotAvailable(
                "budapest",
                budapest.instrument.name,
                N_(
                    "Preservation through the 24/7 network (Art. 29 and 35) needs both states "
                    "to be parties to %(name)s: %(reason)s"
                ),
                {
                    "name": budapest.instrument.name,
                    "reason": Phrase(budapest.reason, budapest.reason_params),
                },
            )
        )
    if budapest and budapest.linked and case.data_at_risk:
        add(
            (0, 0, 0),
            make(
                RouteKind.preservation_24_7,
                budapest,
                Channel.network_24_7,
                article="Art. 29, Art. 35",
                authority=table.contact_24_7 if table else None,
                declared_contacts=()
                if table and table.contact_24_7
                else _declared_contacts(book, "budapest", case.requested, today),
                typical_days=None,
                typical_citation=None,
                explanation=N_(
                    "Ask the 24/7 point of contact to preserve the data at once, then send "
                    "the full request within the time the preservation lasts."
                ),
                why=N_("Stored data can be deleted at any time: preservation comes first.")
                if case.measures - {MeasureKind.preservation}
                else N_("Preservation is what this request asks for."),
                why_params={},
                contents=PRESERVATION_CONTENTS,
            ),
        )

    direct_ok = _accepts(table, Channel.direct_provider)
    for lk in linking_instruments(book.instruments, case.requesting, case.requested, today):
        inst = lk.instrument
        if inst.kind == "reciprocity":
            continue
        direct_only = bool(inst.channels) and Channel.central_authority not in inst.channels
        reading = read_scope(inst, case.facts_for_scope)
        params = {"name": inst.name, "article": _scope_article(lk), **reading.params}
        if reading.fit == Fit.outside:
            not_available.append(NotAvailable(lk.slug, inst.name, reading.reason, params))
            continue
        if direct_only and case.providers_elsewhere:
            not_available.append(
                NotAvailable(
                    lk.slug,
                    inst.name,
                    N_(
                        "The providers named in the request are established in %(where)s, "
                        "not in %(state)s: an order or request to a provider under %(name)s "
                        "would not reach them."
                    ),
                    {
                        "name": inst.name,
                        "where": Words("state", tuple(sorted(case.providers_elsewhere))),
                        "state": Words("state", (case.requested,)),
                    },
                )
            )
            continue
        if lk.slug == PROTOCOL:
            if (
                MeasureKind.subscriber_info in case.measures
                and direct_ok
                and not case.providers_elsewhere
            ):
                add(
                    (1, 1, 0),
                    make(
                        RouteKind.direct_provider,
                        lk,
                        Channel.direct_provider,
                        article="Art. 7",
                        authority=None,
                        typical_days=None,
                        typical_citation=None,
                        explanation=N_(
                            "Ask the service provider directly for subscriber information."
                        ),
                        why=N_(
                            "Both states apply the Second Additional Protocol: providers "
                            "answer such orders without a request to the state."
                        ),
                        why_params={},
                        contents=ORDER_CONTENTS,
                    ),
                )
            continue
        if direct_only:
            if Channel.direct_provider not in inst.channels:
                continue
            reach = reach_of(inst.reaches, lk.slug)
            wanted = case.measures & reach
            if not wanted or case.measures - reach:
                not_available.append(
                    NotAvailable(
                        lk.slug,
                        inst.name,
                        _reach_reason(inst.reaches, bool(wanted)),
                        {
                            "name": inst.name,
                            "measures": Words("measure", tuple(m.value for m in inst.reaches)),
                        },
                    )
                )
                continue
            if inst.kind == "domestic_law":
                # Discretionary: after every order a provider must answer.
                add(
                    (1, len(Fit), 0),
                    make(
                        RouteKind.voluntary_disclosure,
                        lk,
                        Channel.direct_provider,
                        article=lk.instrument.locator,
                        authority=None,
                        typical_days=None,
                        typical_citation=None,
                        explanation=N_(
                            "Ask the service provider directly. It may answer of its own "
                            "accord; nothing obliges it to."
                        ),
                        why=N_(
                            "The law of %(state)s lets its providers disclose these records to "
                            "a foreign authority if they choose. Check that your own law lets "
                            "you ask, and the provider's guidelines for foreign authorities."
                        ),
                        why_params={"state": Words("state", (case.requested,))},
                        contents=VOLUNTARY_CONTENTS,
                        to_confirm=True,
                    ),
                )
                continue
            kind = (
                RouteKind.production_order
                if lk.slug == PRODUCTION_ORDERS
                else RouteKind.direct_provider
            )
            add(
                (1, int(reading.fit), 0 if kind == RouteKind.production_order else 1),
                make(
                    kind,
                    lk,
                    Channel.direct_provider,
                    article=_scope_article(lk),
                    authority=None,
                    typical_days=None,
                    typical_citation=None,
                    explanation=N_(
                        "Send an order straight to the service provider, without a request "
                        "to the requested state."
                    ),
                    why=N_("An order to the provider is usually the fastest way to data it holds.")
                    if reading.fit == Fit.covers
                    else reading.reason,
                    why_params={} if reading.fit == Fit.covers else params,
                    contents=ORDER_CONTENTS,
                    to_confirm=reading.fit in (Fit.confirm, Fit.unlikely),
                ),
            )
            continue
        if not _accepts(table, Channel.central_authority) and table is not None:
            not_available.append(
                NotAvailable(
                    lk.slug,
                    inst.name,
                    N_("%(state)s does not take requests through its central authority."),
                    {"name": inst.name, "state": table.name},
                )
            )
            continue
        eio = lk.slug == "eio"
        order = {"bilateral": 0, "regional": 1, "multilateral": 2}[inst.kind]
        # An instrument the offences do not look covered by would likely be refused:
        # after reciprocity, which serves where no treaty does.
        stage = 4 if reading.fit == Fit.unlikely else 2
        add(
            (stage, int(reading.fit), -1 if eio else order),
            make(
                RouteKind.eio if eio else RouteKind.treaty,
                lk,
                Channel.central_authority,
                article=_scope_article(lk),
                authority=table.central_authority if table else None,
                typical_days=table.execution.typical_days if table else None,
                typical_citation=_typical_citation(table, today),
                explanation=N_(
                    "Send a European Investigation Order; where the executing state has "
                    "designated one, its central authority forwards it."
                )
                if eio
                else N_(
                    "Send a request for mutual legal assistance to the central authority "
                    "under this instrument."
                ),
                why=_treaty_why(inst.kind, eio) if reading.fit == Fit.covers else reading.reason,
                why_params={} if reading.fit == Fit.covers else params,
                contents=MLA_CONTENTS,
                to_confirm=reading.fit in (Fit.confirm, Fit.unlikely),
            ),
        )

    reciprocity = link(book.instruments, "reciprocity", case.requesting, case.requested, today)
    if reciprocity and reciprocity.linked:
        channel = _reciprocity_channel(reciprocity, table)
        if channel is not None:
            add(
                (3, 0, 0),
                make(
                    RouteKind.reciprocity,
                    reciprocity,
                    channel,
                    article="",
                    authority=table.central_authority if table else None,
                    typical_days=table.execution.typical_days if table else None,
                    typical_citation=_typical_citation(table, today),
                    explanation=N_(
                        "Without a treaty: a letter rogatory on the basis of reciprocity, "
                        "with an assurance that your state would do the same."
                    ),
                    why=N_("The slowest way: use it only where no treaty serves."),
                    why_params={},
                    contents=(*MLA_CONTENTS, N_("an assurance of reciprocity")),
                ),
            )
    ranked = [route for _order, route in sorted(routes, key=lambda item: item[0])]
    practice = None
    if case.emergency and table is not None and table.urgency.emergency_definition:
        practice = EmergencyPractice(
            table.name, table.urgency, rule_citation(table, table.urgency, today)
        )
    return Advice(
        ranked,
        not_available,
        emergency=case.emergency,
        emergency_practice=practice,
        providers=provider_advice(book, case, today),
    )


# The data a provider gives foreign authorities directly, by the measure that asks for it.
GIVEN_DIRECTLY = {
    MeasureKind.subscriber_info: frozenset({"subscriber", "non_content"}),
    MeasureKind.traffic_data: frozenset({"non_content"}),
}


def provider_advice(book: RuleBook, case: Case, today: dt.date) -> tuple[ProviderAdvice, ...]:
    """For each provider of the directory that holds the case's data: whether a request to
    it directly may serve, its emergency disclosure, and whom a formal request concerns."""
    found: dict[str, ProviderAdvice] = {}
    for name in sorted(case.providers):
        provider = book.providers.get(name) or provider_named(name, book.providers)
        if provider is None or provider.slug in found:
            continue
        cites = provider_citations(provider, today)
        rule = provider.disclosure
        gives = rule.foreign_without_mla
        asked = any(gives in GIVEN_DIRECTLY.get(m, frozenset()) for m in case.measures)
        from_here = not rule.from_states or case.requesting in rule.from_states
        found[provider.slug] = ProviderAdvice(
            provider=provider,
            direct=(gives, cites["disclosure"]) if gives and asked and from_here else None,
            emergency=cites["emergency"]
            if case.emergency and provider.emergency.available
            else None,
            entities=tuple(
                (entity, cites[f"entities[{i}]"]) for i, entity in enumerate(provider.entities)
            ),
        )
    return tuple(found.values())


def advise_routes(
    book: RuleBook,
    requesting: str,
    requested: str,
    measures: Iterable[MeasureKind],
    urgent: bool,
    today: dt.date,
) -> list[Route]:
    """The routes for a case known only by its states, measures and urgency."""
    case = Case(requesting, requested, frozenset(measures), urgent)
    return advise(book, case, today).routes


def reach_of(reaches: Iterable[MeasureKind], slug: str) -> frozenset[MeasureKind]:
    """The measures an order straight to a provider can obtain under the instrument: its
    own list where the catalogue gives one; otherwise what Regulation (EU) 2023/1543
    orders reach, or any data a provider holds."""
    listed = frozenset(reaches)
    if listed:
        return listed
    return PRODUCTION_ORDER_DATA if slug == PRODUCTION_ORDERS else PROVIDER_DATA


def _reach_reason(reaches: list[MeasureKind], some_wanted: bool) -> str:
    if reaches:
        return (
            N_("%(name)s reaches only %(measures)s; this request also asks for other evidence.")
            if some_wanted
            else N_("%(name)s reaches only %(measures)s.")
        )
    return (
        N_(
            "%(name)s reaches only data held by service providers; this request also asks "
            "for other evidence."
        )
        if some_wanted
        else N_("%(name)s reaches only data held by service providers.")
    )


def _treaty_why(kind: str, eio: bool) -> str:
    if eio:
        return N_("Between member states bound by it, the EIO replaces mutual assistance.")
    return {
        "bilateral": N_("A bilateral treaty is made for requests between these two states."),
        "regional": N_("A regional instrument binding both states and covering the case."),
        "multilateral": N_("A worldwide convention binding both states and covering the case."),
    }[kind]


def _scope_article(lk: Link) -> str:
    scope = lk.instrument.scope
    return (scope.article or scope.locator) if scope else ""


def _accepts(table: StateTable | None, channel: Channel) -> bool:
    """Whether the requested state takes requests through the channel (unknown without
    a table, which the checks do not refuse)."""
    return table is None or any(c.kind == channel for c in table.channels)


def _declared_contacts(
    book: RuleBook, slug: str, state: str, today: dt.date
) -> tuple[tuple[str, Citation], ...]:
    """What the state declared as its 24/7 point of contact under the instrument, with where
    each declaration stands."""
    found = declaration_citations(book.instruments, slug, state, today)
    return tuple((d.text, c) for d, c in found if d.kind == "contact_24_7")


def _route_citation(lk: Link) -> Citation:
    """The requested state's entry for reciprocity (the instrument has no text of its
    own); the instrument's source otherwise."""
    if lk.instrument.kind == "reciprocity" and lk.parties:
        return lk.parties[-1]
    return lk.citation


def _typical_citation(table: StateTable | None, today: dt.date) -> Citation | None:
    if table is None or table.execution.typical_days is None:
        return None
    return rule_citation(table, table.execution, today)


def _reciprocity_channel(lk: Link, table: StateTable | None) -> Channel | None:
    """The diplomatic channel, unless the requested state takes requests without a
    treaty only through another channel the instrument allows (its central authority);
    None when the state accepts none of them."""
    accepted = {c.kind for c in table.channels} if table else set(lk.instrument.channels)
    usable = [c for c in lk.instrument.channels if c in accepted]
    if Channel.diplomatic in usable:
        return Channel.diplomatic
    return usable[0] if usable else None
