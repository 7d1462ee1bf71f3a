"""Telling the user who must act next: in-app notifications, and e-mail when an SMTP
server is configured.

Notifications are written in the same transaction as the step that causes them. E-mail
is sent after commit (``send_pending``), so a rolled-back step never sends a message,
and a message that could not be sent stays pending for the next attempt.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Callable, Iterable
from email.message import EmailMessage
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import update
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from mlat.config import SmtpSettings
from mlat.dates import local_today
from mlat.labels import ROLE_LABELS
from mlat.messages import N_
from mlat.models import (
    MlaRequest,
    Notification,
    NotificationKind,
    RequestEditor,
    Role,
    RuleReport,
    Unit,
    User,
    UserRole,
    WorkflowAction,
    utcnow,
)
from mlat.services import webhook_events

# What each kind of notification says; %(reference)s is the request's reference, or the
# address of the rule a report is about; %(actor)s the administrator who changed the
# user's account.
MESSAGES: dict[str, str] = {
    NotificationKind.review_needed: N_("%(reference)s is waiting for your review."),
    NotificationKind.case_changed: N_(
        "%(reference)s, a request of one of your cases, took a step: see the case."
    ),
    NotificationKind.changed_in_review: N_(
        "%(reference)s was changed while in review: look at it again before you decide."
    ),
    NotificationKind.returned: N_("%(reference)s was returned to you with comments."),
    NotificationKind.approved: N_("%(reference)s was approved and is waiting for signature."),
    NotificationKind.signed: N_("%(reference)s was signed and can be transmitted."),
    NotificationKind.preservation_lapsing: N_(
        "The preservation for %(reference)s lapses within 14 days."
    ),
    NotificationKind.preservation_urgent: N_(
        "The preservation for %(reference)s lapses within 7 days."
    ),
    NotificationKind.rule_reported: N_("The rule %(reference)s was reported as wrong."),
    NotificationKind.password_reset: N_("%(actor)s set a new password for your account."),
    NotificationKind.two_factor_reset: N_(
        "%(actor)s reset the two-factor authentication of your account."
    ),
    NotificationKind.access_changed: N_("%(actor)s changed your roles or your unit."),
    NotificationKind.deactivated: N_("%(actor)s deactivated your account."),
}
ACCOUNT_KINDS = frozenset(
    {
        NotificationKind.password_reset,
        NotificationKind.two_factor_reset,
        NotificationKind.access_changed,
        NotificationKind.deactivated,
    }
)
# What the e-mail about a change to one's account adds: what follows from it, who made it
# and when, and what to do about a change one did not expect.
ACCOUNT_CONSEQUENCES: dict[str, str] = {
    NotificationKind.password_reset: N_(
        "Your open sessions were ended. Log in with the password the administrator gives "
        "you, then choose your own."
    ),
    NotificationKind.two_factor_reset: N_(
        "Your open sessions were ended. You set up your authenticator app again when you "
        "next log in."
    ),
    NotificationKind.access_changed: N_("Your roles are now: %(roles)s. Your unit: %(unit)s."),
    NotificationKind.deactivated: N_("You can no longer log in."),
}
CHANGED_BY = N_("Changed by %(name)s <%(email)s> on %(when)s.")
CHANGED_BY_OPERATOR = N_("Changed on the server's command line on %(when)s.")
NOT_EXPECTED = N_(
    "If you did not expect this change, contact your unit at once: someone may be trying "
    "to take over your account."
)
OPERATOR = N_("An operator of the server")
REPORT_SOURCE = N_("Source: %(title)s, %(url)s")
REPORT_COMMENT = N_("What is wrong, according to %(name)s:")
PRESERVATION_LEVELS = (
    (NotificationKind.preservation_urgent, 7),
    (NotificationKind.preservation_lapsing, 14),
)
SEND_BATCH = 200
WRITTEN = "notifications_written"
"""The key of ``Session.info`` that says the transaction wrote notifications to e-mail."""


def _unit_members(session: Session, unit_id: int, role: Role) -> list[User]:
    return list(
        session.exec(
            select(User)
            .join(UserRole, col(UserRole.user_id) == col(User.id))
            .where(User.unit_id == unit_id, User.active, UserRole.role == role)
        )
    )


def _reviewers(session: Session, request: MlaRequest) -> list[User]:
    """The unit's reviewers who may approve it: not those who drafted or changed it."""
    editors = set(
        session.exec(select(RequestEditor.user_id).where(RequestEditor.request_id == request.id))
    ) | {request.owner_id}
    reviewers = _unit_members(session, request.unit_id, Role.reviewer)
    return [u for u in reviewers if u.id not in editors]


def notify(
    *,
    session: Session,
    users: Iterable[User],
    request: MlaRequest,
    kind: NotificationKind,
    case_id: int | None = None,
) -> int:
    count = 0
    for user in {u.id: u for u in users}.values():
        assert user.id is not None
        session.add(
            Notification(user_id=user.id, request_id=request.id, kind=kind, case_id=case_id)
        )
        count += 1
    if count:
        session.info[WRITTEN] = True
    return count


# The notifications an action makes stale: a review once the request is approved or
# returned, a signature once it is signed or changed, a return once it is resubmitted.
SETTLED: dict[WorkflowAction, tuple[NotificationKind, ...]] = {
    WorkflowAction.approve: (NotificationKind.review_needed, NotificationKind.changed_in_review),
    WorkflowAction.return_: (NotificationKind.review_needed, NotificationKind.changed_in_review),
    WorkflowAction.submit: (NotificationKind.returned,),
    WorkflowAction.edit_after_approval: (NotificationKind.approved,),
    WorkflowAction.sign: (NotificationKind.approved,),
    WorkflowAction.withdraw: (
        NotificationKind.review_needed,
        NotificationKind.changed_in_review,
        NotificationKind.returned,
        NotificationKind.approved,
    ),
}


def after_transition(
    *, session: Session, request: MlaRequest, action: WorkflowAction, actor: User
) -> set[int]:
    """Notify whoever must act after ``action``; never the person who just acted. What the
    action settles is no longer anyone's to do: those notifications are marked read.
    Returns the ids of the users notified."""
    settled = SETTLED.get(action, ())
    if settled:
        session.execute(
            update(Notification)
            .where(
                col(Notification.request_id) == request.id,
                col(Notification.kind).in_([str(kind) for kind in settled]),
                col(Notification.read_at).is_(None),
            )
            .values(read_at=utcnow())
        )
    owner = session.get(User, request.owner_id)
    recipients: dict[WorkflowAction, list[User]] = {
        WorkflowAction.submit: _reviewers(session, request),
        WorkflowAction.edit_after_approval: _reviewers(session, request),
        WorkflowAction.edit_in_review: _reviewers(session, request),
        WorkflowAction.return_: [owner] if owner else [],
        WorkflowAction.approve: _unit_members(session, request.unit_id, Role.prosecutor),
        WorkflowAction.sign: [owner] if owner else [],
    }
    kinds = {
        WorkflowAction.submit: NotificationKind.review_needed,
        WorkflowAction.edit_after_approval: NotificationKind.review_needed,
        WorkflowAction.edit_in_review: NotificationKind.changed_in_review,
        WorkflowAction.return_: NotificationKind.returned,
        WorkflowAction.approve: NotificationKind.approved,
        WorkflowAction.sign: NotificationKind.signed,
    }
    if action not in kinds:
        return set()
    users = [u for u in recipients[action] if u.id != actor.id and u.active]
    notify(session=session, users=users, request=request, kind=kinds[action])
    return {u.id for u in users if u.id is not None}


def after_rule_report(*, session: Session, report: RuleReport) -> int:
    """Tell the administrators of the reporter's unit, but not the reporter."""
    admins = [
        u for u in _unit_members(session, report.unit_id, Role.admin) if u.id != report.reporter_id
    ]
    for user in admins:
        assert user.id is not None
        session.add(
            Notification(
                user_id=user.id, rule_report_id=report.id, kind=NotificationKind.rule_reported
            )
        )
    if admins:
        session.info[WRITTEN] = True
    return len(admins)


def account_changed(
    *, session: Session, user: User, kind: NotificationKind, actor: User | None
) -> None:
    """Tell the user that an administrator (``actor``; None: an operator on the command
    line) changed their account; e-mailed once the change is committed."""
    assert user.id is not None and kind in ACCOUNT_KINDS
    session.add(
        Notification(user_id=user.id, kind=kind, actor_id=actor.id if actor is not None else None)
    )
    session.info[WRITTEN] = True


def preservation_warnings(*, session: Session, today: dt.date | None = None) -> int:
    """Tell owners whose preservation lapses within 14 and again within 7 days, once each
    (and the unit's webhook endpoints that asked for it).

    Each request's days are counted from its unit's calendar day (``today`` overrides it
    for every unit), so a unit ahead of the server is warned on its own day."""
    sent = 0
    for unit in session.exec(select(Unit)):
        sent += _warn_unit(session, unit, today or local_today(unit))
    return sent


def _warn_unit(session: Session, unit: Unit, today: dt.date) -> int:
    sent = 0
    for level, (kind, days) in enumerate(PRESERVATION_LEVELS):
        # A warning at this level, or a more urgent one already given, is enough.
        given = [k for k, _days in PRESERVATION_LEVELS[: level + 1]]
        lapsing = session.exec(
            select(MlaRequest).where(
                MlaRequest.unit_id == unit.id,
                col(MlaRequest.preservation_expires_on) >= today,
                col(MlaRequest.preservation_expires_on) <= today + dt.timedelta(days=days),
                col(MlaRequest.status).not_in(("executed", "refused", "withdrawn", "closed")),
            )
        )
        for request in lapsing.all():
            # The unit's webhooks are told too, once at each level (``webhook_events``).
            webhook_events.preservation_lapsing(session=session, request=request, days=days,
                                                today=today)  # fmt: skip
            already = session.exec(
                select(Notification.id).where(
                    Notification.request_id == request.id, col(Notification.kind).in_(given)
                )
            ).first()
            owner = session.get(User, request.owner_id)
            if already is None and owner is not None and owner.active:
                sent += notify(session=session, users=[owner], request=request, kind=kind)
        session.flush()
    return sent


def unread(*, session: Session, user: User, limit: int = 50) -> list[tuple[Notification, str, str]]:
    """The user's unread notifications, newest first, with the request's reference (or
    the reported rule's address), and the name of the administrator who changed the
    user's account (empty for the other kinds)."""
    actor = aliased(User)
    rows = session.exec(
        select(Notification, MlaRequest.reference, RuleReport.rule_ref, actor.name)
        .outerjoin(MlaRequest, col(MlaRequest.id) == col(Notification.request_id))
        .outerjoin(RuleReport, col(RuleReport.id) == col(Notification.rule_report_id))
        .outerjoin(actor, col(actor.id) == col(Notification.actor_id))
        .where(Notification.user_id == user.id, col(Notification.read_at).is_(None))
        .order_by(col(Notification.id).desc())
        .limit(limit)
    )
    return [(n, reference or rule_ref or "", name or "") for n, reference, rule_ref, name in rows]


def unread_count(*, session: Session, user: User) -> int:
    from sqlalchemy import func

    return session.exec(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, col(Notification.read_at).is_(None))
    ).one()


def mark_read(
    *, session: Session, user: User, notification_ids: Iterable[int] | None = None
) -> None:
    query = update(Notification).where(
        col(Notification.user_id) == user.id, col(Notification.read_at).is_(None)
    )
    if notification_ids is not None:
        query = query.where(col(Notification.id).in_(list(notification_ids)))
    session.execute(query.values(read_at=utcnow()))


def send_pending(
    *,
    session: Session,
    smtp: SmtpSettings,
    base_url: str,
    gettext_in: Callable[[str], Callable[..., str]],
) -> int:
    """E-mail the notifications not yet e-mailed, each in its recipient's language
    (``gettext_in(user.locale)``); commit after each batch."""
    rows = list(
        session.exec(
            select(Notification, User, MlaRequest.reference, RuleReport)
            .join(User, col(User.id) == col(Notification.user_id))
            .outerjoin(MlaRequest, col(MlaRequest.id) == col(Notification.request_id))
            .outerjoin(RuleReport, col(RuleReport.id) == col(Notification.rule_report_id))
            .where(col(Notification.emailed_at).is_(None), col(Notification.read_at).is_(None))
            .order_by(col(Notification.id))
            .limit(SEND_BATCH)
        )
    )
    if not rows:
        return 0
    with smtplib.SMTP(smtp.host, smtp.port, timeout=10) as server:
        if smtp.starttls:
            server.starttls()
        if smtp.username:
            server.login(smtp.username, smtp.password)
        for notification, recipient, reference, report in rows:
            email = recipient.email
            gettext = gettext_in(recipient.locale)
            message = EmailMessage()
            actor = session.get(User, notification.actor_id) if notification.actor_id else None
            text = gettext(
                MESSAGES.get(notification.kind, "%(reference)s"),
                reference=report.rule_ref if report else reference,
                actor=actor.name if actor is not None else gettext(OPERATOR),
            )
            message["Subject"] = text
            message["From"] = smtp.sender
            message["To"] = email
            if report is not None:
                body = _report_body(session, report, base_url, gettext)
            elif notification.kind in ACCOUNT_KINDS:
                body = _account_body(session, notification, actor, base_url, gettext)
            elif notification.case_id is not None:
                body = f"{base_url}/cases/{notification.case_id}\n"
            else:
                body = f"{base_url}/requests/{notification.request_id}\n"
            message.set_content(f"{text}\n\n{body}")
            try:
                server.send_message(message)
            except smtplib.SMTPRecipientsRefused:
                continue  # stays pending; it must not hold up the messages after it
            notification.emailed_at = utcnow()
            session.add(notification)
    session.commit()
    return len(rows)


def _report_body(
    session: Session, report: RuleReport, base_url: str, gettext: Callable[..., str]
) -> str:
    """The rule's source and the reporter's words, then where to resolve the report."""
    reporter = session.get(User, report.reporter_id)
    source = gettext(REPORT_SOURCE, title=report.source_title, url=report.source_url)
    said = gettext(REPORT_COMMENT, name=reporter.name if reporter else "")
    return f"{source}\n\n{said}\n{report.comment}\n\n{base_url}/admin/rule-reports\n"


def _account_body(
    session: Session,
    notification: Notification,
    actor: User | None,
    base_url: str,
    gettext: Callable[..., str],
) -> str:
    """What the change means, who made it and when (in the user's unit's time), and
    what to do when it was not expected."""
    user = session.get_one(User, notification.user_id)
    roles = ", ".join(gettext(ROLE_LABELS[r]) for r in sorted(user.roles)) or gettext("none")
    consequence = gettext(ACCOUNT_CONSEQUENCES[notification.kind], roles=roles,
                          unit=user.unit.name)  # fmt: skip
    when = _local_time(notification.created_at, user.unit.timezone)
    if actor is not None:
        by = gettext(CHANGED_BY, name=actor.name, email=actor.email, when=when)
    else:
        by = gettext(CHANGED_BY_OPERATOR, when=when)
    return f"{consequence}\n\n{by}\n\n{gettext(NOT_EXPECTED)}\n\n{base_url}/login\n"


def _local_time(moment: dt.datetime, timezone: str) -> str:
    """A stored time as the user's unit reads it: 2026-12-06 14:05 (Asia/Qatar)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone, timezone = ZoneInfo("UTC"), "UTC"
    return f"{aware.astimezone(zone):%Y-%m-%d %H:%M} ({timezone})"


def send_notification_emails(
    *,
    session: Session,
    smtp: SmtpSettings | None,
    base_url: str,
    gettext_in: Callable[[str], Callable[..., str]],
    logger: logging.Logger,
) -> None:
    """E-mail pending notifications when an SMTP server is configured. Called after the
    action that wrote them is committed: a failure to send leaves them pending and never
    undoes the action."""
    session.info.pop(WRITTEN, None)
    if smtp is None:
        return
    try:
        send_pending(session=session, smtp=smtp, base_url=base_url, gettext_in=gettext_in)
    except (OSError, smtplib.SMTPException):
        session.rollback()
        logger.warning("Could not send notification e-mails", exc_info=True)
