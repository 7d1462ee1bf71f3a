"""Checks of time: urgency and the preservation clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from mlat.messages import N_, Np_
from mlat.rules.checks.common import (
    PRESERVATION_WARNING_DAYS,
    STORED_DATA,
    URGENT_HORIZON_DAYS,
    finding,
)
from mlat.rules.findings import Context, Finding


def check_urgency(ctx: Context) -> Iterator[Finding]:
    urgency = ctx.request.urgency
    if urgency.danger_to_life and not urgency.urgent:
        yield finding(
            "emergency_not_urgent",
            "error",
            "urgency.urgent",
            N_(
                "A risk to a person's life or safety makes the request urgent: mark it "
                "urgent, with the reason and the date the evidence is needed by."
            ),
        )
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
    elif urgency.deadline > ctx.today + dt.timedelta(days=URGENT_HORIZON_DAYS):
        yield finding(
            "urgency_deadline_far",
            "error",
            "urgency.deadline",
            N_(
                "A request needed only by %(date)s is not urgent. Give the date by which "
                "the evidence is really needed, or do not mark the request urgent."
            ),
            date=urgency.deadline.isoformat(),
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
            Np_(
                "The preservation lapses in %(n)d day (%(date)s): ask for an extension now.",
                "The preservation lapses in %(n)d days (%(date)s): ask for an extension now.",
            ),
            ctx,
            rule,
            n=days_left,
            date=expires.isoformat(),
        )
