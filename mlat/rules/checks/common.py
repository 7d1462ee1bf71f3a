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
