"""Checks of the measures: date ranges, required fields, thresholds, dual criminality."""

from __future__ import annotations

from collections.abc import Iterator

from mlat.messages import N_, Np_
from mlat.request_format import Identifier
from mlat.rules.checks.common import (
    DATA_MEASURES,
    MIN_FACTS_WORDS,
    MIN_NEXUS_WORDS,
    direct_order,
    finding,
    words,
)
from mlat.rules.findings import Context, Finding
from mlat.rules.schema import THRESHOLD_ORDER, MeasureRule, Threshold
from mlat.rules.words import Words


def check_measures(ctx: Context) -> Iterator[Finding]:
    req = ctx.request
    if not req.measures:
        yield finding(
            "measures_missing",
            "error",
            "measures",
            N_("Say what the requested state should do: add at least one measure."),
        )
    order = direct_order(ctx)
    if order is not None and req.measures and ctx.table is not None:
        yield finding(
            "direct_order_table_not_applied",
            "info",
            "measures",
            N_(
                "This order goes straight to the provider under %(name)s: the rules %(state)s "
                "applies when its own authorities execute a request do not decide it; the "
                "instrument's own conditions do."
            ),
            name=order.instrument.name,
            state=ctx.table.name,
        )
    for i, table_rule in ctx.measure_rules():
        # an order straight to a provider: the state's rules for executing requests do not apply
        rule = table_rule if order is None else None
        measure = req.measures[i]
        path = f"measures[{i}]"
        for ref in measure.identifiers:
            if ref >= len(req.identifiers):
                yield finding(
                    "measure_identifier_unknown",
                    "error",
                    f"{path}.identifiers",
                    N_("This measure refers to an identifier that does not exist."),
                )
        if measure.date_from and measure.date_to and measure.date_to < measure.date_from:
            yield finding(
                "date_range_reversed",
                "error",
                f"{path}.date_to",
                N_("The end of the date range is before its start."),
            )
        if measure.kind in DATA_MEASURES and not (measure.date_from and measure.date_to):
            yield finding(
                "date_range_unbounded",
                "error",
                f"{path}.date_from",
                N_("Give a bounded date range: requests for 'all data' are refused as overbroad."),
            )
        if rule is None:
            if ctx.table is not None and order is None:
                yield finding(
                    "measure_no_rule",
                    "warning",
                    path,
                    N_(
                        "The rule table for %(state)s says nothing about this measure: "
                        "check with the central authority."
                    ),
                    state=ctx.table.name,
                )
            continue
        if not rule.possible:
            yield finding(
                "measure_not_possible",
                "error",
                path,
                N_("%(state)s does not execute this measure: %(framework)s"),
                ctx,
                rule,
                state=ctx.table.name if ctx.table else "",
                framework=rule.legal_framework,
            )
            continue
        if (
            rule.max_range_days
            and measure.date_from
            and measure.date_to
            and (measure.date_to - measure.date_from).days > rule.max_range_days
        ):
            yield finding(
                "date_range_too_long",
                "warning",
                f"{path}.date_to",
                Np_(
                    "The date range is longer than %(n)d day, the longest this state "
                    "executes for this measure.",
                    "The date range is longer than %(n)d days, the longest this state "
                    "executes for this measure.",
                ),
                ctx,
                rule,
                n=rule.max_range_days,
            )
        yield from _required_fields(ctx, i, rule)
        yield from _threshold(ctx, i, rule)


def _measure_identifiers(ctx: Context, i: int) -> list[tuple[int, Identifier]]:
    refs = ctx.request.measures[i].identifiers
    return [(r, ctx.request.identifiers[r]) for r in refs if r < len(ctx.request.identifiers)]


def _required_fields(ctx: Context, i: int, rule: MeasureRule) -> Iterator[Finding]:
    req, measure, path = ctx.request, ctx.request.measures[i], f"measures[{i}]"
    idents = _measure_identifiers(ctx, i)
    missing: list[tuple[str, str]] = []
    for name in rule.required_fields:
        if name == "identifiers" and not idents:
            missing.append((f"{path}.identifiers", N_("the identifiers concerned")))
        elif name == "identifier_timestamps" and any(
            ident.kind == "ip" and ident.observed_at is None for _r, ident in idents
        ):
            missing.append((f"{path}.identifiers", N_("the timestamps of the IP addresses")))
        elif name == "provider" and idents and any(not ident.provider for _r, ident in idents):
            missing.append((f"{path}.identifiers", N_("the provider holding the data")))
        elif name == "date_range" and not (measure.date_from and measure.date_to):
            if measure.kind not in DATA_MEASURES:  # already reported for data measures
                missing.append((f"{path}.date_from", N_("a date range")))
        elif name == "persons" and not req.persons:
            missing.append(("persons", N_("the persons concerned")))
        elif name == "details" and not measure.details:
            missing.append((f"{path}.details", N_("the details of the measure")))
        elif name == "procedures" and not req.procedures:
            missing.append(("procedures", N_("the procedures to follow")))
        elif name == "judicial_order" and not any(a.kind == "judicial_order" for a in req.annexes):
            missing.append(("annexes", N_("a domestic court order or warrant in the annexes")))
    for field_path, what in missing:
        yield finding(
            "measure_field_missing",
            "error",
            field_path,
            N_("For this measure the requested state needs %(what)s."),
            ctx,
            rule,
            what=what,
        )


def _threshold(ctx: Context, i: int, rule: MeasureRule) -> Iterator[Finding]:
    level = THRESHOLD_ORDER.index(rule.threshold)
    req, path = ctx.request, f"measures[{i}]"
    if level >= THRESHOLD_ORDER.index(Threshold.specific_articulable_facts) and (
        words(req.facts) < MIN_FACTS_WORDS or words(req.nexus) < MIN_NEXUS_WORDS
    ):
        yield finding(
            "threshold_facts_thin",
            "error",
            path,
            N_(
                "This measure needs %(threshold)s: the facts and the nexus must set out "
                "specific facts, not conclusions. %(guidance)s"
            ),
            ctx,
            rule,
            threshold=Words("threshold", (rule.threshold.value,)),
            guidance=rule.guidance,
        )
    if rule.threshold != Threshold.probable_cause:
        return
    text = f"{req.facts}\n{req.nexus}".lower()
    for ref, ident in _measure_identifiers(ctx, i):
        if ident.value and ident.value.lower() not in text:
            yield finding(
                "threshold_account_not_tied",
                "error",
                f"identifiers[{ref}]",
                N_(
                    "Probable cause must tie this account to the crime: name '%(value)s' "
                    "in the facts or the nexus and say how it was used."
                ),
                ctx,
                rule,
                value=ident.value,
            )
    if rule.max_age_days:
        observed = [
            ident.observed_at.date()
            for _r, ident in _measure_identifiers(ctx, i)
            if ident.observed_at
        ]
        if observed and (ctx.today - max(observed)).days > rule.max_age_days:
            yield finding(
                "threshold_stale",
                "warning",
                path,
                Np_(
                    "The latest activity shown is older than %(n)d day: facts this old "
                    "may be too stale to show that evidence is still there.",
                    "The latest activity shown is older than %(n)d days: facts this old "
                    "may be too stale to show that evidence is still there.",
                ),
                ctx,
                rule,
                n=rule.max_age_days,
            )


def check_dual_criminality(ctx: Context) -> Iterator[Finding]:
    table, req = ctx.table, ctx.request
    if table is None or not req.offences or table.dual_criminality.policy == "never":
        return
    if direct_order(ctx) is not None:
        return  # no authority of the requested state executes the order
    coercive = [
        i
        for i, rule in ctx.measure_rules()
        if table.dual_criminality.policy == "always" or (rule is not None and rule.coercive)
    ]
    if coercive and not any(o.equivalent_offence for o in req.offences):
        yield finding(
            "dual_criminality_not_shown",
            "warning",
            "offences[0].equivalent_offence",
            N_(
                "%(state)s requires dual criminality for the measures requested: name "
                "the corresponding offence under its law."
            ),
            ctx,
            table.dual_criminality,
            state=table.name,
        )
