"""Who may reach which route, read from the views: the table ``ACCESS`` of the app's
endpoints, and every call of every route (each method, each value of its converters,
on a request, user, unit or report of one's own unit, of another unit and on a missing
id) to check it with."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from flask import Flask
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from forms.wizard import STEP_FORMS
from mlat.models import MlaRequest, Role, Unit, User
from mlat.request_format import MeasureKind
from mlat.rules.loader import rulebook
from mlat.wizard import STEPS
from mlat.workflow import BY_ACTION
from tests.conftest import Client, check_page

ANYONE = frozenset(Role)
OFFICERS = frozenset({Role.officer})
REVIEWERS = frozenset({Role.reviewer})
UNIT_ADMINS = frozenset({Role.admin})
INSTALLATION_ADMINS = frozenset({Role.installation_admin})
ADMINS = UNIT_ADMINS | INSTALLATION_ADMINS
# The request's files (packet, annexes, export): these roles, the owner (and who changed it)
PACKET_ROLES = frozenset({Role.prosecutor, Role.reviewer})


@dataclass(frozen=True)
class Access:
    """Who may use an endpoint. ``roles`` None: anyone, logged in or not. ``owner``: the
    request's owner may too, whatever their roles. Every URL that names a request, a
    user, a unit or a report is also limited to the user's own unit (another unit's
    gets 404), except for the roles in ``everywhere``, which reach every unit's. ``mine``:
    only the user who made the object (an upload) uses it; anyone else gets 404."""

    roles: frozenset[Role] | None
    owner: bool = False
    everywhere: frozenset[Role] = frozenset()
    mine: bool = False


PUBLIC = Access(None)

# Read from the views: ``role_required`` and the blueprints' ``before_request``.
ACCESS: dict[str, Access] = {
    "static": PUBLIC,
    "health": PUBLIC,
    "auth.login": PUBLIC,
    "auth.code": PUBLIC,  # only with a password accepted in this session; else to /login
    "auth.enrol": PUBLIC,  # likewise
    "auth.logout": Access(ANYONE),
    "language.choose": PUBLIC,  # sets a cookie; on the account too when logged in
    "auth.account_two_factor": Access(ANYONE),
    "auth.account_password": Access(ANYONE),
    "auth.account_recovery_codes": Access(ANYONE),
    "auth.account_tokens": Access(ANYONE),  # one's own API tokens
    "auth.account_token_revoke": Access(ANYONE),
    "requests.index": Access(ANYONE),
    "requests.new": Access(OFFICERS),
    "requests.show": Access(ANYONE),
    "requests.edit": Access(OFFICERS),
    "wizard.import_json": Access(OFFICERS),
    "wizard.tasks": Access(OFFICERS),
    "wizard.step": Access(OFFICERS),
    "wizard.check": Access(OFFICERS),
    "wizard.remove_annex": Access(OFFICERS),
    "wizard.download_annex": Access(PACKET_ROLES, owner=True),
    "wizard.export": Access(PACKET_ROLES, owner=True),
    # Any role reaches the action; transition() refuses what the workflow table does not
    # give the user's roles (see test_a_workflow_action_needs_one_of_its_roles).
    "workflow.act": Access(ANYONE),
    "workflow.review": Access(REVIEWERS),
    "workflow.notifications_page": Access(ANYONE),
    "workflow.notifications_read": Access(ANYONE),
    "packets.download": Access(PACKET_ROLES, owner=True),
    "packets.prepare": Access(PACKET_ROLES, owner=True),
    "packets.status": Access(PACKET_ROLES, owner=True),
    "packets.verify": Access(ANYONE),
    "dashboard.index": Access(ANYONE),
    "dashboard.search_page": Access(ANYONE),
    "dashboard.statistics_page": Access(ANYONE),
    "dashboard.statistics_csv": Access(ANYONE),
    "dashboard.extension": Access(OFFICERS),
    "rules.index": Access(ANYONE),
    "rules.state": Access(ANYONE),
    "rules.measure": Access(ANYONE),
    "rules.routes": Access(ANYONE),
    "rules.compare": Access(ANYONE),
    "rule_reports.new": Access(ANYONE),
    "providers.index": Access(ANYONE),
    "providers.provider": Access(ANYONE),
    "providers.compare": Access(ANYONE),
    # The unit's cases (another unit's is 404 unless shared with the unit: PARTNER_ACCESS);
    # officers open them, change what they hold, share them and record their team.
    "cases.index": Access(ANYONE),
    "cases.new": Access(OFFICERS),
    "cases.show": Access(ANYONE),
    "cases.live": Access(ANYONE),
    "cases.shared_request": Access(ANYONE),
    "cases.edit": Access(OFFICERS),
    "cases.attach": Access(OFFICERS),
    "cases.detach": Access(OFFICERS),
    "cases.draft": Access(OFFICERS),
    "cases.invite": Access(OFFICERS),
    "cases.change_partner": Access(OFFICERS),
    "cases.remove_partner": Access(OFFICERS),
    "cases.team": Access(OFFICERS),
    "cases.team_agreement": Access(ANYONE),
    # Evidence received, of the unit's requests (another unit's is 404): officers record it
    # and hand it over; the case team downloads it, with a reason; anyone reads its record.
    "evidence.receive": Access(OFFICERS),
    "evidence.item": Access(ANYONE),
    "evidence.download": Access(frozenset({Role.officer, Role.reviewer, Role.prosecutor})),
    "evidence.hand_over": Access(OFFICERS),
    # Files sent ahead of a receipt in chunks, by the officer who sends them (anyone else,
    # of the unit too, gets 404); the JSON calls of the receipt form's script.
    "evidence_uploads.start": Access(OFFICERS),
    "evidence_uploads.show": Access(OFFICERS, mine=True),
    "evidence_uploads.put_chunk": Access(OFFICERS, mine=True),
    "evidence_uploads.remove": Access(OFFICERS, mine=True),
    # The case team exports a request's evidence as a signed bundle; anyone checks a
    # bundle, and takes the unit's seal certificate to give to its recipients.
    "evidence_bundles.export": Access(frozenset({Role.officer, Role.reviewer, Role.prosecutor})),
    "evidence_bundles.verify": Access(ANYONE),
    "evidence_bundles.seal_certificate": Access(ANYONE),
    # Officers allow a partner unit of the case to download an item; the unit's
    # administrators decide its retention and, two of them, its destruction.
    "evidence_keeping.access": Access(OFFICERS),
    "evidence_keeping.retention": Access(UNIT_ADMINS),
    "evidence_keeping.ask_destruction": Access(UNIT_ADMINS),
    "evidence_keeping.cancel_destruction": Access(UNIT_ADMINS),
    "evidence_keeping.approve_destruction": Access(UNIT_ADMINS),
    # An administrator of a unit manages its users and settings (another unit's are 404);
    # an installation administrator manages every unit's, and alone creates units.
    "admin.users": Access(ADMINS),
    "admin.new_user": Access(ADMINS),
    "admin.edit_user": Access(ADMINS, everywhere=INSTALLATION_ADMINS),
    "admin.reset_two_factor": Access(ADMINS, everywhere=INSTALLATION_ADMINS),
    "admin.set_password": Access(ADMINS, everywhere=INSTALLATION_ADMINS),
    "admin.new_unit": Access(INSTALLATION_ADMINS),
    "admin.unit_settings": Access(ADMINS, everywhere=INSTALLATION_ADMINS),
    # Reports of wrong rules: those of the administrator's own unit (another's is 404).
    "admin.rule_reports_page": Access(UNIT_ADMINS),
    "admin.rule_report": Access(UNIT_ADMINS),
    # The log of the administrator's unit; every unit's for an installation administrator.
    "audit_log.index": Access(ADMINS),
    "audit_log.export": Access(ADMINS),
    # The webhook endpoints of the administrator's own unit (another's is 404).
    "webhooks.index": Access(UNIT_ADMINS),
    "webhooks.new": Access(UNIT_ADMINS),
    "webhooks.edit": Access(UNIT_ADMINS),
    "webhooks.rotate": Access(UNIT_ADMINS),
    "webhooks.delete": Access(UNIT_ADMINS),
    "webhooks.deliveries": Access(UNIT_ADMINS),
    "webhooks.replay": Access(UNIT_ADMINS),
}

# The HTTP API (``mlat.views.api``): who may call each operation with a token that has the
# operation's scope. Its own matrix is tests/test_api_access.py.
API_ANYONE = Access(ANYONE)
API_ACCESS: dict[str, Access] = {
    "api.openapi_json": PUBLIC,
    "api.docs": PUBLIC,
    "api.list_requests": API_ANYONE,
    "api.create_request": Access(OFFICERS),
    "api.get_request": API_ANYONE,
    "api.get_document": API_ANYONE,
    "api.put_document": Access(OFFICERS),
    "api.get_findings": API_ANYONE,
    "api.get_routes": API_ANYONE,
    "api.get_actions": API_ANYONE,
    # Any role reaches the action; transition() refuses what the table does not give it.
    "api.take_action": API_ANYONE,
    "api.get_packet": Access(PACKET_ROLES, owner=True),
    "api.prepare_packet": Access(PACKET_ROLES, owner=True),
    "api.download_packet": Access(PACKET_ROLES, owner=True),
    "api.list_annexes": API_ANYONE,
    "api.upload_annex": Access(OFFICERS),
    "api.download_annex": Access(PACKET_ROLES, owner=True),
    "api.get_history": API_ANYONE,
    "api.get_audit": Access(PACKET_ROLES | UNIT_ADMINS, owner=True),
    "api.list_states": API_ANYONE,
    "api.get_state": API_ANYONE,
    "api.list_instruments": API_ANYONE,
    "api.get_instrument": API_ANYONE,
    "api.list_providers": API_ANYONE,
    "api.get_provider": API_ANYONE,
}

# Valid values of the URLs' string converters, per argument (or per endpoint and argument).
VALUES: dict[str, list[str]] = {
    "step": [s.slug for s in STEPS],
    "action": [a for a, t in BY_ACTION.items() if not t.by_editing],  # chosen by users
    "code": sorted(rulebook().states),
    "kind": [m.value for m in MeasureKind],
    "filename": ["app.css"],
    "ref": ["GB:measures.stored_content", "catalogue:budapest", "provider:meta:preservation"],
    "slug": sorted(rulebook().providers),
}
API_VALUES: dict[str | tuple[str, str], list[str]] = {
    "code": ["US", "GB"],
    "slug": ["meta", "google"],
    ("api.get_instrument", "slug"): ["budapest", "untoc"],
}
ENDPOINT_VALUES: dict[tuple[str, str], list[str]] = {
    ("wizard.check", "step"): list(STEP_FORMS),  # the live check is for the form steps
}
# What the members of a partner unit get on the routes of a case shared with it (on every
# other URL of the lead unit's: 403 or 404): "read" any role reads; "draft" only its
# officers, and only when the lead allowed the unit to draft; "lead" no one (403).
PARTNER_ACCESS: dict[str, str] = {
    "cases.show": "read",
    "cases.live": "read",
    "cases.shared_request": "read",
    "cases.team_agreement": "read",
    "cases.attach": "draft",
    "cases.detach": "draft",
    "cases.draft": "draft",
    "cases.edit": "lead",
    "cases.invite": "lead",
    "cases.change_partner": "lead",
    "cases.remove_partner": "lead",
    "cases.team": "lead",
}

MISSING = 987_654
METHODS = {"GET", "POST", "PUT", "DELETE"}  # PUT and DELETE: the uploads' JSON calls
API_METHODS = {"GET", "POST", "PUT"}


@dataclass(frozen=True)
class World:
    unit: Unit
    other_unit: Unit
    owner: User  # an officer of the unit who drafted the requests
    colleague: User  # a user of the unit, for the administrators' user pages
    stranger: User  # an officer of the other unit, who drafted its request
    own: MlaRequest
    own_annex: int
    other: MlaRequest
    other_annex: int
    rule_report: int  # a report of the unit's
    other_rule_report: int  # a report of the other unit's
    webhook: int = MISSING  # a webhook endpoint of the unit's, and a delivery to it
    delivery: int = MISSING
    other_webhook: int = MISSING  # the other unit's
    other_delivery: int = MISSING
    case: int = MISSING  # a case of the unit's, and one of the other unit's
    other_case: int = MISSING
    evidence: int = MISSING  # an evidence item of the unit's, and one of the other unit's
    other_evidence: int = MISSING
    upload: int = MISSING  # an upload by the owner, and one by the stranger
    other_upload: int = MISSING


@dataclass(frozen=True)
class Case:
    endpoint: str
    method: str
    url: str
    whose: str  # "none" (no object), "own" unit, "other" unit, "missing" id

    def __str__(self) -> str:
        return f"{self.method} {self.url} ({self.endpoint}, {self.whose})"


def _ids(world: World, whose: str) -> dict[str, int]:
    own, other, colleague = world.own.id, world.other.id, world.colleague.id
    assert own is not None and other is not None and colleague is not None  # all saved
    if whose == "own":
        return {"request_id": own, "annex_id": world.own_annex, "user_id": colleague,
                "report_id": world.rule_report, "unit_id": world.unit.id or 0,
                "webhook_id": world.webhook, "delivery_id": world.delivery,
                "case_id": world.case, "item_id": world.evidence, "upload_id": world.upload,
                "n": 0}  # fmt: skip
    if whose == "other":
        return {"request_id": other, "annex_id": world.other_annex,
                "user_id": world.stranger.id or 0, "report_id": world.other_rule_report,
                "unit_id": world.other_unit.id or 0, "webhook_id": world.other_webhook,
                "delivery_id": world.other_delivery, "case_id": world.other_case,
                "item_id": world.other_evidence, "upload_id": world.other_upload,
                "n": 0}  # fmt: skip
    if whose == "crossed":  # the own request with another unit's annex
        return {"request_id": own, "annex_id": world.other_annex}
    return {"request_id": MISSING, "annex_id": MISSING, "user_id": MISSING, "report_id": MISSING,
            "unit_id": MISSING, "webhook_id": MISSING, "delivery_id": MISSING,
            "case_id": MISSING, "item_id": MISSING, "upload_id": MISSING, "n": 0}  # fmt: skip


def _int_args(rule: Rule) -> set[str]:
    return set(re.findall(r"<int:(\w+)>", rule.rule))


def cases(app: Flask, world: World) -> Iterator[Case]:
    """Every rule, with every method, on every value of its converters."""
    yield from _cases(app, world, api=False)


def api_cases(app: Flask, world: World) -> Iterator[Case]:
    """Every rule of the API, with every method, on every value of its converters: the
    reads first, so that what the calls that change the request do (an officer who uploads
    an annex becomes one who changed it) does not decide what the reads may see."""
    changes = ("api.upload_annex", "api.put_document")  # which make the caller an editor
    yield from sorted(
        _cases(app, world, api=True),
        key=lambda case: (case.method != "GET", case.endpoint in changes),
    )


def _cases(app: Flask, world: World, *, api: bool) -> Iterator[Case]:
    adapter = app.url_map.bind("localhost")
    rules = sorted(app.url_map.iter_rules(), key=lambda r: (r.endpoint == "auth.logout", r.rule))
    for rule in rules:
        if rule.endpoint.startswith("api.") != api:
            continue
        assert rule.methods is not None  # Flask gives every rule its methods
        ints = _int_args(rule)
        strings = sorted(rule.arguments - ints)
        choices: list[dict[str, str]] = [{}]
        for name in strings:
            options = ENDPOINT_VALUES.get((rule.endpoint, name), VALUES.get(name))
            if api:
                options = API_VALUES.get((rule.endpoint, name), API_VALUES.get(name, options))
            assert options, f"no test values for <{name}> of {rule.rule}: add them to VALUES"
            choices = [{**c, name: v} for c in choices for v in options]
        if not ints:
            variants = ["none"]
        elif "request_id" in ints:
            variants = ["own", "other", "missing"] + (["crossed"] if "annex_id" in ints else [])
        else:
            variants = ["own", "other", "missing"]
        for whose in variants:
            ids = _ids(world, whose)
            assert ints <= set(ids), f"no {whose} test id for {rule.rule}: add one to _ids"
            for values in choices:
                url = adapter.build(rule.endpoint, {**values, **{k: ids[k] for k in ints}})
                for method in sorted(rule.methods & (API_METHODS if api else METHODS)):
                    yield Case(rule.endpoint, method, url, "other" if whose == "crossed" else whose)


def token_of(page: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert match, page
    return match.group(1)


def call(client: Client, case: Case, token: str) -> TestResponse:
    if case.method == "POST":
        response = client.post(case.url, data={"csrf_token": token})
    elif case.method in ("PUT", "DELETE"):  # as fetch() sends them, the token in a header
        response = client.open(case.url, method=case.method, headers={"X-CSRFToken": token})
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


def page_problems(response: TestResponse) -> list[str]:
    """What a whole HTML page lacks of what every page needs (see check_page); nothing
    for files, redirects and the fragments that scripts fetch."""
    if response.mimetype != "text/html" or "<html" not in response.get_data(as_text=True):
        return []
    try:
        check_page(response)
    except AssertionError as problem:
        return [str(problem).splitlines()[0]]
    return []
