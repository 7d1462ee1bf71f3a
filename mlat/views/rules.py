"""A read-only browser of the rule tables, per state and per measure."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _

from forms.rules import CompareForm, RouteForm
from mlat.auth import the_user
from mlat.countries import collation_key, state_choices, state_name
from mlat.dates import local_today
from mlat.i18n import current_language, label
from mlat.request_format import MeasureKind
from mlat.rules.citations import (
    applies_citations,
    party_citations,
    rule_citation,
    scope_citations,
    table_citations,
)
from mlat.rules.loader import rulebook
from mlat.rules.provenance import rule_statuses
from mlat.rules.routes import Case, advise
from mlat.rules.schema import StateTable

bp = Blueprint("rules", __name__, url_prefix="/rules")


@bp.get("/")
def index() -> str:
    today = local_today(the_user().unit)
    summaries = []
    for table in _tables_by_name(current_language()):
        statuses = list(rule_statuses(table, today).values())
        summaries.append(
            {
                "table": table,
                "rules": len(statuses),
                "unverified": statuses.count("unverified"),
                "secondary": statuses.count("secondary"),
                "stale": statuses.count("stale"),
            }
        )
    return render_template("rules/index.html", summaries=summaries, measures=list(MeasureKind))


@bp.get("/<code>")
def state(code: str) -> str:
    table = rulebook().state(code)
    if table is None:
        abort(404)
    today = local_today(the_user().unit)
    catalogue = rulebook().instruments
    party_cites, declaration_cites = party_citations(catalogue, table.state, today)
    return render_template(
        "rules/state.html",
        table=table,
        cites=table_citations(table, today),
        instruments=catalogue.instruments,
        party_cites=party_cites,
        declaration_cites=declaration_cites,
        scope_cites=scope_citations(catalogue, today),
        applies_cites=applies_citations(catalogue, today),
    )


@bp.get("/measure/<kind>")
def measure(kind: str) -> str:
    try:
        measure_kind = MeasureKind(kind)
    except ValueError:
        abort(404)
    today = local_today(the_user().unit)
    rows = []
    for table in sorted(rulebook().states.values(), key=lambda t: t.name):
        rule = table.measures.get(measure_kind)
        cite = rule_citation(table, rule, today) if rule else None
        rows.append((table, rule, cite))
    return render_template("rules/measure.html", kind=measure_kind, rows=rows)


@bp.get("/routes")
def routes() -> str:
    """The route advisor: which ways lead to the evidence, fastest first."""
    form = RouteForm(request.args)
    choices = [("", _("Choose a state")), *state_choices(current_language())]
    form.requesting.choices = form.requested.choices = choices
    form.provider_state.choices = [("", _("Not known")), *state_choices(current_language())]
    form.provider.choices = [
        ("", _("Not known")),
        *sorted(((p.slug, p.name) for p in rulebook().providers.values()), key=lambda c: c[1]),
    ]
    form.measure.choices = [(m.value, label("measure", m)) for m in MeasureKind]
    found = None
    if request.args and form.validate():
        penalty = form.max_penalty_years.data
        case = Case(
            requesting=form.requesting.data,
            requested=form.requested.data,
            measures=frozenset(MeasureKind(m) for m in form.measure.data or []),
            urgent=bool(form.urgent.data or form.danger_to_life.data),
            emergency=bool(form.danger_to_life.data),
            provider_states=frozenset({form.provider_state.data} - {"", None}),
            providers=frozenset({form.provider.data} - {"", None}),
            max_penalty_years=float(penalty) if penalty is not None else None,
            offence_text=form.offence.data or "",
            organised_group=bool(form.organised_group.data),
        )
        found = advise(rulebook(), case, local_today(the_user().unit))
    return render_template("rules/routes.html", form=form, advice=found)


# What the comparison can put side by side, in the order of a state's page; the measures follow.
DIMENSIONS = ("central_authority", "contact_24_7", "provider_authority", "channels", "languages",
              "dual_criminality", "preservation", "urgency", "confidentiality", "assurances",
              "formalities", "execution", "de_minimis")  # fmt: skip


@bp.get("/compare")
def compare() -> str:
    """Two or more states side by side on one dimension of their rule tables."""
    language = current_language()
    tables = _tables_by_name(language)
    form = CompareForm(request.args)
    form.states.choices = [(t.state, state_name(t.state, language)) for t in tables]
    form.region.choices = [("", _("Any")), *((r, r) for r in sorted({t.region for t in tables}))]
    form.dimension.choices = [
        *((key, key) for key in DIMENSIONS),
        *((f"measures.{m.value}", label("measure", m)) for m in MeasureKind),
    ]
    rows = []
    if request.args and form.validate():
        chosen = set(form.states.data or [])
        today = local_today(the_user().unit)
        rows = [
            (table, table_citations(table, today))
            for table in tables
            if table.state in chosen or (not chosen and table.region == form.region.data)
        ]
    return render_template("rules/compare.html", form=form, rows=rows, dimensions=DIMENSIONS)


def _tables_by_name(language: str) -> list[StateTable]:
    """The rule tables, in the order the language sorts the states' names."""
    by_name = collation_key(language)
    return sorted(rulebook().states.values(), key=lambda t: by_name(state_name(t.state, language)))
