"""The validation engine: request + rule tables + today's date -> findings.

A pure function with no I/O. Each check is a small function in ``mlat.rules.checks``
that yields findings; messages are ``N_``-marked templates with parameters, so the web
pages translate them while the CLI prints them as they are.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from typing import Any

from mlat.request_format import RequestDocument
from mlat.rules.checks import ALL_CHECKS
from mlat.rules.findings import SEVERITY_ORDER, Check, Context, Finding
from mlat.rules.loader import RuleBook


def validate(
    request: RequestDocument, book: RuleBook, today: dt.date, checks: Sequence[Check] | None = None
) -> list[Finding]:
    """Every finding for the request, errors first, then in the order of the request."""
    context = Context(request=request, book=book, today=today)
    findings = [soften(f) for check in (checks or ALL_CHECKS) for f in check(context)]
    return sorted(findings, key=lambda f: SEVERITY_ORDER[f.severity])


def soften(finding: Finding) -> Finding:
    """An error that rests on a rule not verified against a primary source (read in a copy,
    never read, or read more than 12 months ago) is a warning: it names a likely problem,
    but a request is not blocked by a rule nobody has confirmed."""
    cited = finding.citation
    if finding.severity != "error" or cited is None or cited.status == "verified":
        return finding
    return dataclasses.replace(finding, severity="warning", unconfirmed=True)


def summary(findings: list[Finding]) -> dict[str, Any]:
    """The validation result as the CLI and the API print it."""
    return {
        "findings": [f.as_dict() for f in findings],
        "errors": sum(f.severity == "error" for f in findings),
        "warnings": sum(f.severity == "warning" for f in findings),
    }
