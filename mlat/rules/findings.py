"""What the validation engine and its checks share: a finding, the context every check
sees, and the shape of a check. Kept apart from the engine, so that the checks
(``mlat.rules.checks``) and the engine that runs them do not import each other.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any, Literal

from mlat.request_format import RequestDocument
from mlat.rules.citations import rule_citation
from mlat.rules.loader import RuleBook
from mlat.rules.provenance import Citation
from mlat.rules.schema import MeasureRule, Ruled, StateTable
from mlat.rules.words import ENGLISH, Speaker

Severity = Literal["error", "warning", "info"]
SEVERITY_ORDER: dict[Severity, int] = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    field: str  # path in the request format, e.g. identifiers[2].observed_at
    template: str  # N_-marked message with %(name)s parameters
    params: dict[str, Any] = dataclass_field(default_factory=dict)
    citation: Citation | None = None
    plural: str = ""  # the plural form of an Np_-marked message, chosen by params["n"]
    # An error that rests on a rule not verified against a primary source, shown as a
    # warning (``mlat.rules.engine.soften``).
    unconfirmed: bool = False

    @property
    def message(self) -> str:
        """The message in English."""
        return self.translated(ENGLISH)

    def translated(self, speaker: Speaker) -> str:
        return speaker.say(self.template, self.params, self.plural)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity,
            "field": self.field,
            "message": self.message,
            "citation": self.citation.as_dict() if self.citation else None,
            "unconfirmed": self.unconfirmed,
        }


@dataclass(frozen=True)
class Context:
    """What every check sees: the request, the rule book and the day of the check."""

    request: RequestDocument
    book: RuleBook
    today: dt.date

    @property
    def table(self) -> StateTable | None:
        code = self.request.requested_state
        return self.book.state(code) if code else None

    def cite(self, rule: Ruled) -> Citation | None:
        table = self.table
        if table is None:
            return None
        return rule_citation(table, rule, self.today)

    def measure_rules(self) -> Iterator[tuple[int, MeasureRule | None]]:
        table = self.table
        for index, measure in enumerate(self.request.measures):
            yield index, table.measures.get(measure.kind) if table else None


Check = Callable[[Context], Iterator[Finding]]
