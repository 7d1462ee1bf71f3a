"""Reporting a rule as wrong, from every page that shows a rule's citation."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from forms.rules import RuleReportForm
from mlat.auth import the_user
from mlat.db import get_session
from mlat.rules.provenance import Citation
from mlat.services import NotFound, rule_reports
from mlat.views.common import safe_next
from mlat.views.transaction import attempt

bp = Blueprint("rule_reports", __name__, url_prefix="/rules")


def _this_page() -> str:
    """The page the user is reading: this one, or, for a part a script fetched into a
    page (the wizard's live check), the page it was fetched into."""
    if request.method == "GET":
        return request.full_path.removesuffix("?")
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host:
        return ""
    return referrer.path + (f"?{referrer.query}" if referrer.query else "")


@bp.app_template_global()
def rule_report_url(cite: Citation) -> str:
    """Where to report the cited rule, coming back to this page afterwards."""
    return url_for("rule_reports.new", ref=cite.ref, next=_this_page() or None)


@bp.route("/report/<ref>", methods=["GET", "POST"])
def new(ref: str) -> str | Response | tuple[str, int]:
    try:
        rule = rule_reports.find_rule(ref=ref)
    except NotFound:
        abort(404)
    form = RuleReportForm()
    back = safe_next(request.args.get("next"), url_for("rules.index"))
    if form.validate_on_submit():
        with attempt(flash_error=False) as done:
            rule_reports.report_rule(session=get_session(), ref=ref, reporter=the_user(),
                                     comment=form.comment.data,
                                     client_addr=request.remote_addr or "")  # fmt: skip
        if done.error is None:
            flash(_("Thank you: your unit's administrators have your report."), "success")
            return redirect(back)
        form.comment.errors.append(done.error.translated(_, ngettext))
    page = render_template("rules/report.html", form=form, rule=rule, back=back)
    return (page, 400) if form.errors else page
