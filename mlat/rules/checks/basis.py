"""Checks of the route: states, legal basis, channel and language."""

from __future__ import annotations

from collections.abc import Iterator

from mlat.messages import N_
from mlat.request_format import Channel, MeasureKind
from mlat.rules.checks.common import (
    direct_order,
    finding,
)
from mlat.rules.findings import Context, Finding
from mlat.rules.instruments import Link, link
from mlat.rules.words import Phrase, Words


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
                "There is no rule table for %(state)s yet: only the legal basis and the "
                "request's own content were checked. These checks could not run: the channels "
                "and languages it accepts, the thresholds and required content of each measure, "
                "dual criminality, preservation periods, assurances and formalities. Check them "
                "with its central authority."
            ),
            state=Words("state", (req.requested_state,)),
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
    elif lk.uncertain:
        yield Finding(
            "legal_basis_not_listed",
            "warning",
            "legal_basis",
            N_("%(reason)s Until then, treat this legal basis as unconfirmed."),
            {"reason": Phrase(lk.reason, lk.reason_params)},
            lk.citation,
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
            {"reason": Phrase(lk.reason, lk.reason_params)},
            lk.citation,
        )
    else:
        yield from _basis_reliability(lk)
        yield from _beyond_reach(ctx, lk)
    channels = lk.instrument.channels if lk is not None and lk.linked else []
    if req.channel and channels and req.channel not in channels:
        assert lk is not None
        yield Finding(
            "channel_not_for_instrument",
            "warning",
            "channel",
            N_("%(name)s does not provide for this channel."),
            {"name": lk.instrument.name},
            lk.citation,
        )


def _beyond_reach(ctx: Context, lk: Link) -> Iterator[Finding]:
    """An error when the instrument reaches only some kinds of data and the request asks
    for others: US providers may disclose records of their own accord, never contents."""
    reaches = lk.instrument.reaches
    beyond = sorted({m.kind for m in ctx.request.measures} - set(reaches))
    if not reaches or not beyond:
        return
    yield Finding(
        "legal_basis_beyond_reach",
        "error",
        "legal_basis",
        N_(
            "%(name)s reaches only %(reaches)s, not %(beyond)s. Ask for those under "
            "another legal basis, in a separate request."
        ),
        {
            "name": lk.instrument.name,
            "reaches": Words("measure", tuple(m.value for m in reaches)),
            "beyond": Words("measure", tuple(m.value for m in beyond)),
        },
        lk.citation,
    )


def _basis_reliability(lk: Link) -> Iterator[Finding]:
    """A warning when the entries that make the instrument link the two states have not
    been verified against a primary source, citing the first such entry."""
    weak = next((c for c in lk.parties if c.status != "verified"), None)
    if weak is None:
        return
    message = (
        N_(
            "%(name)s links the two states according to a secondary source only. Confirm "
            "it with the depositary or the central authority before sending."
        )
        if weak.status == "secondary"
        else N_(
            "%(name)s links the two states according to data that has not been "
            "verified against a source. Confirm it before sending."
        )
    )
    yield Finding("legal_basis_unverified", "warning", "legal_basis", message,
                  {"name": lk.instrument.name}, weak)  # fmt: skip


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
    # A state may list a channel twice (by post always, by e-mail when urgent): the
    # request goes through if any of its rules allows it.
    rules = [c for c in table.channels if c.kind == req.channel]
    rule = next((c for c in rules if not c.urgent_only), rules[0] if rules else None)
    if rule is None and (direct_order(ctx) is not None or _preservation_by_24_7(ctx)):
        return
    if rule is None:
        yield finding(
            "channel_not_accepted",
            "error",
            "channel",
            N_("%(state)s does not accept requests through this channel. Accepted: %(accepted)s."),
            ctx,
            table.channels[0],
            state=table.name,
            accepted=Words("channel", tuple(c.value for c in accepted)),
        )
    elif rule.urgent_only and not req.urgency.urgent and not _preservation_by_24_7(ctx):
        yield finding(
            "channel_urgent_only",
            "error",
            "channel",
            N_("%(state)s accepts this channel only for urgent requests."),
            ctx,
            rule,
            state=table.name,
        )


def _preservation_by_24_7(ctx: Context) -> bool:
    """A request for preservation alone, through the 24/7 network, between two parties to
    the Budapest Convention: preserving data under Articles 29 and 30 is part of what the
    24/7 points of contact do (Art. 35(1)(b)), urgent or not, whatever else a state keeps
    its 24/7 channel for, and whether or not its table lists the channel: every Party
    designates a point of contact (Art. 35(1))."""
    req = ctx.request
    if req.channel != Channel.network_24_7 or not req.measures:
        return False
    if any(m.kind != MeasureKind.preservation for m in req.measures):
        return False
    if not (req.requesting_state and req.requested_state):
        return False
    budapest = link(ctx.book.instruments, "budapest", req.requesting_state,
                    req.requested_state, ctx.today)  # fmt: skip
    return budapest is not None and budapest.linked


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
        accepted=Words("language", tuple(sorted(accepted))),
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
