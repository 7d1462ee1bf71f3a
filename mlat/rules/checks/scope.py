"""Whether the request falls within the scope of the instrument it relies on.

Offences are free text, so the check can only compare what the request states
(maximum penalties, the measures sought, the words of the offences and facts) with
the instrument's ``scope`` in the catalogue, and otherwise reminds the drafter what to
confirm. It never raises an error: whether an offence is covered is for a person to judge.
"""

from __future__ import annotations

from collections.abc import Iterator

from mlat.messages import N_
from mlat.request_format import RequestDocument
from mlat.rules.findings import Context, Finding, Severity
from mlat.rules.fit import (
    COMPUTER_WORDS,
    CORRUPTION_WORDS,
    ELECTRONIC_EVIDENCE,
    ORGANISED_GROUP_WORDS,
    TRANSNATIONAL_WORDS,
)
from mlat.rules.provenance import citation
from mlat.rules.refs import catalogue_ref
from mlat.rules.schema import Instrument, Scope


class _Scoped:
    """The instrument a request relies on, and how to cite its scope in a finding."""

    def __init__(self, ctx: Context, inst: Instrument, scope: Scope) -> None:
        self.ctx, self.inst, self.scope = ctx, inst, scope

    def finding(
        self, code: str, severity: Severity, path: str, template: str, **params: str
    ) -> Finding:
        cite = citation(
            self.ctx.book.instruments.sources,
            self.scope.cite,
            self.scope,
            self.ctx.today,
            ref=catalogue_ref(self.ctx.request.legal_basis or ""),
        )
        article = self.scope.article or self.scope.locator
        return Finding(
            code,
            severity,
            path,
            template,
            {"name": self.inst.name, "article": article, **params},
            cite,
        )


def check_scope(ctx: Context) -> Iterator[Finding]:
    req = ctx.request
    inst = ctx.book.instruments.instruments.get(req.legal_basis) if req.legal_basis else None
    if inst is None or inst.scope is None or not req.offences:
        return
    scoped = _Scoped(ctx, inst, inst.scope)
    yield from _penalty(req, scoped)
    yield from _offence_kind(req, scoped)
    yield from _transnational_organised(req, scoped)


def _offence_text(req: RequestDocument) -> str:
    return " ".join(f"{o.name} {o.citation} {o.equivalent_offence}" for o in req.offences)


def _penalty(req: RequestDocument, scoped: _Scoped) -> Iterator[Finding]:
    minimum = scoped.scope.min_penalty_years
    penalties = [o.max_penalty_years for o in req.offences]
    known = [p for p in penalties if p is not None]
    if minimum is None or len(known) < len(penalties) or max(known) >= minimum:
        return
    yield scoped.finding(
        "scope_penalty_below",
        "warning",
        "legal_basis",
        N_(
            "%(name)s covers serious crime, punishable by at least %(years)s years "
            "(%(article)s); the offences in this request carry at most %(highest)s years. "
            "Choose another legal basis, or confirm that the instrument applies."
        ),
        years=f"{minimum:g}",
        highest=f"{max(known):g}",
    )


def _offence_kind(req: RequestDocument, scoped: _Scoped) -> Iterator[Finding]:
    kind = scoped.scope.offences
    text = _offence_text(req)
    if kind == "any_with_electronic_evidence":
        sought = {m.kind for m in req.measures}
        if sought and not sought & ELECTRONIC_EVIDENCE and not COMPUTER_WORDS.search(text):
            yield scoped.finding(
                "scope_no_electronic_evidence",
                "warning",
                "legal_basis",
                N_(
                    "%(name)s covers offences related to computer systems and data, and "
                    "evidence in electronic form of any offence (%(article)s). No measure "
                    "seeks electronic evidence and no offence looks computer-related: "
                    "confirm that the instrument applies."
                ),
            )
    elif kind == "computer_related" and not COMPUTER_WORDS.search(text):
        yield scoped.finding(
            "scope_not_computer_related",
            "warning",
            "legal_basis",
            N_(
                "%(name)s covers offences against or by means of computer systems "
                "(%(article)s). No offence in this request looks like one: confirm that "
                "the offence is covered before relying on it."
            ),
        )
    elif kind == "corruption" and not CORRUPTION_WORDS.search(text):
        yield scoped.finding(
            "scope_not_corruption",
            "warning",
            "legal_basis",
            N_(
                "%(name)s covers corruption offences (%(article)s). No offence in this "
                "request looks like one: confirm that the offence is one established under "
                "the convention before relying on it."
            ),
        )
    elif kind == "convention_offences":
        yield scoped.finding(
            "scope_convention_offences",
            "info",
            "legal_basis",
            N_(
                "%(name)s covers the offences established under it (%(article)s): confirm "
                "that each offence in this request is one of them."
            ),
        )


def _transnational_organised(req: RequestDocument, scoped: _Scoped) -> Iterator[Finding]:
    scope = scoped.scope
    transnational = scope.transnational and not TRANSNATIONAL_WORDS.search(req.facts)
    organised = scope.organised_group and not ORGANISED_GROUP_WORDS.search(req.facts)
    if transnational and organised:
        template = N_(
            "%(name)s applies where the offence is transnational in nature and involves an "
            "organised criminal group (%(article)s). The facts do not say so: state both, "
            "or choose another legal basis."
        )
    elif transnational:
        template = N_(
            "%(name)s applies where the offence is transnational in nature (%(article)s). "
            "The facts do not say so: state it, or choose another legal basis."
        )
    elif organised:
        template = N_(
            "%(name)s applies where the offence involves an organised criminal group "
            "(%(article)s). The facts do not say so: state it, or choose another legal basis."
        )
    else:
        return
    yield scoped.finding("scope_transnational_organised", "info", "facts", template)
