"""Reports that a rule of the tables is wrong: made by any user from where the rule is
shown, read and resolved by the administrators of the reporter's unit.

A report keeps the rule's source as it stood when reported; the unit's administrators
are told in the same transaction (``notifications.after_rule_report``), and the report
and its resolution are audited.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from mlat.audit_actions import AuditAction
from mlat.messages import N_, Np_
from mlat.models import RuleReport, RuleReportStatus, User, utcnow
from mlat.rules.loader import RuleBook, rulebook
from mlat.rules.refs import RuleAt, rule_at
from mlat.services import NotFound, ServiceError, audit, notifications

COMMENT_MAX = 5000


def find_rule(*, ref: str, book: RuleBook | None = None) -> RuleAt:
    """The rule at ``ref`` in the packaged tables (or ``book``)."""
    found = rule_at(book or rulebook(), ref)
    if found is None:
        raise NotFound(N_("There is no rule %(ref)s."), ref=ref)
    return found


def report_rule(
    *, session: Session, ref: str, reporter: User, comment: str, client_addr: str = ""
) -> RuleReport:
    """Record that the rule at ``ref`` is wrong, and tell the unit's administrators."""
    rule = find_rule(ref=ref)
    comment = comment.strip()
    if not comment:
        raise ServiceError(N_("Say what is wrong with the rule."))
    if len(comment) > COMMENT_MAX:
        raise ServiceError(
            Np_(
                "Keep the comment under %(n)d character.",
                "Keep the comment under %(n)d characters.",
            ),
            n=COMMENT_MAX,
        )
    assert reporter.id is not None and reporter.unit_id is not None
    report = RuleReport(
        rule_ref=rule.ref,
        source_title=rule.source.title,
        source_url=str(rule.source.url),
        source_verified_on=rule.verified_on,
        reporter_id=reporter.id,
        unit_id=reporter.unit_id,
        comment=comment,
    )
    session.add(report)
    session.flush()
    notifications.after_rule_report(session=session, report=report)
    audit.record(
        session=session,
        action=AuditAction.rule_report,
        user=reporter,
        object_type="rule_report",
        object_id=report.id,
        details={"rule": rule.ref, "source": report.source_url, "comment": comment},
        client_addr=client_addr,
    )
    return report


def list_reports(
    *, session: Session, user: User, status: RuleReportStatus = RuleReportStatus.open
) -> list[tuple[RuleReport, str]]:
    """The reports of the user's unit in ``status``, newest first, with the reporter's
    name."""
    rows = session.exec(
        select(RuleReport, User.name)
        .join(User, col(User.id) == col(RuleReport.reporter_id))
        .where(RuleReport.unit_id == user.unit_id, RuleReport.status == status)
        .order_by(col(RuleReport.created_at).desc(), col(RuleReport.id).desc())
    )
    return [(report, name) for report, name in rows]


def get_report(*, session: Session, user: User, report_id: int) -> RuleReport:
    """A report of the user's unit; another unit's is as missing as one that does not
    exist."""
    report = session.get(RuleReport, report_id)
    if report is None or report.unit_id != user.unit_id:
        raise NotFound(N_("This report does not exist."))
    return report


def resolve_report(
    *, session: Session, report: RuleReport, resolver: User, note: str, client_addr: str = ""
) -> RuleReport:
    """Close a report, saying what was done about it."""
    note = note.strip()
    if report.status == RuleReportStatus.resolved:
        raise ServiceError(N_("This report has been resolved already."))
    if not note:
        raise ServiceError(N_("Say what was done about the report."))
    report.status = RuleReportStatus.resolved
    report.resolved_by = resolver.id
    report.resolved_at = utcnow()
    report.resolution = note
    session.add(report)
    session.flush()
    audit.record(
        session=session,
        action=AuditAction.rule_report_resolve,
        user=resolver,
        object_type="rule_report",
        object_id=report.id,
        details={"rule": report.rule_ref, "resolution": note},
        client_addr=client_addr,
    )
    return report


def people_of(*, session: Session, report: RuleReport) -> dict[str, str]:
    """The names of who reported the rule and, once resolved, who resolved the report."""
    reporter = session.get(User, report.reporter_id)
    resolver = session.get(User, report.resolved_by) if report.resolved_by else None
    return {"reporter": reporter.name if reporter else "",
            "resolver": resolver.name if resolver else ""}  # fmt: skip
