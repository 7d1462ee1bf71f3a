"""Checks of what the request says: facts, offences, identifiers, contacts, formalities."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from mlat.countries import is_timezone
from mlat.messages import N_, Np_
from mlat.request_format import Identifier
from mlat.rules.checks.common import (
    DOMAIN_NAME,
    EMAIL,
    FACTS_FLOOR_WORDS,
    MIN_FACTS_WORDS,
    MIN_NEXUS_WORDS,
    NEXUS_FLOOR_WORDS,
    direct_order,
    finding,
    words,
)
from mlat.rules.findings import Context, Finding
from mlat.rules.words import Words


def check_facts_and_nexus(ctx: Context) -> Iterator[Finding]:
    req = ctx.request
    if not req.facts:
        yield finding(
            "facts_missing",
            "error",
            "facts",
            N_("Summarise the facts: who did what, when, where and how."),
        )
    else:
        yield from _thin("facts", words(req.facts), FACTS_FLOOR_WORDS, MIN_FACTS_WORDS)
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
    else:
        yield from _thin("nexus", words(req.nexus), NEXUS_FLOOR_WORDS, MIN_NEXUS_WORDS)


THIN_MESSAGES = {
    "facts": Np_(
        "The summary of facts is very short (%(n)d word). A foreign authority needs enough "
        "detail to see the offence and act on it.",
        "The summary of facts is very short (%(n)d words). A foreign authority needs enough "
        "detail to see the offence and act on it.",
    ),
    "nexus": Np_(
        "The link between the evidence and the offence is very short (%(n)d word). Say how "
        "each account or identifier was used in the offence.",
        "The link between the evidence and the offence is very short (%(n)d words). Say how "
        "each account or identifier was used in the offence.",
    ),
}


def _thin(part: str, count: int, floor: int, advised: int) -> Iterator[Finding]:
    """Below the floor no authority could act on the text (an error); below the advised
    length it is probably too thin (advice)."""
    if count < floor:
        yield finding(f"{part}_too_short", "error", part, THIN_MESSAGES[part], n=count)
    elif count < advised:
        yield finding(f"{part}_thin", "warning", part, THIN_MESSAGES[part], n=count)


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
    requested = ctx.request.requested_state
    for i, ident in enumerate(ctx.request.identifiers):
        yield from _identifier_findings(i, ident)
        if requested and ident.provider_state and ident.provider_state != requested:
            yield finding(
                "provider_elsewhere",
                "warning",
                f"identifiers[{i}].provider_state",
                N_(
                    "%(provider)s is established in %(where)s, not in %(state)s. A request "
                    "to %(state)s reaches data held there: check where the data is held, or "
                    "ask %(where)s."
                )
                if ident.provider
                else N_(
                    "The provider is established in %(where)s, not in %(state)s. A request "
                    "to %(state)s reaches data held there: check where the data is held, or "
                    "ask %(where)s."
                ),
                provider=ident.provider,
                where=Words("state", (ident.provider_state,)),
                state=Words("state", (requested,)),
            )


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


def check_assurances(ctx: Context) -> Iterator[Finding]:
    table, req = ctx.table, ctx.request
    if table is None or direct_order(ctx) is not None:
        return  # an order straight to a provider gives no assurance to the requested state
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
