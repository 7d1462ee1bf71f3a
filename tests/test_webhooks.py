"""Signed webhooks: a unit's endpoints receive the events they asked for, signed as the
Standard Webhooks specification describes, sent after the commit through the job queue,
tried again for a day, found again when their worker died, never sent to a private
address; and the administrators' pages that manage them."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from mlat import create_app
from mlat.audit_actions import AuditAction
from mlat.config import Config, JobSettings
from mlat.jobs.deliveries import reap_deliveries
from mlat.jobs.queues import ManualQueue
from mlat.models import (
    AuditEntry,
    MlaRequest,
    PacketJob,
    RequestStatus,
    Role,
    Unit,
    User,
    WebhookDelivery,
    WebhookEndpoint,
    utcnow,
)
from mlat.services import ServiceError, notifications, packet_jobs, webhooks
from mlat.services import webhook_deliveries as deliveries
from mlat.services.webhook_events import DeliveryStatus, WebhookEvent
from mlat.services.webhook_network import (
    PRIVATE_ADDRESS,
    REDIRECTED,
    AddressRefused,
    Reach,
    check_url,
    parse_networks,
)
from tests.conftest import (
    DATA_KEYS,
    SIGNING_SECRET,
    Client,
    MakeRequest,
    MakeUnit,
    MakeUser,
    PageClient,
    field_value,
    flashes,
    form_errors,
    rows,
)
from tests.webhook_helpers import (
    OUTSIDE,
    PUBLIC,
    TESTING,
    Receiver,
    failed_delivery,
    fake_resolve,
    receiving,
    register,
    verifies,
)
from tests.workflow_helpers import step, submittable_content, today

ALL = tuple(WebhookEvent)
REDIS_URL = os.environ.get("MLAT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def jobs(app: Flask) -> ManualQueue:
    queue = app.extensions["mlat_jobs"]
    assert isinstance(queue, ManualQueue)  # an app in testing mode: jobs run when told
    queue.outbound = deliveries.Outbound(TESTING, "https://mlat.example.org")
    return queue


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as found:
        yield found


@pytest.fixture
def admin(make_user: MakeUser) -> User:
    return make_user(Role.admin)


@pytest.fixture
def officer(make_user: MakeUser) -> User:
    return make_user(Role.officer)


@pytest.fixture
def reviewer(make_user: MakeUser) -> User:
    return make_user(Role.reviewer)


@pytest.fixture
def mla_request(make_request: MakeRequest, officer: User) -> MlaRequest:
    return make_request(officer, content=submittable_content(today()))


def engine_of(db: Session) -> Engine:
    engine = db.get_bind()
    assert isinstance(engine, Engine)
    return engine


def log_of(db: Session, endpoint: WebhookEndpoint | None = None) -> list[WebhookDelivery]:
    db.expire_all()
    query = select(WebhookDelivery).order_by(col(WebhookDelivery.id))
    if endpoint is not None:
        query = query.where(WebhookDelivery.endpoint_id == endpoint.id)
    return list(db.exec(query))


def payload_of(received: Any) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(received.body)
    return document


# Signatures ------------------------------------------------------------------------------


def test_a_submitted_request_is_delivered_signed_after_the_commit(
    db: Session, jobs: ManualQueue, receiver: Receiver, admin: User, officer: User,
    mla_request: MlaRequest,
) -> None:  # fmt: skip
    endpoint, secret = register(db, admin, receiver.url)
    assert secret.startswith("whsec_")
    step(db, mla_request, officer, "submit")
    assert len(jobs.deliveries) == 1  # queued once committed, not sent in the request
    assert receiver.received == []
    assert jobs.deliver_all() == ["delivered"]
    (got,) = receiver.received
    assert verifies(secret, got.headers, got.body, now=time.time())
    payload = payload_of(got)
    assert got.headers["webhook-id"] == payload["id"] and payload["id"].startswith("msg_")
    assert payload["type"] == "request.submitted"
    assert payload["data"]["request"] == {
        "id": mla_request.id, "reference": mla_request.reference, "status": "in_review",
        "url": f"https://mlat.example.org/requests/{mla_request.id}",
    }  # fmt: skip
    assert "document" not in payload["data"]  # no content unless the endpoint is allowed it
    assert got.headers["content-type"] == "application/json"
    (delivery,) = log_of(db, endpoint)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 204)


def test_a_tampered_body_or_an_old_timestamp_does_not_verify(
    db: Session, jobs: ManualQueue, receiver: Receiver, admin: User, officer: User,
    mla_request: MlaRequest,
) -> None:  # fmt: skip
    _endpoint, secret = register(db, admin, receiver.url)
    step(db, mla_request, officer, "submit")
    jobs.deliver_all()
    (got,) = receiver.received
    tampered = got.body.replace(b"in_review", b"approved")
    assert not verifies(secret, got.headers, tampered, now=time.time())
    assert not verifies(secret, got.headers, got.body, now=time.time() + 3600)
    another = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
    assert not verifies(another, got.headers, got.body, now=time.time())


def test_after_a_rotation_both_secrets_sign_for_a_day(
    db: Session, jobs: ManualQueue, receiver: Receiver, admin: User, officer: User,
    mla_request: MlaRequest,
) -> None:  # fmt: skip
    endpoint, old = register(db, admin, receiver.url)
    new = webhooks.rotate_secret(session=db, endpoint=endpoint, actor=admin)
    db.commit()
    assert new != old
    step(db, mla_request, officer, "submit")
    jobs.deliver_all()
    (got,) = receiver.received
    assert len(got.headers["webhook-signature"].split(" ")) == 2
    assert verifies(new, got.headers, got.body, now=time.time())
    assert verifies(old, got.headers, got.body, now=time.time())
    tomorrow = utcnow() + dt.timedelta(days=1, minutes=1)
    assert deliveries.signing_secrets(session=db, endpoint=endpoint, now=tomorrow) == [new]


def test_the_secret_is_kept_sealed(db: Session, admin: User) -> None:
    endpoint, secret = register(db, admin)
    assert secret not in endpoint.secret_sealed and endpoint.secret_sealed.startswith("v1:")


# Retries and recovery ---------------------------------------------------------------------


def test_a_failed_attempt_is_tried_again_with_backoff_and_delivered(
    db: Session, jobs: ManualQueue, receiver: Receiver, admin: User, officer: User,
    mla_request: MlaRequest,
) -> None:  # fmt: skip
    register(db, admin, receiver.url)
    receiver.answers = [(500, {}), (503, {})]
    step(db, mla_request, officer, "submit")
    before = utcnow()
    assert jobs.deliver_all() == ["pending"]
    (delivery,) = log_of(db)
    assert (delivery.attempts, delivery.last_status_code) == (1, 500)
    wait = delivery.next_attempt_at.replace(tzinfo=dt.UTC) - before
    assert dt.timedelta(seconds=29) < wait < dt.timedelta(seconds=35)
    engine = engine_of(db)
    assert reap_deliveries(engine, jobs).queued == ()  # not due yet
    later = utcnow() + dt.timedelta(seconds=31)
    assert reap_deliveries(engine, jobs, now=later).queued == (delivery.id,)
    assert jobs.deliver_all() == ["pending"]  # the 503: the next wait is twice as long
    (delivery,) = log_of(db)
    wait = delivery.next_attempt_at.replace(tzinfo=dt.UTC) - utcnow()
    assert dt.timedelta(seconds=55) < wait < dt.timedelta(seconds=61)
    reap_deliveries(engine, jobs, now=utcnow() + dt.timedelta(minutes=2))
    assert jobs.deliver_all() == ["delivered"]
    assert [r.headers["webhook-id"] for r in receiver.received] == [delivery.event_id] * 3
    assert log_of(db)[0].attempts == 3


def test_the_backoff_doubles_and_gives_up_a_day_after_the_event() -> None:
    created = dt.datetime(2027, 1, 1, tzinfo=dt.UTC)
    now, waits = created, []
    for attempts in range(1, 40):
        later = deliveries.retry_at(attempts=attempts, created_at=created, now=now)
        if later is None:
            break
        waits.append((later - now).total_seconds())
        now = later
    assert waits[:4] == [30, 60, 120, 240]
    assert now == created + dt.timedelta(days=1)  # the last attempt a day after the event


def test_a_delivery_failing_for_a_day_fails(
    db: Session, jobs: ManualQueue, receiver: Receiver, admin: User, officer: User,
    mla_request: MlaRequest,
) -> None:  # fmt: skip
    register(db, admin, receiver.url)
    receiver.answers = [(500, {})]
    step(db, mla_request, officer, "submit")
    (delivery,) = log_of(db)
    delivery.created_at = utcnow() - dt.timedelta(days=1, minutes=1)
    db.commit()
    assert jobs.deliver_all() == ["failed"]
    assert log_of(db)[0].status == DeliveryStatus.failed


def test_a_retry_not_taken_within_the_day_fails_when_found(
    db: Session, jobs: ManualQueue, receiver: Receiver, admin: User, officer: User,
    mla_request: MlaRequest,
) -> None:  # fmt: skip
    register(db, admin, receiver.url)
    receiver.answers = [(500, {})]
    step(db, mla_request, officer, "submit")
    jobs.deliver_all()
    (delivery,) = log_of(db)
    found = reap_deliveries(engine_of(db), jobs, now=utcnow() + dt.timedelta(days=1, seconds=1))
    assert found.failed == (delivery.id,) and jobs.deliveries == []


def test_a_delivery_whose_worker_died_is_found_again_and_delivered(
    db: Session, jobs: ManualQueue, receiver: Receiver, admin: User, officer: User,
    mla_request: MlaRequest,
) -> None:  # fmt: skip
    register(db, admin, receiver.url)
    step(db, mla_request, officer, "submit")
    (delivery_id,) = jobs.deliveries
    jobs.deliveries.clear()
    # A worker claims it, then dies before sending: the row stays "delivering".
    assert deliveries.claim(session=db, delivery_id=delivery_id) is not None
    db.commit()
    engine = engine_of(db)
    assert reap_deliveries(engine, jobs).queued == ()  # its claim is still fresh
    found = reap_deliveries(engine, jobs, now=utcnow() + deliveries.CLAIM_LEASE)
    assert found.queued == (delivery_id,) and jobs.deliveries == [delivery_id]
    assert jobs.deliver_all() == ["delivered"]
    assert len(receiver.received) == 1
    assert log_of(db)[0].attempts == 2


def test_a_delivery_queued_twice_is_sent_once(
    db: Session, jobs: ManualQueue, receiver: Receiver, admin: User, officer: User,
    mla_request: MlaRequest,
) -> None:  # fmt: skip
    register(db, admin, receiver.url)
    step(db, mla_request, officer, "submit")
    reap_deliveries(engine_of(db), jobs, every_queued=True)  # a worker starting
    assert len(jobs.deliveries) == 2
    assert sorted(jobs.deliver_all()) == ["delivered", "skipped"]
    assert len(receiver.received) == 1


# Never a door into the network -------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reach"),
    [
        ("https://10.0.0.7/hooks", OUTSIDE),
        ("https://192.168.1.20/hooks", OUTSIDE),
        ("https://169.254.169.254/latest/meta-data", OUTSIDE),
        ("https://[::1]/hooks", OUTSIDE),
        ("https://127.0.0.1/hooks", OUTSIDE),
        ("https://[::ffff:10.0.0.7]/hooks", OUTSIDE),
        ("https://0.0.0.0/hooks", OUTSIDE),
        ("https://224.0.0.1/hooks", OUTSIDE),
        ("https://intranet.example.org/hooks", OUTSIDE),  # a name for a private address
        ("https://intranet.example.org/hooks", TESTING),
        ("http://hooks.example.org/hooks", OUTSIDE),  # http only to loopback, in tests
        ("http://hooks.example.org/hooks", TESTING),
        ("http://127.0.0.1:8080/hooks", OUTSIDE),
        ("https://user:secret@hooks.example.org/hooks", TESTING),
        ("https://unknown.example.org/hooks", TESTING),
        ("ftp://hooks.example.org/hooks", TESTING),
    ],
)
def test_private_addresses_and_other_doors_are_refused(url: str, reach: Reach) -> None:
    with pytest.raises(AddressRefused):
        check_url(url, reach)


def test_loopback_over_http_is_allowed_only_in_testing_mode() -> None:
    target = check_url("http://localhost:8080/hooks?x=1", TESTING)
    assert (target.address, target.path, target.host_header) == (
        "127.0.0.1", "/hooks?x=1", "localhost:8080"
    )  # fmt: skip


def test_the_allow_setting_lets_a_private_network_through() -> None:
    allowed = Reach(allowed=parse_networks("10.0.0.0/8, 192.168.5.0/24"), resolve=fake_resolve)
    assert check_url("https://intranet.example.org/hooks", allowed).address == "10.1.2.3"
    assert check_url("https://192.168.5.9/hooks", allowed).address == "192.168.5.9"
    with pytest.raises(AddressRefused):
        check_url("https://192.168.6.9/hooks", allowed)
    with pytest.raises(ValueError, match="MLAT_WEBHOOK_ALLOW_NETWORKS"):
        parse_networks("10.0.0.0/33")


def test_registering_a_private_address_is_refused(db: Session, admin: User) -> None:
    with pytest.raises(AddressRefused, match=r"10\.1\.2\.3"):
        register(db, admin, "https://intranet.example.org/hooks", reach=OUTSIDE)
    db.rollback()
    assert db.exec(select(WebhookEndpoint)).all() == []


def test_each_delivery_checks_the_address_again_and_connects_to_the_one_it_checked(
    db: Session, jobs: ManualQueue, receiver: Receiver, admin: User, officer: User,
    reviewer: User, mla_request: MlaRequest,
) -> None:  # fmt: skip
    names = {"receiver.example.org": ["127.0.0.1"]}
    moving = Reach(loopback=True, resolve=lambda host, _port: names[host])
    url = f"http://receiver.example.org:{receiver.port}/hooks"
    register(db, admin, url, reach=moving)
    jobs.outbound = deliveries.Outbound(moving, "https://mlat.example.org")
    step(db, mla_request, officer, "submit")
    assert jobs.deliver_all() == ["delivered"]
    assert receiver.received[0].headers["host"] == f"receiver.example.org:{receiver.port}"
    names["receiver.example.org"] = ["10.0.0.7"]  # the name now points inside (rebinding)
    step(db, mla_request, reviewer, "return", comment="Fix the facts.")
    assert jobs.deliver_all() == ["pending"]
    assert len(receiver.received) == 1
    assert log_of(db)[-1].last_error == PRIVATE_ADDRESS


def test_redirects_are_not_followed(
    db: Session, jobs: ManualQueue, receiver: Receiver, admin: User, officer: User,
    mla_request: MlaRequest,
) -> None:  # fmt: skip
    register(db, admin, receiver.url)
    receiver.answers = [(302, {"Location": f"http://127.0.0.1:{receiver.port}/elsewhere"})]
    step(db, mla_request, officer, "submit")
    assert jobs.deliver_all() == ["pending"]
    assert [r.path for r in receiver.received] == ["/hooks/mlat"]
    (delivery,) = log_of(db)
    assert (delivery.last_status_code, delivery.last_error) == (302, REDIRECTED)


# Events -----------------------------------------------------------------------------------


def test_workflow_events_go_to_the_units_endpoints_that_asked_for_them(
    db: Session, jobs: ManualQueue, admin: User, officer: User, reviewer: User,
    mla_request: MlaRequest, make_unit: MakeUnit, make_user: MakeUser,
) -> None:  # fmt: skip
    submitted, _ = register(db, admin, events=["request.submitted"])
    approved, _ = register(db, admin, events=["request.approved", "request.status_recorded"],
                           include_content=True)  # fmt: skip
    elsewhere = make_unit(name="Fraud Unit, Lagos", code="LOS", state="NG")
    theirs, _ = register(db, make_user(Role.admin, unit_=elsewhere))
    step(db, mla_request, officer, "submit")
    step(db, mla_request, reviewer, "approve", seen_digest=mla_request.content_digest)
    by_endpoint = {e.id: [d.event_type for d in log_of(db, e)] for e in (submitted, approved)}
    assert by_endpoint == {submitted.id: ["request.submitted"], approved.id: ["request.approved"]}
    assert log_of(db, theirs) == []
    (with_content,) = log_of(db, approved)
    document = with_content.payload["data"]["document"]
    assert document["reference"] == mla_request.reference
    assert document["facts"] == mla_request.content["facts"]
    assert "document" not in log_of(db, submitted)[0].payload["data"]


def test_a_status_recorded_from_the_requested_state_is_an_event(
    db: Session, admin: User, officer: User, mla_request: MlaRequest
) -> None:
    endpoint, _ = register(db, admin, events=["request.status_recorded"])
    mla_request.status = RequestStatus.transmitted
    db.commit()
    step(db, mla_request, officer, "acknowledge", on=today())
    (delivery,) = log_of(db, endpoint)
    data = delivery.payload["data"]
    assert (data["action"], data["previous_status"], data["request"]["status"]) == (
        "acknowledge", "transmitted", "acknowledged"
    )  # fmt: skip


def test_a_refused_step_sends_nothing(
    db: Session, jobs: ManualQueue, admin: User, officer: User, mla_request: MlaRequest
) -> None:
    register(db, admin)
    with pytest.raises(ServiceError):
        step(db, mla_request, officer, "approve")
    db.rollback()
    assert log_of(db) == [] and jobs.deliveries == []


def test_a_lapsing_preservation_is_an_event_once_at_14_and_once_at_7_days(
    db: Session, admin: User, officer: User, make_request: MakeRequest
) -> None:
    endpoint, _ = register(db, admin, events=["preservation.lapsing_14", "preservation.lapsing_7"])
    lapses = dt.date(2027, 3, 1)
    content = submittable_content(today())
    content["preservation"]["expires_on"] = lapses.isoformat()
    request = make_request(officer, content=content)
    for days_left in (20, 14, 10, 7, 3):
        notifications.preservation_warnings(session=db, today=lapses - dt.timedelta(days_left))
        db.commit()
    sent = [(d.event_type, d.payload["data"]["preservation"]) for d in log_of(db, endpoint)]
    assert sent == [
        ("preservation.lapsing_14", {"expires_on": "2027-03-01", "days_left": 14}),
        ("preservation.lapsing_7", {"expires_on": "2027-03-01", "days_left": 7}),
    ]
    assert all(d.request_id == request.id for d in log_of(db, endpoint))


def test_a_finished_packet_is_an_event(
    db: Session, jobs: ManualQueue, admin: User, mla_request: MlaRequest
) -> None:
    endpoint, _ = register(db, admin, events=["packet.ready"])
    packet_jobs.request_render(session=db, request=mla_request, kind="draft")
    db.commit()
    assert jobs.run_all() == ["done"]
    (delivery,) = log_of(db, endpoint)
    assert delivery.payload["data"]["packet"] == {"kind": "draft"}
    assert jobs.deliveries == [delivery.id]
    assert db.exec(select(PacketJob)).one().status == "done"


def test_a_turned_off_endpoint_gets_nothing(
    db: Session, jobs: ManualQueue, receiver: Receiver, admin: User, officer: User,
    mla_request: MlaRequest,
) -> None:  # fmt: skip
    endpoint, _ = register(db, admin, receiver.url)
    step(db, mla_request, officer, "submit")
    webhooks.update_endpoint(session=db, endpoint=endpoint, actor=admin, url=endpoint.url,
                             description="", events=ALL, include_content=False, active=False,
                             reach=TESTING)  # fmt: skip
    db.commit()
    assert jobs.deliver_all() == ["failed"]  # queued before it was turned off: not sent
    assert receiver.received == []


# The administrators' pages ---------------------------------------------------------------


def audited(db: Session, action: AuditAction) -> list[str]:
    db.expire_all()
    entries = db.exec(select(AuditEntry).where(AuditEntry.action == action))
    return [e.object_id for e in entries]


# The pages resolve names with the system's resolver: their tests use addresses.
HOOKS = f"https://{PUBLIC}/mlat"


def test_an_administrator_adds_an_endpoint_and_sees_its_secret_once(
    client_request: PageClient, login_as: Any, db: Session
) -> None:
    login_as(Role.admin)
    page = client_request.post("/admin/webhooks/new", {
        "url": HOOKS, "description": "Case system",
        "events": ["request.submitted", "packet.ready"], "include_content": "y",
    })  # fmt: skip
    secret = page.select_one("#webhook-secret")
    assert secret is not None and secret.get_text().startswith("whsec_")
    endpoint = db.exec(select(WebhookEndpoint)).one()
    assert (endpoint.events, endpoint.include_content) == (
        ["request.submitted", "packet.ready"], True
    )  # fmt: skip
    assert secret.get_text() not in client_request.client.get(f"/admin/webhooks/{endpoint.id}").text
    listed = client_request.get("/admin/webhooks")
    assert rows(listed)[0][0] == HOOKS
    how = listed.find("a", string="How to check the signature")
    assert how is not None and how["href"] == "/api/v1/docs#webhooks"
    assert audited(db, AuditAction.webhook_create) == [str(endpoint.id)]


def test_a_private_address_is_refused_with_the_input_kept(
    client_request: PageClient, login_as: Any, db: Session
) -> None:
    login_as(Role.admin)
    page = client_request.post("/admin/webhooks/new", {
        "url": "https://10.0.0.7/hooks", "description": "Inside", "events": ["request.signed"],
    }, status=400)  # fmt: skip
    (problem,) = form_errors(page)
    assert "private" in problem and "10.0.0.7" in problem
    assert field_value(page, "url") == "https://10.0.0.7/hooks"
    assert field_value(page, "description") == "Inside"
    assert db.exec(select(WebhookEndpoint)).all() == []


def test_rotating_shows_the_new_secret_once_and_is_audited(
    client: Client, client_request: PageClient, login_as: Any, db: Session
) -> None:
    admin = login_as(Role.admin)
    endpoint, old = register(db, admin)
    page = client_request.post(f"/admin/webhooks/{endpoint.id}/rotate",
                               form_url=f"/admin/webhooks/{endpoint.id}")  # fmt: skip
    secret = page.select_one("#webhook-secret")
    assert secret is not None
    new = secret.get_text()
    assert new.startswith("whsec_") and new != old
    assert deliveries.signing_secrets(session=db, endpoint=refreshed(db, endpoint)) == [new, old]
    assert audited(db, AuditAction.webhook_rotate) == [str(endpoint.id)]
    settings = client_request.get(f"/admin/webhooks/{endpoint.id}")
    assert "The previous secret signs too until" in settings.text
    assert new not in settings.text and old not in settings.text


def refreshed(db: Session, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    db.expire_all()
    return db.get_one(WebhookEndpoint, endpoint.id)


def test_replaying_a_failed_delivery_sends_it_again(
    client_request: PageClient, login_as: Any, db: Session, jobs: ManualQueue,
    receiver: Receiver,
) -> None:  # fmt: skip
    admin = login_as(Role.admin)
    endpoint, secret = register(db, admin, receiver.url)
    failed = failed_delivery(db, endpoint)
    log = client_request.get(f"/admin/webhooks/{endpoint.id}/deliveries")
    assert rows(log)[0][3] == "Failed"
    page = client_request.post(f"/admin/webhooks/deliveries/{failed.id}/replay",
                               form_url=f"/admin/webhooks/{endpoint.id}/deliveries",
                               follow_redirects=True)  # fmt: skip
    assert flashes(page) == ["The delivery is queued to be sent again."]
    assert jobs.deliver_all() == ["delivered"]
    (got,) = receiver.received
    assert got.headers["webhook-id"] == "msg_test"
    assert verifies(secret, got.headers, got.body, now=time.time())
    assert [d.status for d in log_of(db, endpoint)] == ["failed", "delivered"]
    assert audited(db, AuditAction.webhook_replay) == [str(endpoint.id)]


def test_deleting_needs_confirmation_and_is_audited(
    client: Client, client_request: PageClient, login_as: Any, db: Session
) -> None:
    admin = login_as(Role.admin)
    endpoint, _ = register(db, admin)
    failed_delivery(db, endpoint)
    url, endpoint_id = f"/admin/webhooks/{endpoint.id}", endpoint.id
    page = client_request.post(f"{url}/delete", {}, form_url=url, status=400)
    assert form_errors(page) == ["Tick the box to confirm that the endpoint is deleted."]
    assert len(log_of(db, endpoint)) == 1
    deleted = client.submit(f"{url}/delete", {"confirm": "y"}, form_url=url)
    assert (deleted.status_code, deleted.location) == (303, "/admin/webhooks")
    assert db.exec(select(WebhookEndpoint)).all() == [] and log_of(db) == []
    assert audited(db, AuditAction.webhook_delete) == [str(endpoint_id)]


def test_editing_keeps_the_input_when_refused_and_saves_otherwise(
    client_request: PageClient, login_as: Any, db: Session
) -> None:
    admin = login_as(Role.admin)
    endpoint, _ = register(db, admin)
    url = f"/admin/webhooks/{endpoint.id}"
    page = client_request.post(url, {"url": HOOKS, "description": "Kept", "events": []},
                               status=400)  # fmt: skip
    assert form_errors(page) == ["Choose at least one event."]
    assert field_value(page, "description") == "Kept"
    client_request.post(url, {"url": HOOKS, "description": "New", "events": ["request.signed"]},
                        status=303)  # fmt: skip
    saved = refreshed(db, endpoint)
    assert (saved.description, saved.events, saved.active) == ("New", ["request.signed"], False)
    assert audited(db, AuditAction.webhook_update) == [str(endpoint.id)]


@pytest.mark.parametrize("role", [Role.officer, Role.reviewer, Role.installation_admin])
def test_who_is_not_a_units_administrator_is_refused(
    client: Client, login_as: Any, db: Session, admin: User, role: Role
) -> None:
    endpoint, _ = register(db, admin)
    login_as(role)
    assert client.get("/admin/webhooks").status_code == 403
    assert client.get(f"/admin/webhooks/{endpoint.id}").status_code == 403


def test_another_units_endpoint_is_not_found_and_a_change_to_it_is_audited(
    client: Client, login_as: Any, db: Session, make_unit: MakeUnit, make_user: MakeUser,
) -> None:  # fmt: skip
    elsewhere: Unit = make_unit(name="Fraud Unit, Lagos", code="LOS", state="NG")
    endpoint, _ = register(db, make_user(Role.admin, unit_=elsewhere))
    login_as(Role.admin)
    url = f"/admin/webhooks/{endpoint.id}"
    assert client.get(url).status_code == 404
    assert client.submit(f"{url}/rotate", {}, form_url="/admin/webhooks").status_code == 404
    db.expire_all()
    denied = db.exec(
        select(AuditEntry).where(AuditEntry.action == AuditAction.webhook_rotate)
    ).one()
    assert (denied.outcome, denied.object_id) == ("denied", str(endpoint.id))


# On Redis -----------------------------------------------------------------------------------


@pytest.fixture
def rq_app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    """The app with its jobs on a Redis queue of this test's own, removed afterwards."""
    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except RedisError as exc:
        pytest.fail(f"Redis does not answer at {REDIS_URL} ({exc})", pytrace=False)
    name = f"mlat-test-{secrets.token_hex(4)}"
    config = Config(signing_secret=SIGNING_SECRET, data_keys=DATA_KEYS,
                    database_url=database_url, secret_key="k", instance_path=tmp_path / "i",
                    testing=True, redis_url=REDIS_URL,
                    jobs=JobSettings(queue_name=name))  # fmt: skip
    app = create_app(config)
    yield app
    app.extensions["mlat_engine"].dispose()
    for key in connection.scan_iter(f"rq:*{name}*"):
        connection.delete(key)
    connection.close()


def test_with_redis_the_worker_command_delivers(
    rq_app: Flask, db: Session, receiver: Receiver, admin: User, officer: User,
    mla_request: MlaRequest,
) -> None:  # fmt: skip
    _endpoint, secret = register(db, admin, receiver.url)
    with Session(rq_app.extensions["mlat_engine"], expire_on_commit=False) as session:
        step(session, session.get_one(MlaRequest, mla_request.id),
             session.get_one(User, officer.id), "submit")  # fmt: skip
    result = rq_app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    (got,) = receiver.received  # queued after the commit, and found waiting: sent once
    assert verifies(secret, got.headers, got.body, now=time.time())
    assert [d.status for d in log_of(db)] == ["delivered"]
