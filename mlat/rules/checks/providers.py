"""Advice from the provider directory (``mlat.rules.providers``): the provider an identifier's
domain points to, preservation the provider offers, identifiers it cannot search, data
older than it keeps, and data it gives foreign authorities without mutual legal
assistance. Each finding cites the provider's fact it rests on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from mlat.messages import N_, Np_
from mlat.request_format import Identifier, MeasureKind
from mlat.rules.checks.common import STORED_DATA
from mlat.rules.citations import provider_citations
from mlat.rules.findings import Context, Finding, Severity
from mlat.rules.providers import (
    Provider,
    identifier_domain,
    provider_for_domain,
    provider_named,
)
from mlat.rules.schema import Ruled

# The category of data a measure asks for, as providers say how long they keep it.
KEPT_AS = {
    MeasureKind.subscriber_info: "subscriber",
    MeasureKind.traffic_data: "ip_logs",
    MeasureKind.stored_content: "content",
}


def _finding(
    ctx: Context,
    code: str,
    severity: Severity,
    path: str,
    template: str | tuple[str, str],
    provider: Provider,
    fact: Ruled,
    **params: object,
) -> Finding:
    """A finding citing the provider's fact it rests on; a template marked with ``Np_`` is
    worded by the number ``n`` among the params."""
    where = next(p for p, rule in provider.rules() if rule is fact)
    cite = provider_citations(provider, ctx.today)[where]
    said = {"provider": provider.name, **params}
    if isinstance(template, tuple):
        return Finding(code, severity, path, template[0], said, cite, template[1])
    return Finding(code, severity, path, template, said, cite)


def holder(ctx: Context, identifier: Identifier) -> Provider | None:
    """The directory's provider that holds an identifier's data, as the officer named it."""
    return provider_named(identifier.provider, ctx.book.providers)


def check_provider_suggested(ctx: Context) -> Iterator[Finding]:
    """An e-mail address, URL or domain of a provider in the directory, with no provider
    given: say whose it is, for the officer to confirm."""
    for i, ident in enumerate(ctx.request.identifiers):
        if ident.provider.strip():
            continue
        domain = identifier_domain(ident.kind, ident.value)
        provider = provider_for_domain(domain, ctx.book.providers) if domain else None
        if provider is None:
            continue
        yield Finding(
            "provider_suggested",
            "info",
            f"identifiers[{i}].provider",
            N_(
                "%(domain)s is a domain of %(provider)s: if the data is held there, give "
                "%(provider)s as the provider holding it."
            ),
            {"domain": domain, "provider": provider.name},
        )


def _measured(ctx: Context) -> Iterator[tuple[int, MeasureKind, int, Identifier, Provider]]:
    """Each stored-data measure with each identifier it concerns whose provider is in the
    directory."""
    req = ctx.request
    for m, measure in enumerate(req.measures):
        if measure.kind not in STORED_DATA:
            continue
        for ref in measure.identifiers:
            if ref < len(req.identifiers):
                provider = holder(ctx, req.identifiers[ref])
                if provider is not None:
                    yield m, measure.kind, ref, req.identifiers[ref], provider


def check_provider_preservation(ctx: Context) -> Iterator[Finding]:
    """Data asked of a provider that preserves on request, when no preservation was asked
    for: ask now, before the data is gone."""
    req = ctx.request
    if req.preservation.requested or req.preservation.reference:
        return
    if any(m.kind == MeasureKind.preservation for m in req.measures):
        return
    told: set[str] = set()
    for m, _kind, _ref, _ident, provider in _measured(ctx):
        kept = provider.preservation
        if provider.slug in told or not kept.available or not kept.days:
            continue
        told.add(provider.slug)
        yield _finding(
            ctx,
            "provider_preservation",
            "warning",
            f"measures[{m}]",
            Np_(
                "%(provider)s preserves data for %(n)d day on request: ask for the data to be "
                "preserved now, before this request is executed.",
                "%(provider)s preserves data for %(n)d days on request: ask for the data to be "
                "preserved now, before this request is executed.",
            ),
            provider,
            kept,
            n=kept.days,
        )


def check_provider_identifiers(ctx: Context) -> Iterator[Finding]:
    """An identifier of a kind the provider does not say it can search."""
    seen: set[int] = set()
    for _m, _kind, ref, ident, provider in _measured(ctx):
        searchable = provider.identifiers
        if ref in seen or not searchable or any(s.kind == ident.kind for s in searchable):
            continue
        seen.add(ref)
        yield _finding(
            ctx,
            "provider_identifier_unsearchable",
            "warning",
            f"identifiers[{ref}].value",
            N_(
                "%(provider)s does not say it can search this kind of identifier. It asks "
                "for: %(forms)s."
            ),
            provider,
            searchable[0],
            forms="; ".join(s.format for s in searchable),
        )


def check_provider_retention(ctx: Context) -> Iterator[Finding]:
    """Data from before the period the provider says it keeps that kind of data."""
    told: set[tuple[int, str]] = set()
    for m, kind, _ref, _ident, provider in _measured(ctx):
        start = ctx.request.measures[m].date_from
        category = KEPT_AS.get(kind)
        if (m, provider.slug) in told or start is None:
            continue
        told.add((m, provider.slug))
        for kept in provider.retention:
            if kept.category != category or kept.days is None:
                continue
            if start < ctx.today - dt.timedelta(days=kept.days):
                yield _finding(
                    ctx,
                    "provider_data_expired",
                    "warning",
                    f"measures[{m}].date_from",
                    N_(
                        "The data asked for starts before the period %(provider)s says it keeps "
                        "it: %(period)s. What is older may no longer exist."
                    ),
                    provider,
                    kept,
                    period=kept.period,
                )


def check_provider_disclosure(ctx: Context) -> Iterator[Finding]:
    """Data the provider gives foreign authorities that ask it directly, without mutual
    legal assistance: a request to it may be faster."""
    req = ctx.request
    wanted = {
        MeasureKind.subscriber_info: {"subscriber", "non_content"},
        MeasureKind.traffic_data: {"non_content"},
    }
    told: set[str] = set()
    for m, kind, _ref, _ident, provider in _measured(ctx):
        rule = provider.disclosure
        gives = rule.foreign_without_mla
        if provider.slug in told or gives is None or gives not in wanted.get(kind, set()):
            continue
        if rule.from_states and req.requesting_state not in rule.from_states:
            continue
        told.add(provider.slug)
        if rule.conditions:
            template = N_(
                "%(provider)s gives this data to foreign authorities that ask it directly, "
                "without mutual legal assistance: a request to it may be faster. Its "
                "conditions: %(conditions)s"
            )
        else:
            template = N_(
                "%(provider)s gives this data to foreign authorities that ask it directly, "
                "without mutual legal assistance: a request to it may be faster. Read its "
                "conditions in its guidelines."
            )
        yield _finding(
            ctx,
            "provider_discloses_directly",
            "info",
            f"measures[{m}]",
            template,
            provider,
            rule,
            conditions=rule.conditions,
        )


def check_provider_content(ctx: Context) -> Iterator[Finding]:
    """Stored content asked of a provider that says it does not produce the content of
    communications by any channel: the measure cannot be executed against it."""
    told: set[tuple[int, str]] = set()
    for m, kind, _ref, _ident, provider in _measured(ctx):
        rule = provider.disclosure
        if kind != MeasureKind.stored_content or rule.produces_content is not False:
            continue
        if (m, provider.slug) in told:
            continue
        told.add((m, provider.slug))
        yield _finding(
            ctx,
            "provider_no_content",
            "error",
            f"measures[{m}]",
            N_(
                "%(provider)s says it does not produce the content of its users' "
                "communications: stored content cannot be obtained from it. Ask for the data "
                "it keeps instead."
            ),
            provider,
            rule,
        )
