"""What every check module shares: the measures that concern data, the engine's own
thresholds of advice (not legal rules), and a helper that builds a finding."""

from __future__ import annotations

import re

from mlat.request_format import MeasureKind
from mlat.rules.findings import Context, Finding, Severity
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
