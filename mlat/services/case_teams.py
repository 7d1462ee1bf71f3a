"""A case's joint investigation team: its record (member states, the agreement's period,
purpose and covered measures, the framework it rests on, the signed agreement), and what
it says of a request of the case (``mlat.rules.teams``). Only the lead unit records it;
every unit of the case reads it and downloads the agreement."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, select

from mlat.audit_actions import AuditAction
from mlat.countries import is_state
from mlat.messages import N_
from mlat.models import CaseFile, CaseJit, MlaRequest, Unit, User, utcnow
from mlat.request_format import MeasureKind
from mlat.rules.loader import RuleBook, rulebook
from mlat.rules.schema import JointTeamFile
from mlat.rules.teams import Team, TeamAdvice, team_advice
from mlat.services import NotFound, ServiceError, audit
from mlat.services.annexes import (
    DEFAULT_MAX_BYTES,
    check_size,
    clean_filename,
    download_name,
    sniff,
)
from mlat.services.case_news import case_units
from mlat.services.cases import CaseAccess, leading
from mlat.services.files import file_bytes, keep_file

MAX_TEAM_NAME = 200
MEASURES = frozenset(m.value for m in MeasureKind)
MAX_SCOPE = 5000


def case_team(*, session: Session, case: CaseFile) -> CaseJit | None:
    return session.exec(select(CaseJit).where(CaseJit.case_id == case.id)).first()


def _clean_team(
    name: str, framework: str, members: Sequence[str], own_state: str,
    starts_on: dt.date | None, ends_on: dt.date | None, scope: str, measures: Sequence[str],
    frameworks: JointTeamFile | None,
) -> tuple[str, list[str], dt.date, dt.date, list[str]]:  # fmt: skip
    name = " ".join(name.split())
    if not name or len(name) > MAX_TEAM_NAME:
        raise ServiceError(
            N_("Give the team's name, as in its agreement, in at most %(num)d characters."),
            num=MAX_TEAM_NAME,
        )
    if frameworks is None or framework not in frameworks.frameworks:
        raise ServiceError(N_("Choose the framework the team's agreement rests on."))
    states = sorted({m.strip().upper() for m in members} - {own_state})
    if not states or not all(is_state(m) for m in states):
        raise ServiceError(N_("Choose the team's other member states."))
    if starts_on is None or ends_on is None or ends_on < starts_on:
        raise ServiceError(N_("Give the agreement's period: a first day, and a last day after it."))
    if len(scope) > MAX_SCOPE:
        raise ServiceError(
            N_("Describe the team's purpose in at most %(num)d characters."), num=MAX_SCOPE
        )
    if any(m not in MEASURES for m in measures):
        raise ServiceError(N_("Choose the measures from the list."))
    return name, states, starts_on, ends_on, sorted(set(measures))


def save_team(
    *,
    session: Session,
    access: CaseAccess,
    user: User,
    name: str,
    framework: str,
    members: Sequence[str],
    starts_on: dt.date | None,
    ends_on: dt.date | None,
    signed_on: dt.date | None = None,
    scope: str = "",
    measures: Sequence[str] = (),
    agreement: tuple[str, bytes] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    book: RuleBook | None = None,
    client_addr: str = "",
) -> CaseJit:
    """Record the case's joint investigation team, or change it; ``agreement`` is the
    signed agreement (its file name and a PDF's bytes), kept encrypted as the annexes are."""
    leading(access, user)
    case = access.case
    book = book or rulebook()
    name, states, starts_on, ends_on, measures = _clean_team(
        name, framework, members, case_unit_state(session, case), starts_on, ends_on,
        scope, measures, book.joint_teams,
    )  # fmt: skip
    assert user.id is not None
    team = case_team(session=session, case=case) or CaseJit(
        case_id=case.id or 0, name=name, framework=framework, starts_on=starts_on,
        ends_on=ends_on, updated_by=user.id,
    )  # fmt: skip
    team.name, team.framework, team.members = name, framework, states
    team.starts_on, team.ends_on, team.signed_on = starts_on, ends_on, signed_on
    team.scope, team.measures = scope.strip(), measures
    team.updated_by, team.updated_at = user.id, utcnow()
    period = f"{starts_on.isoformat()}/{ends_on.isoformat()}"
    details: dict[str, Any] = {"name": name, "members": states, "framework": framework,
                               "period": period}  # fmt: skip
    if agreement is not None:
        filename, data = agreement
        check_size(data, max_bytes)
        if sniff(data) != "application/pdf":
            raise ServiceError(N_("Upload the signed agreement as a PDF."))
        stored = keep_file(session=session, data=data, media_type="application/pdf")
        team.agreement_file_id = stored.id
        team.agreement_name = clean_filename(filename)[:200]
        details["agreement_sha256"] = stored.sha256
    case.updated_at = utcnow()
    session.add_all([team, case])
    session.flush()
    audit.record(session=session, action=AuditAction.case_jit, user=user, object_type="case",
                 object_id=case.id, client_addr=client_addr, details=details)  # fmt: skip
    return team


def case_unit_state(session: Session, case: CaseFile) -> str:
    return session.get_one(Unit, case.unit_id).state


def team_of(record: CaseJit) -> Team:
    """The team as the advisor weighs it."""
    return Team(
        name=record.name,
        framework=record.framework,
        members=frozenset(record.members),
        starts_on=record.starts_on,
        ends_on=record.ends_on,
        scope=record.scope,
        measures=frozenset(MeasureKind(m) for m in record.measures if m in MEASURES),
    )


def request_team_advice(
    *, session: Session, request: MlaRequest, today: dt.date, book: RuleBook | None = None
) -> TeamAdvice | None:
    """What the team of the request's case says of it: None when the request is in no
    case, the case has no team, or the requested state is not a member."""
    if request.case_id is None:
        return None
    case = session.get(CaseFile, request.case_id)
    if case is None or request.unit_id not in case_units(session=session, case=case):
        return None
    record = case_team(session=session, case=case)
    if record is None:
        return None
    content = request.content if isinstance(request.content, dict) else {}
    measures = frozenset(
        MeasureKind(m["kind"])
        for m in content.get("measures") or []
        if isinstance(m, dict) and m.get("kind") in MEASURES
    )
    book = book or rulebook()
    return team_advice(book.joint_teams, team_of(record), request.requested_state, measures,
                       today)  # fmt: skip


def agreement(
    *, session: Session, access: CaseAccess, user: User, client_addr: str = ""
) -> tuple[str, bytes]:
    """The team's agreement, its name and bytes; every download is recorded."""
    record = case_team(session=session, case=access.case)
    if record is None or record.agreement_file_id is None:
        raise NotFound(N_("The case's team has no agreement on file."))
    data = file_bytes(session=session, file_id=record.agreement_file_id)
    if data is None:
        raise NotFound(N_("The case's team has no agreement on file."))
    audit.record(session=session, action=AuditAction.case_jit_agreement, user=user,
                 object_type="case", object_id=access.case.id, client_addr=client_addr,
                 details={"sha256": hashlib.sha256(data).hexdigest()})  # fmt: skip
    return download_name(record.agreement_name, "application/pdf"), data
