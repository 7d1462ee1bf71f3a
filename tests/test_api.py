"""The HTTP API as a case-management system uses it: tokens, scopes, problems, versions,
pages, and a request taken from creation to its signed packet."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openapi_spec_validator import validate
from sqlmodel import Session, select

from mlat.audit_actions import AuditAction
from mlat.models import ApiToken, AuditEntry, RequestStatus, Role, User, utcnow
from mlat.services import ServiceError, api_tokens
from mlat.services.webhook_events import WebhookEvent
from mlat.views.api.core import OPERATIONS, PROBLEMS
from mlat.views.api.spec import openapi_document
from tests.api_helpers import Api, give_authenticator, make_token, problem
from tests.conftest import PASSWORD, Client, MakeRequest, MakeUnit, MakeUser, check_page
from tests.packet_jobs import manual_queue
from tests.workflow_helpers import submittable_content, today

EXAMPLE = (
    Path(__file__).resolve().parent.parent / "docs" / "examples" / "qa-to-us-stored-content.json"
)


def example() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(EXAMPLE.read_text())
    return document


@pytest.fixture
def officer(make_user: MakeUser) -> User:
    return make_user(Role.officer)


@pytest.fixture
def api(client: Client, db: Session, officer: User) -> Api:
    return Api(client, make_token(db, officer))


# ------------------------------------------------------------------- tokens and their use


def test_a_token_is_made_on_the_account_page_shown_once_and_kept_hashed(
    client: Client, db: Session, login_as: Any
) -> None:
    user = login_as(Role.officer)
    expires = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    response = client.submit("/account/tokens", {"name": "Case system", "scopes": ["read", "write"],
                             "expires_on": expires, "allowed_addrs": "127.0.0.1",
                             "password": PASSWORD})  # fmt: skip
    assert response.status_code == 200, response.text
    page = check_page(response)
    secret = page.select_one("code.token-secret")
    assert secret is not None and secret.text.startswith("mlat_")
    token = secret.text
    row = db.exec(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert row.scopes == "read write" and row.allowed_addrs == "127.0.0.1/32"
    # never shown again: the list gives its first characters only
    again = client.get("/account/tokens").text
    assert token not in again and row.prefix + "…" in again
    assert Api(client, token).get("/requests").status_code == 200
    created = db.exec(
        select(AuditEntry).where(AuditEntry.action == AuditAction.api_token_create)
    ).one()
    assert created.details["name"] == "Case system"


def test_sending_the_token_form_again_makes_no_second_token(
    client: Client, db: Session, login_as: Any
) -> None:
    """A reload of the page that showed the new token sends the same form again."""
    user = login_as(Role.officer)
    form = client.get("/account/tokens").text
    once = re.search(r'name="once" type="hidden" value="([^"]+)"', form)
    assert once is not None, form
    expires = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    sent = {"name": "Case system", "scopes": ["read"], "expires_on": expires,
            "password": PASSWORD, "once": once.group(1)}  # fmt: skip
    first = client.submit("/account/tokens", sent)
    assert first.status_code == 200 and "token-secret" in first.text
    again = client.submit("/account/tokens", sent)
    assert again.status_code == 200 and "token-secret" not in again.text
    assert "already sent and made its token" in again.text
    assert len(db.exec(select(ApiToken).where(ApiToken.user_id == user.id)).all()) == 1
    fresh = re.search(r'name="once" type="hidden" value="([^"]+)"', again.text)
    assert fresh is not None and fresh.group(1) != once.group(1)  # the next one may be made


def test_a_token_form_with_mistakes_keeps_what_was_typed_and_says_why(
    client: Client, login_as: Any
) -> None:
    login_as(Role.officer)
    response = client.submit("/account/tokens", {"name": "Case system", "scopes": ["read"],
                             "expires_on": "2020-01-01", "allowed_addrs": "not-an-address",
                             "password": PASSWORD})  # fmt: skip
    assert response.status_code == 400
    page = check_page(response)
    assert "Choose an expiry date after today" in page.text
    assert page.select_one("#name")["value"] == "Case system"  # type: ignore[index]
    wrong = client.submit("/account/tokens", {"name": "x", "scopes": ["read"],
                          "expires_on": "2999-01-01", "password": "wrong"})  # fmt: skip
    assert wrong.status_code == 400 and "Your password is not right." in wrong.text


def test_reviewers_prosecutors_and_admins_make_tokens_only_with_two_factor(
    app: Flask, db: Session, make_user: MakeUser
) -> None:
    for role in (Role.reviewer, Role.prosecutor, Role.admin):
        user = make_user(role)
        with pytest.raises(ServiceError) as refused:
            make_token(db, user)
        db.rollback()
        assert "Turn on two-factor authentication first" in refused.value.message
        give_authenticator(app, db, user)
        assert make_token(db, user).startswith("mlat_")


def test_a_token_of_a_user_who_loses_two_factor_stops_working(
    app: Flask, client: Client, db: Session, make_user: MakeUser
) -> None:
    reviewer = make_user(Role.reviewer)
    give_authenticator(app, db, reviewer)
    api = Api(client, make_token(db, reviewer))
    assert api.get("/requests").status_code == 200
    reviewer.totp_sealed = None
    db.add(reviewer)
    db.commit()
    body = problem(api.get("/requests"), 401, "token-refused")
    assert "two-factor authentication" in body["detail"]


def test_without_a_token_the_api_answers_401_and_a_browser_session_is_not_enough(
    client: Client, login_as: Any
) -> None:
    login_as(Role.officer)  # the cookie of a logged-in browser
    response = client.get("/api/v1/requests")
    problem(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    problem(client.get("/api/v1/requests", headers={"Authorization": "Basic eDp5"}), 401,
            "unauthenticated")  # fmt: skip


def test_refused_tokens_are_audited_and_never_let_in(
    client: Client, db: Session, officer: User
) -> None:
    token = make_token(db, officer, name="Old system")
    problem(Api(client, "mlat_" + "x" * 43).get("/requests"), 401, "token-refused")
    problem(client.get(f"/api/v1/requests?access_token={token}"), 400, "invalid-request")
    row = db.exec(select(ApiToken).where(ApiToken.name == "Old system")).one()
    api_tokens.revoke_token(session=db, user=officer, token_id=row.id or 0, now=utcnow())
    db.commit()
    problem(Api(client, token).get("/requests"), 401, "token-refused")
    expired = make_token(db, officer, name="Expired")
    db.execute(
        ApiToken.__table__.update()  # type: ignore[attr-defined]
        .where(ApiToken.__table__.c.name == "Expired")  # type: ignore[attr-defined]
        .values(expires_at=utcnow() - dt.timedelta(minutes=1))
    )
    db.commit()
    problem(Api(client, expired).get("/requests"), 401, "token-refused")
    reasons = db.exec(
        select(AuditEntry.reason).where(AuditEntry.action == AuditAction.api_refused)
    ).all()
    assert set(reasons) == {"unknown", "revoked", "expired"}


def test_a_token_is_refused_from_an_address_it_does_not_allow(
    client: Client, db: Session, officer: User
) -> None:
    elsewhere = Api(client, make_token(db, officer, allowed_addrs="192.0.2.0/24"))
    body = problem(elsewhere.get("/requests"), 401, "token-refused")
    assert "may not be used from this address (127.0.0.1)" in body["detail"]
    here = Api(client, make_token(db, officer, allowed_addrs="127.0.0.0/8 2001:db8::/32"))
    assert here.get("/requests").status_code == 200


def test_scopes_narrow_what_a_token_may_do(client: Client, db: Session, officer: User) -> None:
    reader = Api(client, make_token(db, officer, scopes=["read"]))
    assert reader.get("/requests").status_code == 200
    body = problem(reader.post("/requests", json=example()), 403, "insufficient-scope")
    assert "write" in body["detail"]


def test_a_token_never_does_more_than_its_users_roles_and_unit(
    app: Flask, client: Client, db: Session, make_user: MakeUser, make_unit: MakeUnit,
    make_request: MakeRequest, officer: User,
) -> None:  # fmt: skip
    reviewer = make_user(Role.reviewer)
    give_authenticator(app, db, reviewer)
    body = problem(Api(client, make_token(db, reviewer)).post("/requests", json=example()), 403,
                   "forbidden")  # fmt: skip
    assert body["detail"] == "Only officers draft requests."
    ours = make_request(officer)
    other = make_user(Role.officer, unit_=make_unit(state="NG"))
    theirs = Api(client, make_token(db, other))
    problem(theirs.get(f"/requests/{ours.id}"), 404, "not-found")
    assert theirs.get("/requests").get_json()["items"] == []


def test_calls_beyond_the_tokens_rate_get_429_with_retry_after(
    app: Flask, client: Client, db: Session, officer: User
) -> None:
    app.config["MLAT"] = app.config["MLAT"].__class__(
        **{**app.config["MLAT"].__dict__, "api_rate_per_minute": 3}
    )
    api = Api(client, make_token(db, officer))
    statuses = [api.get("/requests").status_code for _ in range(4)]
    if statuses[-1] == 200:  # the minute turned over between the calls: count again
        statuses = [api.get("/requests").status_code for _ in range(4)]
    assert statuses[:3] == [200, 200, 200] or 429 in statuses
    limited = api.get("/requests")
    body = problem(limited, 429, "rate-limited")
    assert 1 <= int(limited.headers["Retry-After"]) <= 60
    assert "more than 3 calls" in body["detail"]


def test_every_call_is_audited_with_the_tokens_name(
    client: Client, db: Session, officer: User, make_request: MakeRequest
) -> None:
    api = Api(client, make_token(db, officer, name="Court system"))
    mla_request = make_request(officer)
    api.get(f"/requests/{mla_request.id}")
    api.get("/requests/999999")
    calls = db.exec(select(AuditEntry).where(AuditEntry.action == AuditAction.api_call)).all()
    assert [(c.details["token"], c.details["path"], c.details["status"]) for c in calls] == [
        ("Court system", "/api/v1/requests/<int:request_id>", 200),
        ("Court system", "/api/v1/requests/<int:request_id>", 404),
    ]
    assert calls[0].object_id == str(mla_request.id)


# ----------------------------------------------------------------- requests and documents


def test_a_draft_is_created_from_a_request_document_and_read_back(api: Api, officer: User) -> None:
    created = api.post("/requests?title=Phishing%20of%20a%20bank", json=example())
    assert created.status_code == 201, created.text
    body = created.get_json()
    assert created.headers["Location"] == f"/api/v1/requests/{body['id']}"
    assert created.headers["ETag"] == '"v1"' and body["version"] == 1
    assert body["title"] == "Phishing of a bank" and body["status"] == "draft"
    assert body["reference"].startswith("DOH-") and body["owner_id"] == officer.id
    assert "submit" in body["actions"]
    read = api.get(f"/requests/{body['id']}/document")
    assert read.headers["ETag"] == '"v1"'
    document = read.get_json()
    assert document["facts"] == example()["facts"]
    assert [i["value"] for i in document["identifiers"]] == [
        i["value"] for i in example()["identifiers"]
    ]


def test_a_document_that_does_not_fit_is_refused_with_each_place_in_words(api: Api) -> None:
    document = example() | {"offences": [{"name": "Fraud", "max_penalty_years": "ten"}],
                            "colour": "blue"}  # fmt: skip
    body = problem(api.post("/requests", json=document), 422, "invalid-content")
    paths = {e["path"]: e["message"] for e in body["errors"]}
    assert paths["offences.0.max_penalty_years"] == (
        "Offence 1, maximum penalty: give a number of years"
    )
    assert "not part of the request format" in paths["colour"]
    broken = api.post("/requests", data=b'{"facts": ', content_type="application/json")
    assert "Line 1, column" in problem(broken, 422, "invalid-content")["errors"][0]["message"]
    problem(api.post("/requests", data="facts", content_type="text/plain"), 415,
            "unsupported-media-type")  # fmt: skip
    problem(api.post("/requests", json=[1, 2]), 422, "invalid-content")


def test_replacing_the_document_needs_the_version_read(api: Api) -> None:
    created = api.post("/requests", json=example()).get_json()
    path = f"/requests/{created['id']}/document"
    changed = example() | {"facts": "New facts, as the case system now has them."}
    problem(api.put(path, json=changed), 428, "precondition-required")
    saved = api.put(path, json=changed, headers={"If-Match": '"v1"'})
    assert saved.status_code == 200, saved.text
    assert saved.headers["ETag"] == '"v2"' and saved.get_json()["document"]["facts"] == (
        "New facts, as the case system now has them."
    )
    stale = api.put(path, json=example(), headers={"If-Match": '"v1"'})
    body = problem(stale, 412, "precondition-failed")
    assert "version 2" in body["detail"] and stale.headers["ETag"] == '"v2"'
    assert api.get(path).get_json()["facts"] == "New facts, as the case system now has them."


def test_reads_answer_304_when_nothing_changed(api: Api, officer: User) -> None:
    created = api.post("/requests", json=example()).get_json()
    first = api.get(f"/requests/{created['id']}")
    again = api.get(f"/requests/{created['id']}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    listing = api.get("/requests")
    assert listing.headers["ETag"]
    same = api.get("/requests", headers={"If-None-Match": listing.headers["ETag"]})
    assert same.status_code == 304


def test_the_list_filters_pages_by_cursor_and_searches(
    api: Api, officer: User, make_request: MakeRequest
) -> None:
    made = [make_request(officer, title=f"Request {n}", requested_state=state)
            for n, state in enumerate(["US", "GB", "US", "FR", "US"])]  # fmt: skip
    page = api.get("/requests?requested_state=US&limit=2&sort=created&order=asc").get_json()
    assert [r["id"] for r in page["items"]] == [made[0].id, made[2].id]
    rest = api.get(page["next"].removeprefix("/api/v1")).get_json()
    assert [r["id"] for r in rest["items"]] == [made[4].id] and rest["next_cursor"] is None
    body = problem(api.get("/requests?cursor=garbage"), 400, "invalid-request")
    assert body["errors"][0]["path"] == "query.cursor"
    body = problem(api.get("/requests?status=lost&colour=red"), 400, "invalid-request")
    assert {e["path"] for e in body["errors"]} == {"query.status", "query.colour"}
    found = api.get("/requests?q=Request%203").get_json()
    assert found["items"][0]["id"] == made[3].id


def test_findings_and_route_advice_are_those_of_the_pages(api: Api) -> None:
    document = submittable_content(today())
    created = api.post("/requests", json=document).get_json()
    findings = api.get(f"/requests/{created['id']}/findings").get_json()
    assert findings["errors"] == 0 and findings["submittable"] is True
    assert all(f["message"] and f["severity"] in ("warning", "info") for f in findings["findings"])
    incomplete = api.post("/requests", json={"requested_state": "US"}).get_json()
    missing = api.get(f"/requests/{incomplete['id']}/findings").get_json()
    assert missing["errors"] > 0 and missing["submittable"] is False
    assert any(f["field"] == "facts" for f in missing["findings"])
    advice = api.get(f"/requests/{created['id']}/routes").get_json()
    assert advice["requesting_state"] == "QA" and advice["requested_state"] == "US"
    assert advice["routes"] and advice["suggestion"] == advice["routes"][0]
    assert all(r["why"] and r["citation"]["title"] for r in advice["routes"])


# -------------------------------------------------------------- from draft to the packet


def test_a_request_goes_from_draft_to_its_signed_packet_through_the_api(
    app: Flask, client: Client, db: Session, make_user: MakeUser, officer: User
) -> None:
    jobs = manual_queue(app)
    reviewer, prosecutor = make_user(Role.reviewer), make_user(Role.prosecutor)
    give_authenticator(app, db, reviewer)
    phone = give_authenticator(app, db, prosecutor)
    drafting = Api(client, make_token(db, officer))
    reviewing = Api(client, make_token(db, reviewer))
    signing = Api(client, make_token(db, prosecutor))

    created = drafting.post("/requests", json=submittable_content(today())).get_json()
    rid = created["id"]
    annex = drafting.post(f"/requests/{rid}/annexes", headers={"If-Match": '"v1"'},
                          data={"file": (io.BytesIO(b"%PDF-1.4 order"), "order.pdf"),
                                "kind": "judicial_order", "title": "Production order",
                                "language": "en"},
                          content_type="multipart/form-data")  # fmt: skip
    assert annex.status_code == 201, annex.text
    listed = drafting.get(f"/requests/{rid}/annexes").get_json()["annexes"]
    assert [a["title"] for a in listed] == ["Production order"]
    file = drafting.get(listed[0]["download"].removeprefix("/api/v1"))
    digest = hashlib.sha256(file.data).digest()
    assert file.headers["Repr-Digest"] == f"sha-256=:{base64.b64encode(digest).decode()}:"
    assert listed[0]["sha256"] == digest.hex()

    etag = drafting.get(f"/requests/{rid}").headers["ETag"]
    submitted = drafting.act(rid, "submit", etag)
    assert submitted.status_code == 200, submitted.text
    assert submitted.get_json()["status"] == "in_review"
    read = reviewing.get(f"/requests/{rid}").get_json()
    no_digest = reviewing.act(rid, "approve", f'"v{read["version"]}"')
    problem(no_digest, 409, "conflict")
    approved = reviewing.act(rid, "approve", f'"v{read["version"]}"',
                             seen_digest=read["content_digest"])  # fmt: skip
    assert approved.get_json()["status"] == "approved", approved.text
    assert jobs.run_all() == ["done"]  # the approved version's draft packet

    etag = approved.headers["ETag"]
    refused = signing.act(rid, "sign", etag, password=PASSWORD, code=phone.code(prosecutor.email))
    assert "confirm" in problem(refused, 422, "refused")["detail"]
    wrong = signing.act(rid, "sign", etag, confirm=True, password="nope",
                        code=phone.code(prosecutor.email))  # fmt: skip
    assert problem(wrong, 422, "refused")["errors"][0]["path"] == "password"
    signed = signing.act(rid, "sign", etag, confirm=True, password=PASSWORD,
                         code=phone.code(prosecutor.email))  # fmt: skip
    assert signed.status_code == 200, signed.text
    assert signed.get_json()["status"] == "signed"
    packet = signing.get(f"/requests/{rid}/packet").get_json()
    assert packet["copies"][0]["kind"] == "signed" and packet["copies"][0]["status"] == "pending"
    problem(signing.get(f"/requests/{rid}/packet.pdf"), 409, "not-ready")
    assert "done" in jobs.run_all()
    ready = signing.get(f"/requests/{rid}/packet").get_json()["copies"][0]
    assert ready["status"] == "ready"
    pdf = signing.get(ready["download"].removeprefix("/api/v1"))
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert hashlib.sha256(pdf.data).hexdigest() == ready["sha256"]

    transmitted = drafting.act(rid, "transmit", signed.headers["ETag"], on=today().isoformat(),
                               channel="central_authority", foreign_reference="OIA-1")  # fmt: skip
    assert transmitted.get_json()["status"] == "transmitted", transmitted.text
    history = drafting.get(f"/requests/{rid}/history").get_json()["events"]
    assert [e["action"] for e in history] == ["submit", "approve", "sign", "transmit"]
    assert history[2]["actor"] == prosecutor.name
    trail = signing.get(f"/requests/{rid}/audit").get_json()["entries"]
    tokens = {e["details"].get("token") for e in trail if e["action"] == "api.call"}
    assert tokens == {"case system"}
    assert {"request.create", "request.submit", "request.sign", "packet.download"} <= {
        e["action"] for e in trail
    }


def test_an_action_with_a_stale_version_or_not_allowed_is_refused_in_words(
    api: Api, officer: User, make_request: MakeRequest, db: Session
) -> None:
    mla_request = make_request(officer, content=submittable_content(today()))
    problem(api.act(mla_request.id or 0, "submit", '"v7"'), 412, "precondition-failed")
    problem(api.act(mla_request.id or 0, "fly", '"v1"'), 404, "not-found")
    body = problem(api.act(mla_request.id or 0, "approve", '"v1"'), 403, "forbidden")
    assert body["detail"]
    actions = api.get(f"/requests/{mla_request.id}/actions").get_json()["actions"]
    assert {a["action"]: a["allowed"] for a in actions} == {"submit": True, "withdraw": True}
    db.refresh(mla_request)
    assert mla_request.status == RequestStatus.draft


def test_the_rule_tables_and_the_provider_directory_are_read_as_their_schemas(api: Api) -> None:
    states = api.get("/states").get_json()["states"]
    assert {"US", "GB", "QA"} <= {s["state"] for s in states}
    table = api.get("/states/US").get_json()
    assert table["state"] == "US" and table["central_authority"]["name"]
    problem(api.get("/states/ZZ"), 404, "not-found")
    providers = api.get("/providers").get_json()["providers"]
    assert any(p["slug"] == "meta" for p in providers)
    meta = api.get("/providers/meta").get_json()
    assert meta["name"].startswith("Meta") and meta["entities"]
    instruments = api.get("/instruments").get_json()["instruments"]
    assert "budapest" in {i["id"] for i in instruments}
    assert api.get("/instruments/budapest").get_json()["name"]


# ------------------------------------------------------------ the description of the API


def test_the_openapi_document_is_valid_and_describes_every_operation(
    app: Flask, client: Client
) -> None:
    served = client.get("/api/v1/openapi.json")
    assert served.status_code == 200
    document = served.get_json()
    validate(document)
    described = {
        (method, "/api/v1" + path)
        for path, operations in document["paths"].items()
        for method in operations
    }
    routed = {
        (method.lower(), rule.rule.replace("<int:", "{").replace("<", "{").replace(">", "}"))
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("api.")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    assert described == routed
    assert document == openapi_document()
    body = document["paths"]["/requests"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"].startswith("#/components/schemas/RequestDocument")


def test_the_documentation_page_lists_every_operation_and_problem(client: Client) -> None:
    page = check_page(client.get("/api/v1/docs"))
    for op in OPERATIONS:
        assert page.select_one(f"#op-{op.endpoint}") is not None, op.endpoint
    for slug in PROBLEMS:
        assert page.select_one(f"#problem-{slug}") is not None, slug
    events = page.select_one("#webhook-events")
    assert events is not None
    for event in WebhookEvent:  # and how to check a webhook's signature
        assert event.value in events.text
    assert "HMAC-SHA256" in page.text and "def verify(" in page.text


def test_problems_come_in_the_callers_language(api: Api) -> None:
    body = problem(api.get("/requests/999999", headers={"Accept-Language": "fr"}), 404,
                   "not-found")  # fmt: skip
    assert body["title"] != PROBLEMS["not-found"][1]


def test_a_token_is_revoked_on_the_account_page_by_its_user_alone(
    client: Client, db: Session, login_as: Any, make_user: MakeUser
) -> None:
    colleague = make_user(Role.officer)
    theirs = make_token(db, colleague, name="Theirs")
    user = login_as(Role.officer)
    mine = make_token(db, user, name="Mine")
    their_row = db.exec(select(ApiToken).where(ApiToken.name == "Theirs")).one()
    my_row = db.exec(select(ApiToken).where(ApiToken.name == "Mine")).one()
    refused = client.submit("/account/tokens/revoke", {"token_id": str(their_row.id)},
                            form_url="/account/tokens", follow_redirects=True)  # fmt: skip
    assert "No such token." in refused.text
    assert Api(client, theirs).get("/requests").status_code == 200
    done = client.submit("/account/tokens/revoke", {"token_id": str(my_row.id)},
                         form_url="/account/tokens", follow_redirects=True)  # fmt: skip
    assert "The token Mine is revoked: it no longer works." in done.text
    row = check_page(done).select_one(f'tr[data-token="{my_row.id}"]')
    assert row is not None and "Revoked" in row.text
    problem(Api(client, mine).get("/requests"), 401, "token-refused")


def test_a_token_follows_its_users_account_at_every_call(
    client: Client, db: Session, officer: User
) -> None:
    api = Api(client, make_token(db, officer))
    assert api.post("/requests", json=example()).status_code == 201
    officer.role_rows = []  # the officer's role is taken away
    db.add(officer)
    db.commit()
    assert problem(api.post("/requests", json=example()), 403, "forbidden")["detail"] == (
        "Only officers draft requests."
    )
    officer.active = False
    db.add(officer)
    db.commit()
    problem(api.get("/requests"), 401, "token-refused")
