"""Who may call which operation of the API, read from the table ``API_ACCESS``: every
route, with every method, for a token of each role, on a request of the token's unit, of
another unit and on a missing id; and every operation with a token that lacks its scope."""

from __future__ import annotations

import io
import json

import pytest
from flask import Flask
from sqlmodel import Session
from werkzeug.test import TestResponse

from mlat.models import Role, User
from mlat.views.api.core import OPERATIONS
from tests.api_helpers import give_authenticator, make_token
from tests.conftest import Client, MakeUser
from tests.route_access import API_ACCESS, Access, Case, World, api_cases
from tests.test_access import world as world  # the fixture
from tests.wizard_helpers import PDF

SCOPES = {f"api.{op.endpoint}": op.scope for op in OPERATIONS}
SAMPLE = {"requested_state": "US", "facts": "A phishing campaign against a bank's customers."}


def api_call(client: Client, case: Case, token: str | None, version: int) -> TestResponse:
    """The call as a client that means it makes it: with the version read and a body of the
    right kind, so that what refuses it is the access rule, not a missing part."""
    headers = {} if case.method == "GET" else {"If-Match": f'"v{version}"'}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if case.method == "GET":
        response = client.get(case.url, headers=headers)
    elif case.endpoint == "api.upload_annex":
        data = {"file": (io.BytesIO(PDF), "order.pdf"), "title": "Order", "kind": "other"}
        response = client.post(case.url, headers=headers, data=data,
                               content_type="multipart/form-data")  # fmt: skip
    elif case.endpoint in ("api.put_document", "api.create_request"):
        response = client.open(case.url, method=case.method, headers=headers,
                               data=json.dumps(SAMPLE),
                               content_type="application/json")  # fmt: skip
    else:
        response = client.open(case.url, method=case.method, headers=headers, json={})
    response.get_data()
    response.close()
    return response


def _expected(access: Access, role: Role, case: Case) -> str:
    allowed = access.roles is None or role in access.roles
    if access.roles is None:
        return "ok"
    if case.whose in ("missing", "other"):
        return "404" if allowed else "403/404"
    return ("ok" if case.method == "GET" else "done or refused in words") if allowed else "403"


def _meets(expected: str, response: TestResponse, case: Case) -> bool:
    code = response.status_code
    if case.endpoint == "api.take_action" and expected != "404":
        # any role reaches it; transition() refuses what the table does not give the role
        return code < 500 and code not in (401, 404, 405)
    if expected == "ok":
        # a packet not rendered yet is 409 not-ready: the access rule let the call through
        return 200 <= code < 400 or (code == 409 and b"not-ready" in response.data)
    if expected == "404":
        return code == 404
    if expected == "403/404":
        return code in (403, 404)
    if expected == "403":
        return code == 403 and b"problem-forbidden" in response.data
    return code < 500 and code not in (401, 403, 404, 405)


def _problem_json(response: TestResponse) -> bool:
    if response.status_code < 400:
        return True
    return response.mimetype == "application/problem+json"


@pytest.mark.parametrize("role", list(Role))
def test_each_roles_token_reaches_its_operations_and_only_those(
    app: Flask, client: Client, db: Session, make_user: MakeUser, world: World, role: Role
) -> None:
    user: User = make_user(role)
    if role != Role.officer:
        give_authenticator(app, db, user)
    token = make_token(db, user)
    wrong = []
    for case in api_cases(app, world):
        db.refresh(world.own)
        response = api_call(client, case, token, world.own.version)
        expected = _expected(API_ACCESS[case.endpoint], role, case)
        if not _meets(expected, response, case):
            wrong.append(f"{case}: {response.status_code}, expected {expected}: {response.text}")
        if not _problem_json(response):
            wrong.append(f"{case}: an error that is not a problem: {response.mimetype}")
        if case.whose == "other" and world.other.reference in response.text:
            wrong.append(f"{case}: shows another unit's request")
    assert not wrong, "\n".join(wrong)


def test_a_token_without_the_operations_scope_is_refused_before_anything_else(
    client: Client, db: Session, make_user: MakeUser, world: World
) -> None:
    officer = make_user(Role.officer)
    tokens = {scope: make_token(db, officer, scopes=[scope], name=scope)
              for scope in ("read", "write", "workflow")}  # fmt: skip
    wrong = []
    for case in api_cases(app=client.application, world=world):
        needed = SCOPES[case.endpoint]
        for scope, token in tokens.items():
            if needed is None or scope == needed:
                continue
            response = api_call(client, case, token, world.own.version)
            if response.status_code != 403 or b"insufficient-scope" not in response.data:
                wrong.append(f"{case} with {scope}: {response.status_code}")
    assert not wrong, "\n".join(wrong)


def test_without_a_token_every_operation_but_the_description_is_401(
    client: Client, world: World
) -> None:
    wrong = []
    for case in api_cases(app=client.application, world=world):
        response = api_call(client, case, None, world.own.version)
        public = API_ACCESS[case.endpoint].roles is None
        if (response.status_code == 401) == public:
            wrong.append(f"{case}: {response.status_code}")
    assert not wrong, "\n".join(wrong)
