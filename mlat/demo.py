"""Demo data: units, one user per role, and a handful of sample requests. Each unit has
its own administrator; one user, the installation administrator, creates units and
manages every unit's users."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from sqlmodel import Session, select

from mlat.config import PROJECT_ROOT
from mlat.models import MlaRequest, Role, Unit, User
from mlat.services import ServiceError
from mlat.services.requests import create_request
from mlat.services.signing import SigningKeys, issue_demo_credential, issue_demo_seal
from mlat.services.users import create_unit, create_user
from mlat.services.workflow import Inputs, transition

DEMO_UNITS = [
    ("Cybercrime Unit, Doha", "DOH", "QA", "Asia/Qatar"),
    ("Economic Crime Unit, Lagos", "LOS", "NG", "Africa/Lagos"),
]

DEMO_USERS = [
    ("officer@doha.example", "Mariam Al-Kuwari", "DOH", [Role.officer]),
    ("reviewer@doha.example", "Khalid Al-Sulaiti", "DOH", [Role.reviewer]),
    ("prosecutor@doha.example", "Noora Al-Thani", "DOH", [Role.prosecutor]),
    ("admin@doha.example", "Yusuf Haddad", "DOH", [Role.admin]),
    ("installation.admin@doha.example", "Layla Mansour", "DOH", [Role.installation_admin]),
    ("officer@lagos.example", "Adaeze Okafor", "LOS", [Role.officer]),
    ("admin@lagos.example", "Chinedu Eze", "LOS", [Role.admin]),
]

DEMO_REQUESTS = [
    (
        "officer@doha.example",
        "US",
        "Business e-mail compromise of Qatari importer",
        "qa-to-us-stored-content.json",
    ),
    ("officer@doha.example", "GB", "Ransomware attack on a Doha clinic", None),
    ("officer@doha.example", "SG", "Investment fraud website hosted abroad", None),
    ("officer@doha.example", "FR", "Sextortion of a minor through a social network", None),
    (
        "officer@lagos.example",
        "GB",
        "Romance fraud network using a UK-hosted account",
        "ng-to-gb-subscriber-incomplete.json",
    ),
]
EXAMPLES = PROJECT_ROOT / "docs" / "examples"


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    roles: list[Role]


def seed_demo(*, session: Session, keys: SigningKeys) -> list[DemoLogin]:
    """Load the demo data unless it is there already; each prosecutor gets a
    demonstration signing certificate from their unit's own authority. Returns the
    logins created."""
    if session.exec(select(Unit).where(Unit.code == DEMO_UNITS[0][1])).first():
        return []
    units = {
        code: create_unit(session=session, name=name, code=code, state=state, timezone=tz)
        for name, code, state, tz in DEMO_UNITS
    }
    for unit in units.values():  # each unit seals the evidence bundles it exports
        issue_demo_seal(session=session, unit=unit, keys=keys)
    logins, users = [], {}
    for email, name, unit_code, roles in DEMO_USERS:
        password = secrets.token_urlsafe(12)
        users[email] = create_user(
            session=session,
            email=email,
            name=name,
            password=password,
            unit=units[unit_code],
            roles=roles,
        )
        logins.append(DemoLogin(email=email, password=password, roles=roles))
        if Role.prosecutor in roles:
            issue_demo_credential(session=session, user=users[email], keys=keys)
    created = []
    for owner, state, title, example in DEMO_REQUESTS:
        content = json.loads((EXAMPLES / example).read_text()) if example else {}
        for known in ("reference", "requesting_state", "requested_state"):
            content.pop(known, None)  # the request row holds these
        created.append(
            create_request(
                session=session,
                owner=users[owner],
                title=title,
                requested_state=state,
                content=content,
            )
        )
    _advance(session, created[0], users["officer@doha.example"], users["reviewer@doha.example"])
    return logins


def _advance(session: Session, request: MlaRequest, officer: User, reviewer: User) -> None:
    """Take the complete demo request through review, so a prosecutor has one to sign."""
    try:
        transition(session=session, request=request, actor=officer, action="submit",
                   expected_version=request.version)  # fmt: skip
        transition(
            session=session,
            request=request,
            actor=reviewer,
            action="approve",
            expected_version=request.version,
            inputs=Inputs(seen_digest=request.content_digest),
        )
    except ServiceError:
        pass  # the example no longer passes the rule check on this date; it stays a draft
