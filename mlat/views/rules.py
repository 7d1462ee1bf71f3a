"""A read-only browser of the rule tables, per state and per measure."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, render_template, request
from flask_babel import gettext as _

from forms.rules import RouteForm
from mlat.auth import the_user
from mlat.countries import state_choices
from mlat.dates import local_today
from mlat.i18n import label
from mlat.request_format import MeasureKind
from mlat.rules.instruments import party_citation
from mlat.rules.loader import rulebook
from mlat.rules.provenance import Citation, citation, rule_statuses
from mlat.rules.refs import catalogue_ref, state_ref
from mlat.rules.routes import advise_routes
from mlat.rules.schema import InstrumentCatalogue, StateTable

bp = Blueprint("rules", __name__, url_prefix="/rules")


def citations(table: StateTable, today: dt.date) -> dict[str, Citation]:
    """Every rule's citation, keyed by its path in the table (e.g. ``measures.traffic_data``)."""
    return {
        path: citation(table.sources, rule.cite, rule, today, ref=state_ref(table, path))
        for path, rule in table.rules()
    }


@bp.get("/")
def index() -> str:
    today = local_today(the_user().unit)
    book = rulebook()
    summaries = []
    for table in sorted(book.states.values(), key=lambda t: t.name):
        statuses = list(rule_statuses(table, today).values())
        summaries.append(
            {
                "table": table,
                "rules": len(statuses),
                "unverified": statuses.count("unverified"),
                "stale": statuses.count("stale"),
            }
        )
    return render_template("rules/index.html", summaries=summaries, measures=list(MeasureKind))


def scope_citations(catalogue: InstrumentCatalogue, today: dt.date) -> dict[str, Citation]:
    """The citation of each instrument's scope, keyed by the instrument's slug."""
    return {
        slug: citation(
            catalogue.sources, inst.scope.cite, inst.scope, today, ref=catalogue_ref(slug)
        )
        for slug, inst in catalogue.instruments.items()
        if inst.scope
    }


def party_citations(
    catalogue: InstrumentCatalogue, state: str, today: dt.date
) -> tuple[dict[str, Citation], dict[str, list[Citation]]]:
    """The citation of the state's entry in each instrument, and of its declarations."""
    parties: dict[str, Citation] = {}
    declarations: dict[str, list[Citation]] = {}
    for slug, inst in catalogue.instruments.items():
        party = inst.party(state)
        if party is None:
            continue
        parties[slug] = party_citation(catalogue, slug, party, today)
        ref = catalogue_ref(slug, state)
        declarations[slug] = [
            citation(catalogue.sources, d.cite, d, today, ref=ref) for d in party.declarations
        ]
    return parties, declarations


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
        cites=citations(table, today),
        instruments=catalogue.instruments,
        party_cites=party_cites,
        declaration_cites=declaration_cites,
        scope_cites=scope_citations(catalogue, today),
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
        ref = state_ref(table, f"measures.{measure_kind.value}")
        cite = citation(table.sources, rule.cite, rule, today, ref=ref) if rule else None
        rows.append((table, rule, cite))
    return render_template("rules/measure.html", kind=measure_kind, rows=rows)


@bp.get("/routes")
def routes() -> str:
    """The route advisor: which ways lead to the evidence, fastest first."""
    form = RouteForm(request.args)
    choices = [("", _("Choose a state")), *state_choices()]
    form.requesting.choices = form.requested.choices = choices
    form.measure.choices = [(m.value, label("measure", m)) for m in MeasureKind]
    found = None
    if request.args and form.validate():
        found = advise_routes(
            rulebook(),
            form.requesting.data,
            form.requested.data,
            [MeasureKind(m) for m in form.measure.data or []],
            bool(form.urgent.data),
            local_today(the_user().unit),
        )
    return render_template("rules/routes.html", form=form, routes=found)
