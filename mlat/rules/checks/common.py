"""What every check module shares: the measures that concern data, the engine's own
thresholds of advice (not legal rules), and a helper that builds a finding."""

from __future__ import annotations

import re

from mlat.request_format import MeasureKind
from mlat.rules.findings import Context, Finding, Severity
from mlat.rules.instruments import Link, link, opens_directly
from mlat.rules.schema import Ruled

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
# Fewer words than this in the facts or nexus is too thin for a foreign authority to act on
# (advice); fewer than the floor, and no authority could act on it at all (an error).
MIN_FACTS_WORDS = 60
MIN_NEXUS_WORDS = 20
FACTS_FLOOR_WORDS = 15
NEXUS_FLOOR_WORDS = 8
PRESERVATION_WARNING_DAYS = 14
# An urgent request needed further ahead than this is not urgent.
URGENT_HORIZON_DAYS = 365
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DOMAIN_NAME = re.compile(
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.I
)


def finding(
    code: str,
    severity: Severity,
    path: str,
    template: str | tuple[str, str],
    ctx: Context | None = None,
    rule: Ruled | None = None,
    **params: object,
) -> Finding:
    """A finding, citing the rule it rests on when there is one. A template marked with
    ``Np_`` (singular, plural) is worded by the number ``n`` among the params."""
    cite = ctx.cite(rule) if ctx is not None and rule is not None else None
    if isinstance(template, tuple):
        singular, plural = template
        return Finding(code, severity, path, singular, dict(params), cite, plural)
    return Finding(code, severity, path, template, dict(params), cite)


def words(text: str) -> int:
    return len(text.split())


def direct_order(ctx: Context) -> Link | None:
    """The instrument, when the request is an order sent straight to a provider under an
    instrument that provides for it and binds both states (the e-Evidence Regulation, a CLOUD
    Act agreement): no authority of the requested state receives or executes it, so the
    channels, measures and assurances its table lists for requests do not decide."""
    req = ctx.request
    if not (req.channel and req.legal_basis and req.requesting_state and req.requested_state):
        return None
    lk = link(ctx.book.instruments, req.legal_basis, req.requesting_state, req.requested_state,
              ctx.today)  # fmt: skip
    if lk is None or not lk.linked or not opens_directly(lk.instrument, req.channel):
        return None
    return lk
