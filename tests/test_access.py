"""Who may reach which route, checked for every route the app has.

The routes come from ``app.url_map``, so a new route cannot be forgotten: the table
``ACCESS`` (in ``tests/route_access.py``) must name exactly the app's endpoints, and each
endpoint's entry says who may use it. Every route is then called, with every method it
takes, by an anonymous visitor, by a user of each role, and on the URLs of a request (a
user, a unit, a report) of the user's own unit, of another unit and of an id that does
not exist. The administrators' own accounts, and forms tampered with to reach another
unit, are tried at the end.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlmodel import Session, col, select
from werkzeug.test import TestResponse

from mlat.audit_actions import AuditAction
from mlat.auth import PUBLIC_ENDPOINTS
from mlat.models import (
    AuditEntry,
    CaseFile,
    EvidenceItem,
    MlaRequest,
    RequestStatus,
    Role,
    Unit,
    User,
)
from mlat.services.annexes import add_annex
from mlat.services.case_teams import save_team
from mlat.services.cases import CaseAccess, attach, create_case, invite
from mlat.services.evidence import Incoming, record_receipt
from mlat.services.evidence_uploads import start_upload
from mlat.services.rule_reports import report_rule
from mlat.services.signing import issue_demo_seal, signing_keys
from mlat.views.api.core import PUBLIC as API_PUBLIC
from mlat.workflow import TRANSITIONS
from tests.conftest import PASSWORD, Client, LoginAs, MakeRequest, MakeUnit, MakeUser
from tests.route_access import (
    ACCESS,
    API_ACCESS,
    API_METHODS,
    METHODS,
    PARTNER_ACCESS,
    Access,
    Case,
    World,
    call,
    cases,
    header_problems,
    page_problems,
    token_of,
)
from tests.webhook_helpers import failed_delivery, register
from tests.wizard_helpers import PDF
from tests.workflow_helpers import put_in_state


def _annexed(db: Session, request: MlaRequest, editor: User) -> int:
    annex = add_annex(
        session=db, request=request, editor=editor, expected_version=request.version,
        data=PDF, filename="order.pdf", kind="judicial_order", title="Court order",
        language=None,
    )  # fmt: skip
    db.commit()
    assert annex.id is not None
    return annex.id


def _webhook(db: Session, creator: User) -> tuple[int, int]:
    """An endpoint of the creator's unit, and a delivery to it."""
    endpoint, _secret = register(db, creator)
    delivery = failed_delivery(db, endpoint)
    assert endpoint.id is not None and delivery.id is not None
    return endpoint.id, delivery.id


def _case(db: Session, officer: User, request: MlaRequest) -> int:
    """A case of the officer's unit holding the request, run in a joint investigation
    team whose agreement is on file."""
    case = create_case(session=db, user=officer, title="Operation Harbour", case_number="C-1")
    access = CaseAccess(case, None)
    attach(session=db, access=access, user=officer, request_id=request.id or 0)
    save_team(session=db, access=access, user=officer, name="JIT Harbour",
              framework="eu-fd-2002-465", members=["NL"], starts_on=dt.date(2026, 1, 1),
              ends_on=dt.date(2027, 12, 31),
              agreement=("jit.pdf", b"%PDF-1.4 agreement"))  # fmt: skip
    db.commit()
    assert case.id is not None
    return case.id


def _reported(db: Session, reporter: User) -> int:
    report = report_rule(session=db, ref="GB:languages", reporter=reporter,
                         comment="Welsh is accepted too.")  # fmt: skip
    db.commit()
    assert report.id is not None
    return report.id


def _evidence(db: Session, app: Flask, officer: User, make_request: MakeRequest) -> int:
    """An item of evidence received for a transmitted request of the officer's."""
    request = make_request(officer, title="Mailbox of the extortionist", requested_state="US",
                           content={"measures": [{"kind": "stored_content"}]})  # fmt: skip
    request.transmitted_on = dt.date.today()
    put_in_state(db, request, RequestStatus.transmitted)
    received = record_receipt(session=db, store=app.extensions["mlat_evidence"], request=request,
                              user=officer, received_on=dt.date.today(), sender="Google LLC",
                              sender_kind="provider", channel="portal", today=dt.date.today(),
                              files=[Incoming("mailbox.mbox", [b"From: a@b.example"])])  # fmt: skip
    db.commit()
    return received.items[0].id or 0


def _upload(db: Session, app: Flask, officer: User, item_id: int) -> int:
    """A file the officer is sending in chunks, for the request of their evidence item."""
    request = db.get_one(MlaRequest, db.get_one(EvidenceItem, item_id).request_id)
    upload = start_upload(session=db, store=app.extensions["mlat_evidence"], request=request,
                          user=officer, filename="disk.img", size=3 * 2**20,
                          max_bytes=2**32)  # fmt: skip
    db.commit()
    return upload.id or 0


@pytest.fixture
def world(
    app: Flask,
    db: Session,
    unit: Unit,
    make_unit: MakeUnit,
    make_user: MakeUser,
    make_request: MakeRequest,
) -> World:
    other_unit = make_unit(name="Cybercrime Unit, Lagos", code="LOS", state="NG")
    owner = make_user(Role.officer)
    stranger = make_user(Role.officer, unit_=other_unit)
    own = make_request(owner, title="Ransomware at the port authority")
    other = make_request(stranger, title="Romance fraud ring", requested_state="GB")
    webhook, delivery = _webhook(db, owner)
    other_webhook, other_delivery = _webhook(db, stranger)
    evidence = _evidence(db, app, owner, make_request)
    other_evidence = _evidence(db, app, stranger, make_request)
    for sealed in (unit, other_unit):  # each unit seals the evidence bundles it exports
        issue_demo_seal(session=db, unit=sealed, keys=signing_keys(app.config["MLAT"]))
    db.commit()
    return World(
        unit=unit,
        other_unit=other_unit,
        owner=owner,
        colleague=make_user(Role.officer),
        stranger=stranger,
        own=own,
        own_annex=_annexed(db, own, owner),
        other=other,
        other_annex=_annexed(db, other, stranger),
        rule_report=_reported(db, owner),
        other_rule_report=_reported(db, stranger),
        webhook=webhook,
        delivery=delivery,
        case=_case(db, owner, own),
        other_case=_case(db, stranger, other),
        other_webhook=other_webhook,
        other_delivery=other_delivery,
        evidence=evidence,
        other_evidence=other_evidence,
        upload=_upload(db, app, owner, evidence),
        other_upload=_upload(db, app, stranger, other_evidence),
    )


# ------------------------------------------------------------------ the table itself


def test_the_table_names_exactly_the_apps_endpoints(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    tables = set(ACCESS) | set(API_ACCESS)
    assert tables == endpoints, (
        f"missing from ACCESS or API_ACCESS: {sorted(endpoints - tables)}; "
        f"no longer routes: {sorted(tables - endpoints)}"
    )


def test_public_endpoints_are_the_apps_public_endpoints() -> None:
    assert {e for e, a in ACCESS.items() if a.roles is None} == PUBLIC_ENDPOINTS
    assert {e for e, a in API_ACCESS.items() if a.roles is None} == {
        f"api.{name}" for name in API_PUBLIC
    }


def test_every_route_takes_only_the_methods_the_checks_call(app: Flask) -> None:
    for rule in app.url_map.iter_rules():
        assert rule.methods is not None
        allowed = API_METHODS if rule.endpoint.startswith("api.") else METHODS
        assert rule.methods - {"HEAD", "OPTIONS"} <= allowed, rule.rule


# ------------------------------------------------------------------ callers


def test_anonymous_visitors_are_sent_to_log_in(app: Flask, client: Client, world: World) -> None:
    token = token_of(client.get("/login").text)
    wrong = []
    for case in cases(app, world):
        response = call(client, case, token)
        if ACCESS[case.endpoint].roles is None:
            ok = response.status_code < 400
        else:
            ok = response.status_code == 302 and response.location.startswith("/login")
        if not ok:
            wrong.append(f"{case}: {response.status_code} {response.location}")
        wrong += [f"{case}: {p}" for p in header_problems(response, case_data=False)]
        wrong += [f"{case}: {p}" for p in page_problems(response)]
    assert not wrong, "\n".join(wrong)


def _expected(access: Access, role: Role, case: Case) -> str:
    """What a user holding only ``role`` (not the request's owner) should get."""
    allowed = access.roles is None or role in access.roles
    if case.whose == "missing" or (case.whose == "other" and role not in access.everywhere):
        return "404" if allowed else "403/404"
    if not allowed:
        return "403/404"
    if access.mine:  # the world's objects of that kind are the owner's or the stranger's
        return "404"
    return "ok" if case.method == "GET" else "ok or 4xx with a message"


def _meets(expected: str, response: TestResponse) -> bool:
    code = response.status_code
    if expected == "404":
        return code == 404
    if expected == "403/404":
        return code in (403, 404)
    if expected == "ok":
        return 200 <= code < 400
    return code < 500 and code not in (401, 403, 404, 405)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_reaches_its_routes_and_only_those(
    app: Flask, client: Client, login_as: LoginAs, world: World, role: Role
) -> None:
    login_as(role)
    token = token_of(client.get("/").text)
    wrong = []
    for case in cases(app, world):
        response = call(client, case, token)
        expected = _expected(ACCESS[case.endpoint], role, case)
        if not _meets(expected, response):
            wrong.append(f"{case}: {response.status_code}, expected {expected}")
        case_data = case.endpoint != "static" and case.endpoint != "auth.logout"
        wrong += [f"{case}: {p}" for p in header_problems(response, case_data=case_data)]
        wrong += [f"{case}: {p}" for p in page_problems(response)]
    assert not wrong, "\n".join(wrong)
    assert client.get("/").status_code == 302  # the last case was the log-out


def test_another_units_user_with_every_role_gets_404_for_every_request_url(
    app: Flask, client: Client, login_as: LoginAs, world: World
) -> None:
    login_as(*Role, unit_=world.other_unit)
    token = token_of(client.get("/").text)
    wrong = []
    for case in cases(app, world):
        if case.whose != "own" or "<int:request_id>" not in _rule(app, case.endpoint):
            continue
        response = call(client, case, token)
        if response.status_code != 404:
            wrong.append(f"{case}: {response.status_code}")
        if response.headers.get("Cache-Control") != "no-store":
            wrong.append(f"{case}: not no-store")
        if world.own.title in response.text or world.own.reference in response.text:
            wrong.append(f"{case}: shows the request")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(("role", "may_draft"), [*((r, False) for r in Role), (Role.officer, True)])
def test_a_partner_unit_reaches_the_shared_case_and_nothing_else_of_the_lead(
    app: Flask, client: Client, db: Session, login_as: LoginAs, make_unit: MakeUnit,
    world: World, role: Role, may_draft: bool,
) -> None:  # fmt: skip
    """Every route, on the lead unit's objects, for a member of a unit the lead shares
    its case with: the case's routes as ``PARTNER_ACCESS`` says, 403 or 404 elsewhere."""
    partner_unit = make_unit(name="Fraud Unit, Lagos 2", code="LO2", state="NG")
    case = db.get_one(CaseFile, world.case)
    invite(session=db, access=CaseAccess(case, None), user=world.owner,
           unit_id=partner_unit.id or 0, may_draft=may_draft)  # fmt: skip
    db.commit()
    assert {e for e in ACCESS if e.startswith("cases.") and "<int:case_id>" in _rule(app, e)} == (
        set(PARTNER_ACCESS)
    )
    login_as(role, unit_=partner_unit)
    token = token_of(client.get("/").text)
    wrong = []
    for found in cases(app, world):
        if found.whose != "own" or found.endpoint == "auth.logout":
            continue
        rights = PARTNER_ACCESS.get(found.endpoint)
        allowed = rights == "read" or (rights == "draft" and may_draft and role == Role.officer)
        names_nothing = not re.search(r"<int:\w+_id>", _rule(app, found.endpoint))
        if rights is None and (names_nothing or role in ACCESS[found.endpoint].everywhere):
            continue  # nothing of the lead unit's, or reached everywhere: the role tests
        response = call(client, found, token)
        if allowed:
            ok = _meets("ok" if found.method == "GET" else "ok or 4xx with a message", response)
        else:
            ok = response.status_code in ((403,) if rights is not None else (403, 404))
        if not ok:
            wrong.append(f"{found}: {response.status_code} (partner rights: {rights})")
        if not allowed and world.own.reference in response.text:
            wrong.append(f"{found}: shows the lead's request")
    assert not wrong, "\n".join(wrong)


def _rule(app: Flask, endpoint: str) -> str:
    return next(r.rule for r in app.url_map.iter_rules() if r.endpoint == endpoint)


def test_the_owner_may_use_the_packet_of_their_request(client: Client, world: World) -> None:
    """An officer who is not the owner is refused (see the role test); the owner is not."""
    assert all(ACCESS[e].owner for e in ("packets.download", "packets.prepare", "packets.status"))
    assert client.login(world.owner.email).status_code == 302
    packet = f"/requests/{world.own.id}/packet"
    assert client.get(packet).status_code == 200
    assert client.submit(f"{packet}/prepare", {}, form_url="/").status_code == 303
    download = client.get(f"{packet}.pdf")
    assert download.status_code in (200, 303)  # the file, or back to the page until it is ready
    assert download.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("step", TRANSITIONS, ids=lambda t: t.action)
def test_a_workflow_action_needs_one_of_its_roles(
    app: Flask,
    client: Client,
    db: Session,
    make_user: MakeUser,
    world: World,
    step: Any,
) -> None:
    """Posting an action straight to its URL, with everything it asks for, changes nothing
    for a role the workflow table does not name."""
    request = db.get_one(MlaRequest, world.own.id)
    status = sorted(step.sources)[0]
    request.status = status
    db.commit()
    for role in Role:
        if role in step.roles:
            continue
        user = make_user(role)
        assert client.login(user.email).status_code == 302
        db.refresh(request)
        everything = {
            "version": str(request.version),
            "seen_digest": request.content_digest,
            "comment": "Because.",
            "on": "2026-01-05",
            "channel": "central_authority",
            "foreign_reference": "X-1",
        }
        response = client.submit(
            f"/requests/{request.id}/do/{step.action}", everything, form_url="/"
        )
        assert response.status_code < 500
        db.refresh(request)
        assert request.status == status, f"{role} could {step.action}"
        client.post("/logout", data={"csrf_token": token_of(client.get("/").text)})
    assert RequestStatus(request.status) == status


# ------------------------------------------------------------------ administrators


def _access_of(db: Session, user: User) -> tuple[int | None, frozenset[Role], bool]:
    db.expire_all()
    found = db.get_one(User, user.id)
    return found.unit_id, found.roles, found.active


def _refusals(db: Session, action: AuditAction, object_id: object) -> list[AuditEntry]:
    db.expire_all()
    return list(
        db.exec(
            select(AuditEntry).where(
                AuditEntry.action == action,
                AuditEntry.outcome == "denied",
                AuditEntry.object_id == str(object_id),
            )
        )
    )


@pytest.mark.parametrize("kind", [Role.admin, Role.installation_admin], ids=str)
def test_a_unit_administrator_reaches_only_their_units_users_an_installation_one_every_unit(
    client: Client, login_as: LoginAs, world: World, kind: Role
) -> None:
    """Neither reads another unit's requests: an installation administrator manages
    accounts, and is a member of one unit like anyone else."""
    login_as(kind)
    listed = client.get("/admin/users").text
    everywhere = kind is Role.installation_admin
    assert world.colleague.email in listed
    assert (world.stranger.email in listed) is everywhere
    assert client.get(f"/admin/users/{world.stranger.id}").status_code == (
        200 if everywhere else 404
    )
    assert client.get(f"/admin/units/{world.other_unit.id}").status_code == (
        200 if everywhere else 404
    )
    assert client.get(f"/requests/{world.other.id}").status_code == 404
    assert world.other.title not in client.get("/requests").text


# What an administrator's own page would change if its form were tampered with.
OWN_TAMPERING: dict[str, Callable[[World, User], dict[str, Any]]] = {
    "unit": lambda world, me: {"unit_id": str(world.other_unit.id)},
    "new role": lambda world, me: {
        "roles": sorted({*me.roles, Role.officer, Role.installation_admin})
    },
    "admin role dropped": lambda world, me: {"roles": [Role.officer.value]},
    "deactivated": lambda world, me: {"active": ""},
}


@pytest.mark.parametrize("tampering", OWN_TAMPERING)
@pytest.mark.parametrize("kind", [Role.admin, Role.installation_admin], ids=str)
def test_no_administrator_changes_their_own_unit_or_roles(
    client: Client, login_as: LoginAs, db: Session, world: World, kind: Role, tampering: str
) -> None:
    me = login_as(kind)
    page = client.get(f"/admin/users/{me.id}").text
    assert 'name="unit_id"' not in page and 'name="roles"' not in page  # not offered
    before = _access_of(db, me)
    tampered = {"name": me.name, **OWN_TAMPERING[tampering](world, me)}
    response = client.submit(f"/admin/users/{me.id}", tampered)
    assert response.status_code == 403
    assert "You cannot change your own unit, roles" in response.text
    assert _access_of(db, me) == before
    assert len(_refusals(db, AuditAction.user_update, me.id)) == 1
    assert client.get(f"/requests/{world.other.id}").status_code == 404  # still outside
    # renaming oneself is still one's own to do
    renamed = client.submit(f"/admin/users/{me.id}", {"name": "A New Name"})
    assert renamed.status_code == 302
    assert _access_of(db, me) == before


# Forms of a unit's administrator tampered with to reach another unit, or to give the
# installation administrator's role: each is refused, changes nothing and is recorded.
def _tampered_posts(world: World) -> dict[str, tuple[str, dict[str, Any], AuditAction, object]]:
    colleague, stranger = world.colleague, world.stranger
    same = {"name": colleague.name, "unit_id": str(world.unit.id), "roles": ["officer"],
            "active": "y"}  # fmt: skip
    new = {"email": "planted@example.org", "name": "Planted", "password": "a long passphrase 42",
           "roles": ["officer"], "active": "y"}  # fmt: skip
    return {
        "colleague moved to the other unit": (
            f"/admin/users/{colleague.id}", {**same, "unit_id": str(world.other_unit.id)},
            AuditAction.user_update, colleague.id,
        ),
        "colleague made installation administrator": (
            f"/admin/users/{colleague.id}", {**same, "roles": ["officer", "install_admin"]},
            AuditAction.user_update, colleague.id,
        ),
        "user created in the other unit": (
            "/admin/users/new", {**new, "unit_id": str(world.other_unit.id)},
            AuditAction.user_create, "",
        ),
        "installation administrator created": (
            "/admin/users/new", {**new, "unit_id": str(world.unit.id), "roles": ["install_admin"]},
            AuditAction.user_create, "",
        ),
        "other unit's user edited": (
            f"/admin/users/{stranger.id}",
            {"name": "Renamed", "unit_id": str(world.unit.id), "roles": ["admin"], "active": "y"},
            AuditAction.user_update, stranger.id,
        ),
        "other unit's settings changed": (
            f"/admin/units/{world.other_unit.id}", {}, AuditAction.unit_update, world.other_unit.id,
        ),
        "unit created": (
            "/admin/units/new",
            {"name": "Fraud Unit, Abuja", "code": "ABJ", "state": "NG", "timezone": "Africa/Lagos"},
            AuditAction.unit_create, "",
        ),
    }  # fmt: skip


TAMPERED = [
    "colleague moved to the other unit",
    "colleague made installation administrator",
    "user created in the other unit",
    "installation administrator created",
    "other unit's user edited",
    "other unit's settings changed",
    "unit created",
]


@pytest.mark.parametrize("attempt", TAMPERED)
def test_a_unit_administrators_tampered_forms_are_refused_and_recorded(
    client: Client, login_as: LoginAs, db: Session, world: World, attempt: str
) -> None:
    login_as(Role.admin)
    url, data, action, object_id = _tampered_posts(world)[attempt]
    people = [_access_of(db, u) for u in (world.colleague, world.stranger)]
    counts = (len(db.exec(select(User)).all()), len(db.exec(select(Unit)).all()))
    response = client.submit(url, data, form_url="/admin/users")
    assert response.status_code in (403, 404), response.text
    assert [_access_of(db, u) for u in (world.colleague, world.stranger)] == people
    assert (len(db.exec(select(User)).all()), len(db.exec(select(Unit)).all())) == counts
    db.expire_all()
    assert db.get_one(Unit, world.other_unit.id).separate_duties
    assert db.get_one(User, world.stranger.id).name != "Renamed"
    assert len(_refusals(db, action, object_id)) == 1


@pytest.mark.parametrize("attempt", TAMPERED)
def test_an_installation_administrator_may_do_what_a_unit_administrator_may_not(
    client: Client, login_as: LoginAs, db: Session, world: World, attempt: str
) -> None:
    login_as(Role.installation_admin)
    url, data, action, _object_id = _tampered_posts(world)[attempt]
    response = client.submit(url, data, form_url="/admin/users")
    assert response.status_code in (302, 303), response.text
    db.expire_all()
    assert not db.exec(select(AuditEntry).where(col(AuditEntry.outcome) == "denied")).all()
    done = db.exec(select(AuditEntry).where(AuditEntry.action == action)).all()
    assert [e.outcome for e in done if e.user_id is not None] == ["success"]


def test_a_unit_administrator_does_not_manage_an_installation_administrator_of_their_unit(
    client: Client, login_as: LoginAs, db: Session, make_user: MakeUser, world: World
) -> None:
    """Resetting their password would give a unit's administrator the installation."""
    chief = make_user(Role.installation_admin)
    login_as(Role.admin)
    page = client.get("/admin/users").text
    assert chief.email in page  # listed with the unit's users, without a link
    assert f'href="/admin/users/{chief.id}"' not in page
    assert client.get(f"/admin/users/{chief.id}").status_code == 403
    for url in (f"/admin/users/{chief.id}/password", f"/admin/users/{chief.id}/reset-two-factor"):
        response = client.submit(url, {"password": "taken over 2026!", "admin_password": PASSWORD},
                                 form_url="/admin/users")  # fmt: skip
        assert response.status_code == 403
    assert len(_refusals(db, AuditAction.user_password_reset, chief.id)) == 1
    assert len(_refusals(db, AuditAction.user_two_factor_reset, chief.id)) == 1
