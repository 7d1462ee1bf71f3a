"""The dashboard, search, statistics, and drafting a preservation extension."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response

from forms.filters import SearchForm
from mlat.audit_actions import AuditAction
from mlat.auth import audit, role_required, the_user
from mlat.charts import Bar, bar_chart
from mlat.countries import state_name as _state_name
from mlat.dates import local_today
from mlat.db import get_session
from mlat.i18n import status_label
from mlat.models import Role
from mlat.services.dashboard import dashboard
from mlat.services.deadlines import draft_extension
from mlat.services.search import MATCH_LABELS, search
from mlat.services.stats import Median, statistics
from mlat.views.common import visible_request
from mlat.views.transaction import attempt, commit

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
def index() -> str:
    user = the_user()
    board = dashboard(session=get_session(), user=user, today=local_today(user.unit))
    return render_template("dashboard/index.html", board=board)


@bp.get("/search")
def search_page() -> str:
    form = SearchForm(request.args)
    found = None
    if form.q.data and form.validate():
        db = get_session()
        found = search(session=db, user=the_user(), query=form.q.data)
        # A search for a name or an identifier consults personal data across requests:
        # who searched for what is recorded, with the requests it showed.
        query = " ".join(form.q.data.split())[:200]
        shown = [hit.request.id for hit in found.hits]
        audit(AuditAction.request_search, object_type="search",
              details={"query": query, "requests_shown": shown})  # fmt: skip
        commit()
    # Translated once here, not once per match.
    labels = {kind: _(text) for kind, text in MATCH_LABELS.items()}
    return render_template("dashboard/search.html", form=form, found=found, labels=labels)


def state_name(code: str) -> str:
    return _state_name(code, str(get_locale() or "en"))


def _median_chart(chart_id: str, title: str, medians: list[Median]) -> Markup:
    bars = [
        Bar(state_name(m.requested_state), m.days, format_decimal(m.days, "#,##0.#"))
        for m in medians
    ]
    return bar_chart(chart_id=chart_id, title=title, bars=bars)


@bp.get("/statistics")
def statistics_page() -> str:
    stats = statistics(session=get_session(), user=the_user())
    status_title = _("Requests per status")
    state_title = _("Requests per requested state")
    approval_title = _("Median days from draft to approval, per requested state")
    execution_title = _("Median days from transmission to execution, per requested state")
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
        "approval": _median_chart("chart-approval", approval_title, stats.draft_to_approval),
        "execution": _median_chart(
            "chart-execution", execution_title, stats.transmission_to_execution
        ),
    }
    titles = {
        "status": status_title,
        "state": state_title,
        "approval": approval_title,
        "execution": execution_title,
    }
    return render_template("dashboard/statistics.html", stats=stats, charts=charts, titles=titles)


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
