"""Two app instances side by side, as a deployment behind a load balancer runs them: two
gunicorn servers on their own ports, one PostgreSQL database and one Redis. What one
instance does, the other sees; they race as two machines would; packet jobs from either
are rendered once, by an RQ worker.

Nothing here is skipped: CI has PostgreSQL and Redis on 127.0.0.1, and a missing one
fails with a message saying so.
"""

from __future__ import annotations

import os
import secrets
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy.engine import make_url
from sqlmodel import Session, col, select

from mlat.config import Config, JobSettings
from mlat.crypto import Keyring, use_keyring
from mlat.db import make_engine
from mlat.jobs.queues import RedisQueue, configure_worker, rq_queue
from mlat.migrate import upgrade
from mlat.models import MlaRequest, Packet, PacketJob, RequestEvent, RequestStatus, Role, User
from mlat.services import twofactor
from mlat.services.signing import issue_demo_credential
from mlat.services.users import create_unit, create_user
from tests.conftest import (
    DATA_KEYS,
    PASSWORD,
    SIGNING_SECRET,
    _admin_dsn,
    check_html,
    flashes,
    text_of,
    texts,
)
from tests.gunicorn_instances import (
    Browser,
    Instance,
    NoRedirect,
    Office,
    at_once,
    hidden_fields,
    postgres_server,
    start_instance,
    stop,
)
from tests.packet_jobs import KEYS, LIMITS
from tests.test_jobs import REDIS_URL
from tests.totp import Authenticator


@pytest.fixture(scope="module")
def shared_database() -> Iterator[str]:
    """A fresh PostgreSQL database for both instances, migrated, dropped afterwards."""
    server = postgres_server()
    name = f"mlat_instances_{secrets.token_hex(4)}"
    with psycopg.connect(_admin_dsn(server), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with psycopg.connect(_admin_dsn(server), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def redis_queue() -> Iterator[str]:
    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except RedisError as exc:
        pytest.fail(
            f"Redis does not answer at {REDIS_URL} ({exc}): the instance tests need "
            "it (start redis-server on 127.0.0.1:6379)",
            pytrace=False,
        )
    name = f"mlat-instances-{secrets.token_hex(4)}"
    yield name
    for key in connection.scan_iter(f"rq:*{name}*"):
        connection.delete(key)
    connection.close()


@pytest.fixture(scope="module")
def instances(
    shared_database: str, redis_queue: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Instance, Instance]]:
    """Two gunicorn servers, each with two workers, sharing the secret key, the audit
    key, the database and the Redis queue; stopped when the module's tests are done."""
    env = {
        **os.environ,
        "MLAT_DATABASE_URL": shared_database,
        "MLAT_SECRET_KEY": "instances-" + secrets.token_hex(16),
        "MLAT_SIGNING_SECRET": SIGNING_SECRET,
        "MLAT_AUDIT_KEY": "instances:" + secrets.token_hex(32),
        "MLAT_DATA_KEYS": DATA_KEYS,
        "MLAT_REDIS_URL": REDIS_URL,
        "MLAT_JOB_QUEUE": redis_queue,
        "MLAT_WORKERS": "2",
        "MLAT_ACCESS_LOG": "",
    }
    folder = tmp_path_factory.mktemp("instances")
    started: list[Instance] = []
    try:
        started.append(start_instance(env, folder / "one"))
        started.append(start_instance(env, folder / "two"))
        yield started[0], started[1]
    finally:
        for instance in started:
            stop(instance)


@pytest.fixture(scope="module")
def office(shared_database: str) -> Iterator[Office]:
    engine = make_engine(shared_database)
    use_keyring(engine, Keyring.parse(DATA_KEYS))
    phone = Authenticator()

    def person(session: Session, unit: Any, n: str, *roles: Role) -> User:
        user = create_user(
            session=session,
            email=f"{n}@instances.example",
            name=n.title(),
            password=PASSWORD,
            unit=unit,
            roles=roles,
        )
        phone.secrets[user.email] = twofactor.new_secret()
        twofactor.store_secret(session=session, user=user, secret=phone.secrets[user.email])
        return user

    with Session(engine, expire_on_commit=False) as session:
        unit = create_unit(
            session=session,
            name="Cybercrime Unit, Doha",
            code="DOH",
            state="QA",
            timezone="Asia/Qatar",
        )
        officer = person(session, unit, "officer", Role.officer)
        reviewers = [person(session, unit, f"reviewer{n}", Role.reviewer) for n in (1, 2)]
        prosecutor = person(session, unit, "prosecutor", Role.prosecutor)
        issue_demo_credential(session=session, user=prosecutor, keys=KEYS)
        session.commit()
    yield Office(engine, phone, officer, reviewers, prosecutor)
    engine.dispose()


def test_an_edit_through_one_instance_is_seen_through_the_other(
    instances: tuple[Instance, Instance], office: Office
) -> None:
    one, two = Browser(instances[0].url), Browser(instances[1].url)
    request_id = office.new_request("Phishing of a bank's customers")
    one.login(office.officer.email, office.phone)
    two.login(office.officer.email, office.phone)
    status, _text, _location = one.form(
        f"/requests/{request_id}/edit",
        {"title": "Ransomware attack on a hospital", "requested_state": "GB"},
    )
    assert status in (302, 303)
    page = check_html(two.get(f"/requests/{request_id}"))
    assert "Ransomware attack on a hospital" in text_of(page.h1)


def test_a_session_started_on_one_instance_is_valid_on_the_other(
    instances: tuple[Instance, Instance], office: Office
) -> None:
    one = Browser(instances[0].url)
    one.login(office.officer.email, office.phone)
    other = Browser(instances[1].url, jar=one.jar)  # the same cookies, the other machine
    other.opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(one.jar), NoRedirect()
    )
    # The cookie is for 127.0.0.1 whatever the port, as a load balancer's single host.
    assert "Log out" in other.get("/")


def test_two_reviewers_approving_at_once_through_two_instances_make_one_approval(
    instances: tuple[Instance, Instance], office: Office
) -> None:
    request_id = office.new_request("Investment fraud targeting a school", RequestStatus.in_review)
    first, second = Browser(instances[0].url), Browser(instances[1].url)
    first.login(office.reviewers[0].email, office.phone)
    second.login(office.reviewers[1].email, office.phone)
    review = f"/requests/{request_id}/review"
    forms = [hidden_fields(b.get(review)) for b in (first, second)]
    approve = f"/requests/{request_id}/do/approve"
    results = at_once(
        lambda: first.request(approve, forms[0]), lambda: second.request(approve, forms[1])
    )
    assert all(status in (303, 409) for status, _text, _location in results), results
    # Each reviewer's next page says what became of their click: one was done, the other
    # was refused because the request had changed meanwhile.
    said = [
        b.get(f"/requests/{request_id}") if status == 303 else text
        for b, (status, text, _location) in zip((first, second), results, strict=True)
    ]
    messages = [" ".join(flashes(check_html(page))) for page in said]
    assert sum("Approved. The prosecutors" in shown for shown in messages) == 1, messages
    assert sum("was changed" in shown for shown in messages) == 1, messages
    with Session(office.engine) as session:
        approvals = session.exec(
            select(RequestEvent).where(
                RequestEvent.request_id == request_id, RequestEvent.action == "approve"
            )
        ).all()
        request = session.get(MlaRequest, request_id)
        assert request is not None
        assert len(approvals) == 1 and request.status == RequestStatus.approved


def test_packet_jobs_from_both_instances_are_rendered_once_each(
    instances: tuple[Instance, Instance], office: Office, redis_queue: str
) -> None:
    config = Config(
        signing_secret=SIGNING_SECRET,
        data_keys=DATA_KEYS,
        database_url=str(office.engine.url.render_as_string(hide_password=False)),
        secret_key="worker",
        instance_path=Path("unused"),
        redis_url=REDIS_URL,
        jobs=JobSettings(queue_name=redis_queue),
    )
    connection, queue = rq_queue(config)
    queued_before = queue.count  # the module's earlier tests share the queue (approvals)
    signed = [office.new_request(f"Account takeover {n}", RequestStatus.approved) for n in (1, 2)]
    draft = office.new_request("Sextortion of a retailer")
    browsers = [Browser(instance.url) for instance in instances]
    for browser in browsers:
        browser.login(office.prosecutor.email, office.phone)
    for browser, request_id in zip(browsers, signed, strict=True):  # one signs on each
        proof = {"confirm": "y", "password": PASSWORD,
                 "code": office.phone.code(office.prosecutor.email)}  # fmt: skip
        status, _text, _location = browser.form(
            f"/requests/{request_id}/do/sign", proof, page=f"/requests/{request_id}"
        )
        assert status == 303
    # Both instances ask for the same draft at the same moment.
    forms = [hidden_fields(b.get(f"/requests/{draft}")) for b in browsers]
    prepare = f"/requests/{draft}/packet/prepare"
    results = at_once(
        *(
            lambda b=b, f=f: b.request(prepare, {**f, "kind": "draft"})
            for b, f in zip(browsers, forms, strict=True)
        )
    )
    assert [status for status, _text, _location in results] == [303, 303]
    assert "The signed packet is being prepared." in browsers[1].get(f"/requests/{signed[0]}")

    # two renders for signing (the prosecutor opened each approved request), two signed
    # packets and one draft: the second ask for the draft queued none
    assert queue.count == queued_before + 5
    ours = (*signed, draft)
    with Session(office.engine) as session:  # and a job delivered twice is harmless
        ids = session.exec(
            select(PacketJob.id)
            .where(col(PacketJob.request_id).in_(ours), col(PacketJob.kind) == "signed")
            .order_by(col(PacketJob.id))
        ).all()
    RedisQueue(REDIS_URL, redis_queue, LIMITS).enqueue(int(ids[0] or 0))
    from rq import SimpleWorker

    configure_worker(office.engine, LIMITS, KEYS)
    SimpleWorker([queue], connection=connection).work(burst=True)

    with Session(office.engine) as session:
        jobs = session.exec(select(PacketJob).where(col(PacketJob.request_id).in_(ours))).all()
        assert sorted((j.request_id, j.kind, j.status, j.attempts) for j in jobs) == sorted(
            [
                (signed[0], "signed", "done", 1),
                (signed[1], "signed", "done", 1),
                (draft, "draft", "done", 1),
            ]
        )
        kept = session.exec(select(Packet.request_id).where(col(Packet.request_id).in_(ours))).all()
        assert sorted(kept) == sorted(signed)
    for browser, request_id in zip(reversed(browsers), signed, strict=True):
        page = check_html(browser.get(f"/requests/{request_id}"))
        assert "Download the signed packet (PDF)" in texts(page, ".packet-download a")
        status, _text, _location = browser.request(f"/requests/{request_id}/packet.pdf")
        assert status == 200


def test_behind_a_proxy_the_clients_address_and_scheme_come_from_its_headers(
    database_url: str, tmp_path: Path
) -> None:
    from flask import Response, request

    from mlat import create_app

    def seen(proxy_fix: int) -> tuple[str | None, str]:
        config = Config(database_url=database_url, secret_key="k", testing=True,
                        instance_path=tmp_path / "instance", proxy_fix=proxy_fix)  # fmt: skip
        app = create_app(config)
        found: list[tuple[str | None, str]] = []

        @app.after_request
        def note(response: Response) -> Response:
            found.append((request.remote_addr, request.scheme))
            return response

        app.test_client().get(
            "/health",
            headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"},
            environ_base={"REMOTE_ADDR": "10.0.0.2"},
        )
        app.extensions["mlat_engine"].dispose()
        return found[0]

    assert seen(0) == ("10.0.0.2", "http")  # no proxy configured: the headers are ignored
    assert seen(1) == ("203.0.113.9", "https")
