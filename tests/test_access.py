"""Who may reach which route, checked for every route the app has.

The routes come from ``app.url_map``, so a new route cannot be forgotten: the table
``ACCESS`` below must name exactly the app's endpoints, and each endpoint's entry says
who may use it. Every route is then called, with every method it takes, by an anonymous
visitor, by a user of each role, and on the URLs of a request of the user's own unit, of
a request of another unit and of an id that does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from forms.wizard import STEP_FORMS
from mlat import PUBLIC_ENDPOINTS
from mlat.models import MlaRequest, RequestStatus, Role, Unit, User
from mlat.rules.loader import rulebook
from mlat.rules.schema import MeasureKind
from mlat.services.annexes import add_annex
from mlat.wizard import STEPS
from mlat.workflow import BY_ACTION, TRANSITIONS
from tests.conftest import Client
from tests.wizard_helpers import PDF

ANYONE = frozenset(Role)
OFFICERS = frozenset({Role.officer})
REVIEWERS = frozenset({Role.reviewer})
ADMINS = frozenset({Role.admin})
PACKET_ROLES = frozenset({Role.prosecutor, Role.reviewer})  # and the request's owner


@dataclass(frozen=True)
class Access:
    """Who may use an endpoint. ``roles`` None: anyone, logged in or not. ``owner``: the
    request's owner may too, whatever their roles. Every URL that names a request is
    also limited to the request's unit (another unit gets 404): that needs no entry."""

    roles: frozenset[Role] | None
    owner: bool = False


PUBLIC = Access(None)

# Read from the views: ``role_required`` and the blueprints' ``before_request``.
ACCESS: dict[str, Access] = {
    "static": PUBLIC,
    "health": PUBLIC,
    "auth.login": PUBLIC,
    "auth.code": PUBLIC,  # only with a password accepted in this session; else to /login
    "auth.enrol": PUBLIC,  # likewise
    "auth.logout": Access(ANYONE),
    "auth.account_two_factor": Access(ANYONE),
    "auth.account_password": Access(ANYONE),
    "requests.index": Access(ANYONE),
    "requests.new": Access(OFFICERS),
    "requests.show": Access(ANYONE),
    "requests.edit": Access(OFFICERS),
    "wizard.import_json": Access(OFFICERS),
    "wizard.tasks": Access(OFFICERS),
    "wizard.step": Access(OFFICERS),
    "wizard.check": Access(OFFICERS),
    "wizard.remove_annex": Access(OFFICERS),
    "wizard.download_annex": Access(ANYONE),
    "wizard.export": Access(ANYONE),
    # Any role reaches the action; transition() refuses what the workflow table does not
    # give the user's roles (see test_a_workflow_action_needs_one_of_its_roles).
    "workflow.act": Access(ANYONE),
    "workflow.review": Access(REVIEWERS),
    "workflow.notifications_page": Access(ANYONE),
    "workflow.notifications_read": Access(ANYONE),
    "packets.download": Access(PACKET_ROLES, owner=True),
    "packets.prepare": Access(PACKET_ROLES, owner=True),
    "packets.status": Access(PACKET_ROLES, owner=True),
    "dashboard.index": Access(ANYONE),
    "dashboard.search_page": Access(ANYONE),
    "dashboard.statistics_page": Access(ANYONE),
    "dashboard.extension": Access(OFFICERS),
    "rules.index": Access(ANYONE),
    "rules.state": Access(ANYONE),
    "rules.measure": Access(ANYONE),
    "rules.routes": Access(ANYONE),
    # Administrators manage the users and units of every unit: not limited to their own.
    "admin.users": Access(ADMINS),
    "admin.new_user": Access(ADMINS),
    "admin.edit_user": Access(ADMINS),
    "admin.reset_two_factor": Access(ADMINS),
    "admin.set_password": Access(ADMINS),
    "admin.new_unit": Access(ADMINS),
    "audit_log.index": Access(ADMINS),
    "audit_log.export": Access(ADMINS),
}

# Valid values of the URLs' string converters, per argument (or per endpoint and argument).
VALUES: dict[str, list[str]] = {
    "step": [s.slug for s in STEPS],
    "action": list(BY_ACTION),
    "code": sorted(rulebook().states),
    "kind": [m.value for m in MeasureKind],
    "filename": ["app.css"],
}
ENDPOINT_VALUES: dict[tuple[str, str], list[str]] = {
    ("wizard.check", "step"): list(STEP_FORMS),  # the live check is for the form steps
}
MISSING = 987_654
METHODS = {"GET", "POST"}


@dataclass(frozen=True)
class World:
    unit: Unit
    other_unit: Unit
    owner: User  # an officer of the unit who drafted the requests
    colleague: User  # a user of the unit, for the administrators' user pages
    own: MlaRequest
    own_annex: int
    other: MlaRequest
    other_annex: int


@dataclass(frozen=True)
class Case:
    endpoint: str
    method: str
    url: str
    whose: str  # "none" (no object), "own" unit, "other" unit, "missing" id

    def __str__(self) -> str:
        return f"{self.method} {self.url} ({self.endpoint}, {self.whose})"


def _annexed(db: Any, request: MlaRequest, editor: User) -> int:
    annex = add_annex(
        session=db, request=request, editor=editor, expected_version=request.version,
        data=PDF, filename="order.pdf", kind="judicial_order", title="Court order",
        language=None,
    )  # fmt: skip
    db.commit()
    assert annex.id is not None
    return annex.id


@pytest.fixture
def world(
    db: Any,
    unit: Unit,
    make_unit: Callable[..., Unit],
    make_user: Callable[..., User],
    make_request: Callable[..., MlaRequest],
) -> World:
    other_unit = make_unit(name="Cybercrime Unit, Lagos", code="LOS", state="NG")
    owner = make_user(Role.officer)
    stranger = make_user(Role.officer, unit_=other_unit)
    own = make_request(owner, title="Ransomware at the port authority")
    other = make_request(stranger, title="Romance fraud ring", requested_state="GB")
    return World(
        unit=unit,
        other_unit=other_unit,
        owner=owner,
        colleague=make_user(Role.officer),
        own=own,
        own_annex=_annexed(db, own, owner),
        other=other,
        other_annex=_annexed(db, other, stranger),
    )


def _ids(world: World, whose: str) -> dict[str, int]:
    if whose == "own":
        return {"request_id": world.own.id, "annex_id": world.own_annex,
                "user_id": world.colleague.id}  # fmt: skip
    if whose == "other":
        return {"request_id": world.other.id, "annex_id": world.other_annex}
    if whose == "crossed":  # the own request with another unit's annex
        return {"request_id": world.own.id, "annex_id": world.other_annex}
    return {"request_id": MISSING, "annex_id": MISSING, "user_id": MISSING}


def _int_args(rule: Rule) -> set[str]:
    return set(re.findall(r"<int:(\w+)>", rule.rule))


def cases(app: Flask, world: World) -> Iterator[Case]:
    """Every rule, with every method, on every value of its converters."""
    adapter = app.url_map.bind("localhost")
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint == "auth.logout", r.rule))
    for rule in rules:
        ints = _int_args(rule)
        strings = sorted(rule.arguments - ints)
        choices: list[dict[str, str]] = [{}]
        for name in strings:
            values = ENDPOINT_VALUES.get((rule.endpoint, name), VALUES.get(name))
            assert values, f"no test values for <{name}> of {rule.rule}: add them to VALUES"
            choices = [{**c, name: v} for c in choices for v in values]
        if not ints:
            variants = ["none"]
        elif "request_id" in ints:
            variants = ["own", "other", "missing"] + (["crossed"] if "annex_id" in ints else [])
        else:
            variants = ["own", "missing"]
        for whose in variants:
            ids = _ids(world, whose)
            assert ints <= set(ids), f"no {whose} test id for {rule.rule}: add one to _ids"
            for values in choices:
                url = adapter.build(rule.endpoint, {**values, **{k: ids[k] for k in ints}})
                for method in sorted(rule.methods & METHODS):
                    yield Case(rule.endpoint, method, url, "other" if whose == "crossed" else whose)


def token_of(page: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def call(client: Client, case: Case, token: str) -> TestResponse:
    if case.method == "POST":
        response = client.post(case.url, data={"csrf_token": token})
    else:
        response = client.get(case.url)
    response.get_data()  # read it all, so that a file being sent is closed
    response.close()
    return response


def header_problems(response: TestResponse, *, case_data: bool) -> list[str]:
    problems = []
    csp = response.headers.get("Content-Security-Policy", "")
    if "frame-ancestors 'none'" not in csp:
        problems.append(f"CSP without frame-ancestors 'none': {csp!r}")
    if "'unsafe-inline'" in csp or "'unsafe-eval'" in csp:
        problems.append(f"CSP allows inline or eval: {csp!r}")
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append("no X-Content-Type-Options: nosniff")
    if case_data and response.headers.get("Cache-Control") != "no-store":
        problems.append(f"Cache-Control {response.headers.get('Cache-Control')!r}")
    return problems


# ------------------------------------------------------------------ the table itself


def test_the_table_names_exactly_the_apps_endpoints(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert set(ACCESS) == endpoints, (
        f"missing from ACCESS: {sorted(endpoints - set(ACCESS))}; "
        f"no longer routes: {sorted(set(ACCESS) - endpoints)}"
    )


def test_public_endpoints_are_the_apps_public_endpoints() -> None:
    assert {e for e, a in ACCESS.items() if a.roles is None} == PUBLIC_ENDPOINTS


def test_every_route_takes_only_get_and_post(app: Flask) -> None:
    for rule in app.url_map.iter_rules():
        assert rule.methods is not None
        assert rule.methods - {"HEAD", "OPTIONS"} <= METHODS, rule.rule


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
    assert not wrong, "\n".join(wrong)


def _expected(access: Access, role: Role, case: Case) -> str:
    """What a user holding only ``role`` (not the request's owner) should get."""
    allowed = access.roles is None or role in access.roles
    if case.whose in ("other", "missing"):
        return "404" if allowed else "403/404"
    if not allowed:
        return "403/404"
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
    app: Flask, client: Client, login_as: Callable[..., User], world: World, role: Role
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
    assert not wrong, "\n".join(wrong)
    assert client.get("/").status_code == 302  # the last case was the log-out


def test_another_units_user_with_every_role_gets_404_for_every_request_url(
    app: Flask, client: Client, login_as: Callable[..., User], world: World
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


def test_admins_see_other_units_users_but_not_their_requests(
    client: Client, login_as: Callable[..., User], world: World, make_user: Callable[..., User]
) -> None:
    login_as(Role.admin)
    outsider = make_user(Role.officer, unit_=world.other_unit)
    assert client.get(f"/admin/users/{outsider.id}").status_code == 200
    assert client.get(f"/requests/{world.other.id}").status_code == 404


@pytest.mark.parametrize("step", TRANSITIONS, ids=lambda t: t.action)
def test_a_workflow_action_needs_one_of_its_roles(
    app: Flask,
    client: Client,
    db: Any,
    make_user: Callable[..., User],
    world: World,
    step: Any,
) -> None:
    """Posting an action straight to its URL, with everything it asks for, changes nothing
    for a role the workflow table does not name."""
    request = db.get(MlaRequest, world.own.id)
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
