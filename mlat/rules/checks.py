"""The checks the engine runs: one small function per reason requests come back
(DOMAIN.md section 6). Each yields findings; none has side effects."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Iterator

from mlat.countries import is_timezone
from mlat.request_format import Identifier
from mlat.rules.engine import Check, Context, Finding, Severity
from mlat.rules.instruments import link
from mlat.rules.schema import THRESHOLD_ORDER, MeasureKind, MeasureRule, Ruled, Threshold
from mlat.services import N_

# Measures that obtain stored or live data: they need a bounded date range, and
# the data may be deleted before the request is executed.
DATA_MEASURES = frozenset(
    {
        MeasureKind.subscriber_info,
        MeasureKind.traffic_data,
        MeasureKind.stored_content,
        MeasureKind.realtime_traffic,
        MeasureKind.interception,
        MeasureKind.bank_records,
    }
)
STORED_DATA = frozenset(
    {MeasureKind.subscriber_info, MeasureKind.traffic_data, MeasureKind.stored_content}
)
# Fewer words than this in the facts or nexus is too thin for a foreign authority to act on.
MIN_FACTS_WORDS = 60
MIN_NEXUS_WORDS = 20
PRESERVATION_WARNING_DAYS = 14
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DOMAIN_NAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.I
)


def finding(
    code: str,
    severity: Severity,
    path: str,
    template: str,
    ctx: Context | None = None,
    rule: Ruled | None = None,
    **params: object,
) -> Finding:
    """A finding, citing the rule it rests on when there is one."""
    cite = ctx.cite(rule) if ctx is not None and rule is not None else None
    return Finding(code, severity, path, template, dict(params), cite)


def words(text: str) -> int:
    return len(text.split())


def check_state(ctx: Context) -> Iterator[Finding]:
    req = ctx.request
    if not req.requesting_state:
        yield finding(
            "requesting_state_missing",
            "error",
            "requesting_state",
            N_("Give the requesting state."),
        )
    if not req.requested_state:
        yield finding(
            "requested_state_missing", "error", "requested_state", N_("Give the requested state.")
        )
    elif ctx.table is None:
        yield finding(
            "no_rule_table",
            "warning",
            "requested_state",
            N_(
                "There is no rule table for %(state)s yet: only general checks were made. "
                "Check the state's requirements with its central authority."
            ),
            state=req.requested_state,
        )


def check_legal_basis(ctx: Context) -> Iterator[Finding]:
    req = ctx.request
    if not req.legal_basis:
        yield finding(
            "legal_basis_missing",
            "error",
            "legal_basis",
            N_("Choose the legal basis the request relies on (a treaty, or reciprocity)."),
        )
        return
    if not (req.requesting_state and req.requested_state):
        return
    lk = link(
        ctx.book.instruments, req.legal_basis, req.requesting_state, req.requested_state, ctx.today
    )
    if lk is None:
        yield finding(
            "legal_basis_unknown",
            "error",
            "legal_basis",
            N_("'%(basis)s' is not a known instrument. Choose one from the list."),
            basis=req.legal_basis,
        )
    elif not lk.linked:
        yield Finding(
            "legal_basis_not_in_force",
            "error",
            "legal_basis",
            N_(
                "This legal basis does not link the two states: %(reason)s Choose another "
                "instrument; the route advisor lists those in force."
            ),
            {"reason": lk.reason % lk.reason_params},
            lk.citation,
        )
    elif not lk.verified:
        yield Finding(
            "legal_basis_unverified",
            "warning",
            "legal_basis",
            N_(
                "%(name)s links the two states according to data that has not been "
                "verified against a source. Confirm it before sending."
            ),
            {"name": lk.instrument.name},
            lk.citation,
        )
    elif req.channel and lk.instrument.channels and req.channel not in lk.instrument.channels:
        yield Finding(
            "channel_not_for_instrument",
            "warning",
            "channel",
            N_("%(name)s does not provide for this channel."),
            {"name": lk.instrument.name},
            lk.citation,
        )


def check_channel(ctx: Context) -> Iterator[Finding]:
    req, table = ctx.request, ctx.table
    if req.channel is None:
        yield finding(
            "channel_missing",
            "error",
            "channel",
            N_("Choose the channel the request will be sent through."),
        )
        return
    if table is None:
        return
    accepted = {c.kind: c for c in table.channels}
    rule = accepted.get(req.channel)
    if rule is None:
        yield finding(
            "channel_not_accepted",
            "error",
            "channel",
            N_("%(state)s does not accept requests through this channel. Accepted: %(accepted)s."),
            ctx,
            table.channels[0],
            state=table.name,
            accepted=", ".join(c.value for c in accepted),
        )
    elif rule.urgent_only and not req.urgency.urgent:
        yield finding(
            "channel_urgent_only",
            "error",
            "channel",
            N_("%(state)s accepts this channel only for urgent requests."),
            ctx,
            rule,
            state=table.name,
        )


def check_language(ctx: Context) -> Iterator[Finding]:
    req, table = ctx.request, ctx.table
    if not req.language:
        yield finding(
            "language_missing",
            "error",
            "language",
            N_("Give the language the request is written in."),
        )
        return
    if table is None:
        return
    rule = table.languages
    accepted = set(rule.accepted)
    if req.language in accepted:
        return
    if accepted & set(req.translations):
        if rule.certified_translation_required:
            yield finding(
                "translation_certification",
                "info",
                "translations",
                N_("%(state)s requires the translation to be certified."),
                ctx,
                rule,
                state=table.name,
            )
        return
    if rule.english_when_urgent and req.urgency.urgent and req.language == "en":
        return
    yield finding(
        "translation_missing",
        "error",
        "translations",
        N_(
            "%(state)s accepts requests in %(accepted)s only. Attach a translation into "
            "one of these languages."
        ),
        ctx,
        rule,
        state=table.name,
        accepted=", ".join(sorted(accepted)),
    )


def check_facts_and_nexus(ctx: Context) -> Iterator[Finding]:
    req = ctx.request
    if not req.facts:
        yield finding(
            "facts_missing",
            "error",
            "facts",
            N_("Summarise the facts: who did what, when, where and how."),
        )
    elif words(req.facts) < MIN_FACTS_WORDS:
        yield finding(
            "facts_thin",
            "warning",
            "facts",
            N_(
                "The summary of facts is very short (%(n)d words). A foreign authority "
                "needs enough detail to see the offence and act on it."
            ),
            n=words(req.facts),
        )
    if not req.nexus:
        yield finding(
            "nexus_missing",
            "error",
            "nexus",
            N_(
                "Explain why the evidence sought is relevant and how it links to the "
                "offence and to the person or account."
            ),
        )
    elif words(req.nexus) < MIN_NEXUS_WORDS:
        yield finding(
            "nexus_thin",
            "warning",
            "nexus",
            N_(
                "The link between the evidence and the offence is very short (%(n)d "
                "words). Say how each account or identifier was used in the offence."
            ),
            n=words(req.nexus),
        )


def check_offences(ctx: Context) -> Iterator[Finding]:
    req = ctx.request
    if not req.offences:
        yield finding(
            "offences_missing",
            "error",
            "offences",
            N_("Name at least one offence with its statutory provision."),
        )
    for i, offence in enumerate(req.offences):
        if not offence.name:
            yield finding(
                "offence_name_missing", "error", f"offences[{i}].name", N_("Name the offence.")
            )
        if not offence.citation:
            yield finding(
                "offence_citation_missing",
                "error",
                f"offences[{i}].citation",
                N_("Give the statutory provision of the offence."),
            )
        if offence.max_penalty_years is None:
            yield finding(
                "offence_penalty_missing",
                "warning",
                f"offences[{i}].max_penalty_years",
                N_("Give the maximum penalty: several states decide on it."),
            )


def check_identifiers(ctx: Context) -> Iterator[Finding]:
    for i, ident in enumerate(ctx.request.identifiers):
        yield from _identifier_findings(i, ident)


def _identifier_findings(i: int, ident: Identifier) -> Iterator[Finding]:
    path = f"identifiers[{i}]"
    if not ident.value:
        yield finding(
            "identifier_value_missing",
            "error",
            f"{path}.value",
            N_("Give the identifier's exact value."),
        )
        return
    if ident.kind == "ip":
        try:
            ipaddress.ip_address(ident.value)
        except ValueError:
            yield finding(
                "identifier_malformed",
                "error",
                f"{path}.value",
                N_("'%(value)s' is not an IP address."),
                value=ident.value,
            )
        if ident.observed_at is None:
            yield finding(
                "ip_without_timestamp",
                "error",
                f"{path}.observed_at",
                N_(
                    "An IP address identifies nobody without the exact date and time it "
                    "was used. Give the timestamp with its time zone offset."
                ),
            )
        elif ident.observed_at.utcoffset() is None:
            yield finding(
                "ip_without_timezone",
                "error",
                f"{path}.observed_at",
                N_(
                    "Give the time zone offset of this timestamp (for example +03:00): "
                    "without it the provider cannot match the IP address to a user."
                ),
            )
    elif ident.kind == "email" and not EMAIL.match(ident.value):
        yield finding(
            "identifier_malformed",
            "error",
            f"{path}.value",
            N_("'%(value)s' is not an e-mail address."),
            value=ident.value,
        )
    elif ident.kind == "domain" and not DOMAIN_NAME.match(ident.value):
        yield finding(
            "identifier_malformed",
            "error",
            f"{path}.value",
            N_("'%(value)s' is not a domain name."),
            value=ident.value,
        )


def check_measures(ctx: Context) -> Iterator[Finding]:
    req = ctx.request
    if not req.measures:
        yield finding(
            "measures_missing",
            "error",
            "measures",
            N_("Say what the requested state should do: add at least one measure."),
        )
    for i, rule in ctx.measure_rules():
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
            if ctx.table is not None:
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
                N_(
                    "The date range is longer than %(n)d days, the longest this state "
                    "executes for this measure."
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
            threshold=rule.threshold.value.replace("_", " "),
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
                N_(
                    "The latest activity shown is older than %(n)d days: facts this old "
                    "may be too stale to show that evidence is still there."
                ),
                ctx,
                rule,
                n=rule.max_age_days,
            )


def check_dual_criminality(ctx: Context) -> Iterator[Finding]:
    table, req = ctx.table, ctx.request
    if table is None or not req.offences or table.dual_criminality.policy == "never":
        return
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


def check_urgency(ctx: Context) -> Iterator[Finding]:
    urgency = ctx.request.urgency
    if not urgency.urgent:
        return
    if not urgency.reason:
        yield finding(
            "urgency_reason_missing",
            "error",
            "urgency.reason",
            N_(
                "Explain why the request is urgent: urgency that is not explained is "
                "not treated as urgent."
            ),
        )
    if urgency.deadline is None:
        yield finding(
            "urgency_deadline_missing",
            "error",
            "urgency.deadline",
            N_("Give the date by which the evidence is needed."),
        )
    elif urgency.deadline < ctx.today:
        yield finding(
            "urgency_deadline_past",
            "error",
            "urgency.deadline",
            N_("The deadline has already passed."),
        )


def check_preservation(ctx: Context) -> Iterator[Finding]:
    req, table = ctx.request, ctx.table
    wants_stored = any(m.kind in STORED_DATA for m in req.measures)
    pres = req.preservation
    rule = table.preservation if table else None
    if not pres.requested:
        if wants_stored:
            yield finding(
                "preservation_not_requested",
                "warning",
                "preservation.requested",
                N_(
                    "Stored data may be deleted before this request is executed. Ask for "
                    "preservation first (through the 24/7 network where there is one) "
                    "and give its reference here."
                ),
                ctx,
                rule,
            )
        return
    if not pres.reference:
        yield finding(
            "preservation_reference_missing",
            "warning",
            "preservation.reference",
            N_("Give the reference of the preservation request so the data can be matched to it."),
        )
    expires = pres.expires_on
    if expires is None and pres.requested_on and rule and rule.initial_days:
        expires = pres.requested_on + dt.timedelta(days=rule.initial_days)
    if expires is None:
        return
    days_left = (expires - ctx.today).days
    if days_left < 0:
        yield finding(
            "preservation_lapsed",
            "error",
            "preservation.expires_on",
            N_(
                "The preservation lapsed on %(date)s: the data may be gone. Ask for "
                "preservation again at once."
            ),
            ctx,
            rule,
            date=expires.isoformat(),
        )
    elif days_left <= PRESERVATION_WARNING_DAYS:
        yield finding(
            "preservation_lapsing",
            "warning",
            "preservation.expires_on",
            N_("The preservation lapses in %(n)d days (%(date)s): ask for an extension now."),
            ctx,
            rule,
            n=days_left,
            date=expires.isoformat(),
        )


def check_assurances(ctx: Context) -> Iterator[Finding]:
    table, req = ctx.table, ctx.request
    if table is None:
        return
    death_penalty = any(o.death_penalty_possible for o in req.offences)
    for assurance in table.assurances:
        needed = assurance.required_when == "always" or death_penalty
        if needed and assurance.kind not in req.assurances:
            yield finding(
                "assurance_missing",
                "error",
                "assurances",
                N_("%(state)s requires this assurance: %(text)s"),
                ctx,
                assurance,
                state=table.name,
                text=assurance.text,
            )


def check_contacts(ctx: Context) -> Iterator[Finding]:
    auth = ctx.request.requesting_authority
    for name, what in (
        ("name", N_("the requesting authority")),
        ("contact_person", N_("a contact person")),
        ("email", N_("a contact e-mail address")),
        ("phone", N_("a contact phone number")),
    ):
        if not getattr(auth, name):
            yield finding(
                "contact_missing",
                "error",
                f"requesting_authority.{name}",
                N_("Give %(what)s, so the requested state can ask questions."),
                what=what,
            )
    if auth.email and not EMAIL.match(auth.email):
        yield finding(
            "contact_malformed",
            "error",
            "requesting_authority.email",
            N_("'%(value)s' is not an e-mail address."),
            value=auth.email,
        )
    if not auth.timezone:
        yield finding(
            "contact_timezone_missing",
            "warning",
            "requesting_authority.timezone",
            N_("Give your time zone, so that urgent calls reach you in office hours."),
        )
    elif not is_timezone(auth.timezone):
        yield finding(
            "contact_timezone_unknown",
            "error",
            "requesting_authority.timezone",
            N_("'%(value)s' is not a time zone name such as Asia/Qatar."),
            value=auth.timezone,
        )


def check_formalities(ctx: Context) -> Iterator[Finding]:
    req, table = ctx.request, ctx.table
    if not (req.signatory.name and req.signatory.title):
        yield finding(
            "signatory_missing",
            "error",
            "signatory",
            N_("Name the person who signs the request and their title."),
        )
    if not (req.proceedings.type and req.proceedings.case_number and req.proceedings.authority):
        yield finding(
            "proceedings_incomplete",
            "error",
            "proceedings",
            N_(
                "Give the type and stage of proceedings, the case number and the court "
                "or prosecutor in charge."
            ),
        )
    if req.status != "new" and not req.related_requests:
        yield finding(
            "related_requests_missing",
            "error",
            "related_requests",
            N_("A follow-up or extension must refer to the earlier request."),
        )
    if req.confidentiality.non_disclosure and not req.confidentiality.reason:
        yield finding(
            "confidentiality_reason_missing",
            "warning",
            "confidentiality.reason",
            N_(
                "Say why the account holder must not be told, so the requested state "
                "can seek a non-disclosure order."
            ),
        )
    if table is None:
        return
    rule = table.formalities
    if rule.judicial_validation_required and not any(
        a.kind == "judicial_order" for a in req.annexes
    ):
        yield finding(
            "judicial_validation_missing",
            "error",
            "annexes",
            N_(
                "%(state)s requires judicial validation: annex the domestic court order or warrant."
            ),
            ctx,
            rule,
            state=table.name,
        )
    if rule.certification and not req.procedures:
        yield finding(
            "procedures_missing",
            "warning",
            "procedures",
            N_(
                "Say how the evidence must be certified to be admissible. %(state)s: "
                "%(certification)s"
            ),
            ctx,
            rule,
            state=table.name,
            certification=rule.certification,
        )
    if not table.confidentiality.available and req.confidentiality.non_disclosure:
        yield finding(
            "confidentiality_unavailable",
            "warning",
            "confidentiality",
            N_("%(state)s may not be able to keep the request confidential."),
            ctx,
            table.confidentiality,
            state=table.name,
        )


def check_de_minimis(ctx: Context) -> Iterator[Finding]:
    table, req = ctx.table, ctx.request
    if table is None or table.de_minimis is None or not table.de_minimis.applies:
        return
    rule = table.de_minimis
    penalties = [o.max_penalty_years for o in req.offences if o.max_penalty_years is not None]
    if rule.min_penalty_years is not None and penalties and max(penalties) < rule.min_penalty_years:
        yield finding(
            "de_minimis",
            "warning",
            "offences",
            N_(
                "%(state)s may decline requests about offences punishable by less than %(n)s years."
            ),
            ctx,
            rule,
            state=table.name,
            n=rule.min_penalty_years,
        )
    elif rule.min_penalty_years is None:
        yield finding(
            "de_minimis_policy",
            "info",
            "offences",
            N_(
                "%(state)s may decline requests about minor offences: show why the case is serious."
            ),
            ctx,
            rule,
            state=table.name,
        )


def check_faster_routes(ctx: Context) -> Iterator[Finding]:
    req = ctx.request
    if not (req.requesting_state and req.requested_state):
        return
    if any(m.kind == MeasureKind.subscriber_info for m in req.measures):
        lk = link(
            ctx.book.instruments,
            "budapest-2ap",
            req.requesting_state,
            req.requested_state,
            ctx.today,
        )
        if lk is not None and lk.linked:
            yield Finding(
                "direct_disclosure_available",
                "info",
                "measures",
                N_(
                    "Both states apply the Second Additional Protocol to the Budapest Convention: "
                    "subscriber information can be asked of the provider directly (Article 7), "
                    "which is usually faster."
                ),
                {},
                lk.citation,
            )


ALL_CHECKS: list[Check] = [
    check_state,
    check_legal_basis,
    check_channel,
    check_language,
    check_facts_and_nexus,
    check_offences,
    check_identifiers,
    check_measures,
    check_dual_criminality,
    check_urgency,
    check_preservation,
    check_assurances,
    check_contacts,
    check_formalities,
    check_de_minimis,
    check_faster_routes,
]
