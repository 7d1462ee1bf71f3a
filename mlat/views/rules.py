"""A read-only browser of the rule tables, per state and per measure."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, abort, render_template

from mlat.rules.loader import rulebook
from mlat.rules.provenance import Citation, citation, status_of
from mlat.rules.schema import MeasureKind, StateTable

bp = Blueprint("rules", __name__, url_prefix="/rules")


def citations(table: StateTable, today: dt.date) -> dict[str, Citation]:
    """Every rule's citation, keyed by its path in the table (e.g. ``measures.traffic_data``)."""
    return {
        path: citation(table.sources, rule.cite, rule.verified_on, today)
        for path, rule in table.rules()
    }


@bp.get("/")
def index() -> str:
    today = dt.date.today()
    book = rulebook()
    summaries = []
    for table in sorted(book.states.values(), key=lambda t: t.name):
        statuses = [status_of(rule.verified_on, today) for _path, rule in table.rules()]
        summaries.append(
            {
                "table": table,
                "rules": len(statuses),
                "unverified": statuses.count("unverified"),
                "stale": statuses.count("stale"),
            }
        )
    return render_template("rules/index.html", summaries=summaries, measures=list(MeasureKind))


@bp.get("/<code>")
def state(code: str) -> str:
    table = rulebook().state(code)
    if table is None:
        abort(404)
    return render_template(
        "rules/state.html",
        table=table,
        cites=citations(table, dt.date.today()),
        instruments=rulebook().instruments.instruments,
    )


@bp.get("/measure/<kind>")
def measure(kind: str) -> str:
    try:
        measure_kind = MeasureKind(kind)
    except ValueError:
        abort(404)
    today = dt.date.today()
    rows = []
    for table in sorted(rulebook().states.values(), key=lambda t: t.name):
        rule = table.measures.get(measure_kind)
        cite = citation(table.sources, rule.cite, rule.verified_on, today) if rule else None
        rows.append((table, rule, cite))
    return render_template("rules/measure.html", kind=measure_kind, rows=rows)
