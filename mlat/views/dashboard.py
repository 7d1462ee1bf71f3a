"""The dashboard, search, statistics, and drafting a preservation extension."""

from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response

from forms.filters import SearchForm
from forms.stats import StatisticsForm
from mlat.audit_actions import AuditAction
from mlat.auth import audit, role_required, the_user
from mlat.charts import Bar, bar_chart
from mlat.countries import state_name as _state_name
from mlat.dates import local_today
from mlat.db import get_session
from mlat.i18n import label, status_label
from mlat.models import Role
from mlat.services.dashboard import dashboard
from mlat.services.deadlines import draft_extension
from mlat.services.search import MATCH_LABELS, search
from mlat.services.stats import Median, Period, Statistics, StatisticsCache
from mlat.views.common import list_filter_form, visible_request
from mlat.views.transaction import attempt, commit

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
def index() -> str:
    user = the_user()
    board = dashboard(session=get_session(), user=user, today=local_today(user.unit))
    return render_template("dashboard/index.html", board=board)


@bp.get("/search")
def search_page() -> str:
    """Full-text search of the unit's requests, narrowed by the request list's filters."""
    user, db = the_user(), get_session()
    form = SearchForm(request.args)
    filters, _owners, problems = list_filter_form(db, user)
    found = None
    if form.q.data and form.validate():
        found = search(session=db, user=user, query=form.q.data,
                       filters=filters.list_filters(timezone=user.unit.timezone),
                       today=local_today(user.unit))  # fmt: skip
        # A search for a name or an identifier consults personal data across requests:
        # who searched for what is recorded, with the requests it showed.
        query = " ".join(form.q.data.split())[:200]
        shown = [hit.request.id for hit in found.hits]
        audit(AuditAction.request_search, object_type="search",
              details={"query": query, "requests_shown": shown})  # fmt: skip
        commit()
    # Translated once here, not once per match.
    labels = {kind: _(text) for kind, text in MATCH_LABELS.items()}
    return render_template("dashboard/search.html", form=form, found=found, labels=labels,
                           filters=filters, problems=problems,
                           query_args=filters.query_args())  # fmt: skip


def state_name(code: str) -> str:
    return _state_name(code, str(get_locale() or "en"))


def _median_chart(chart_id: str, title: str, medians: list[Median]) -> Markup:
    bars = [
        Bar(state_name(m.requested_state), m.days, format_decimal(m.days, "#,##0.#"))
        for m in medians
    ]
    return bar_chart(chart_id=chart_id, title=title, bars=bars)


def _period_form() -> StatisticsForm:
    form = StatisticsForm(request.args)
    form.prepare(local_today(the_user().unit))
    return form


def _statistics(period: Period) -> tuple[Statistics, dt.datetime]:
    """The unit's statistics for the period, as worked out at most two minutes ago."""
    kept: StatisticsCache = current_app.extensions["mlat_statistics"]
    return kept.get(session=get_session(), user=the_user(), period=period)


@bp.get("/statistics")
def statistics_page() -> str | tuple[str, int]:
    form = _period_form()
    valid = not request.args or form.validate()
    period = form.period() if valid else Period()
    stats, worked_out = _statistics(period)
    status_title = _("Requests per status")
    state_title = _("Requests per requested state")
    measure_title = _("Requests per measure")
    approval_title = _("Median days from draft to approval, per requested state")
    execution_title = _("Days from transmission to execution, per requested state")
    charts = {
        "status": bar_chart(
            chart_id="chart-status",
            title=status_title,
            bars=[Bar(status_label(s), n, format_decimal(n)) for s, n in stats.by_status],
        ),
        "state": bar_chart(
            chart_id="chart-state",
            title=state_title,
            bars=[Bar(state_name(s), n, format_decimal(n)) for s, n in stats.by_state],
        ),
        "measure": bar_chart(
            chart_id="chart-measure",
            title=measure_title,
            bars=[Bar(label("measure", m), n, format_decimal(n)) for m, n in stats.by_measure],
        ),
        "approval": _median_chart("chart-approval", approval_title, stats.draft_to_approval),
        "execution": bar_chart(
            chart_id="chart-execution",
            title=execution_title,
            bars=[
                Bar(state_name(t.requested_state), t.median, format_decimal(t.median, "#,##0.#"))
                for t in stats.transmission_to_execution
            ],
        ),
    }
    titles = {
        "status": status_title,
        "state": state_title,
        "measure": measure_title,
        "approval": approval_title,
        "execution": execution_title,
    }
    page = render_template(
        "dashboard/statistics.html",
        stats=stats,
        worked_out=worked_out,
        charts=charts,
        titles=titles,
        form=form,
    )
    return page if valid else (page, 400)


@bp.get("/statistics.csv")
def statistics_csv() -> Response | str | tuple[str, int]:
    """Per requested state: requests, executed, and the days to execution against the
    rule table's typical time, for the same period as the page."""
    form = _period_form()
    if request.args and not form.validate():
        return statistics_page()
    stats, _worked_out = _statistics(form.period())
    timings = {t.requested_state: t for t in stats.transmission_to_execution}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [_("Requested state"), _("Requests"), _("Executed"), _("Median days to execution"),
         _("90th percentile (days)"), _("Typical days (rule table)")]
    )  # fmt: skip
    for state, count in stats.by_state:
        timing = timings.get(state)
        writer.writerow(
            [state_name(state), count, timing.count if timing else 0,
             timing.median if timing else "", timing.p90 if timing else "",
             (timing.typical_days or "") if timing else ""]
        )  # fmt: skip
    period = form.period()
    shown = {"from": str(period.start or ""), "to": str(period.end or "")}
    audit(AuditAction.statistics_export, object_type="statistics", details=shown)
    commit()
    response = Response(out.getvalue(), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="statistics.csv"'
    return response


@bp.post("/requests/<int:request_id>/extension")
@role_required(Role.officer)
def extension(request_id: int) -> Response:
    """Draft a request to extend the preservation obtained by this one."""
    user = the_user()
    original = visible_request(request_id)
    with attempt() as done:
        draft = draft_extension(
            session=get_session(),
            original=original,
            owner=user,
            title=_("Extension of preservation: %(title)s", title=original.title),
            today=local_today(user.unit),
        )
    if not done:
        return redirect(url_for("requests.show", request_id=request_id), 303)
    flash(
        _("Extension request %(ref)s drafted from %(original)s. Check it and submit it.",
          ref=draft.reference, original=original.reference),
        "success",
    )  # fmt: skip
    return redirect(url_for("requests.show", request_id=draft.id), 303)
