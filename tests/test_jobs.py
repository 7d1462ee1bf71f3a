"""Packet jobs: queued once the transaction commits, rendered once whoever queues them,
limited in time and memory, and run by threads in the app or by RQ workers on Redis."""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import Engine
from sqlmodel import Session, select

from mlat import create_app, dispatch
from mlat.config import Config, JobSettings
from mlat.jobs.queues import LocalQueue, ManualQueue, configure_worker, rq_queue
from mlat.jobs.reaper import Liveness, reap_lost
from mlat.jobs.runner import TOO_BIG, run_packet_job
from mlat.jobs.sandbox import Limits
from mlat.models import MlaRequest, Packet, PacketJob, PacketJobStatus, Role, User, utcnow
from mlat.services import packet_jobs as svc
from tests.conftest import DATA_KEYS, SIGNING_SECRET, MakeRequest, MakeUser
from tests.packet_jobs import KEYS, LIMITS, manual_queue, sign

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
SAMPLE = EXAMPLES / "qa-to-us-stored-content.json"
REDIS_URL = os.environ.get("MLAT_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def jobs(app: Flask) -> ManualQueue:
    return manual_queue(app)


@pytest.fixture
def prosecutor(make_user: MakeUser) -> User:
    return make_user(Role.prosecutor)


@pytest.fixture
def mla_request(make_user: MakeUser, make_request: MakeRequest) -> MlaRequest:
    return make_request(make_user(Role.officer), content=json.loads(SAMPLE.read_text()))


def packet_jobs(db: Session) -> list[PacketJob]:
    db.expire_all()
    return list(db.exec(select(PacketJob)))


def engine_of(db: Session) -> Engine:
    """The engine the session works on, as the job runner is given it."""
    engine = db.get_bind()
    assert isinstance(engine, Engine)
    return engine


def packets(db: Session) -> list[Packet]:
    db.expire_all()
    return list(db.exec(select(Packet)))


def test_signing_queues_one_job_once_committed(
    db: Session, jobs: ManualQueue, mla_request: MlaRequest, prosecutor: User
) -> None:
    sign(db, mla_request, prosecutor)
    (job,) = packet_jobs(db)
    assert (job.kind, job.status, job.requested_by) == ("signed", "pending", prosecutor.id)
    assert jobs.queued == [job.id]
    assert packets(db) == []  # nothing rendered while signing


def test_nothing_is_queued_before_the_commit_nor_after_a_rollback(
    db: Session, jobs: ManualQueue, mla_request: MlaRequest
) -> None:
    svc.request_render(session=db, request=mla_request, kind="draft")
    assert jobs.queued == []
    db.rollback()
    assert jobs.queued == [] and packet_jobs(db) == []
    svc.request_render(session=db, request=mla_request, kind="draft")
    db.commit()
    assert len(jobs.queued) == 1


def test_the_job_stores_the_signed_packet_once(
    db: Session, jobs: ManualQueue, mla_request: MlaRequest, prosecutor: User
) -> None:
    sign(db, mla_request, prosecutor)
    (job_id,) = jobs.queued
    assert jobs.run_all() == ["done"]
    (packet,) = packets(db)
    assert packet.request_id == mla_request.id
    assert svc.ready_bytes(session=db, request=mla_request, kind=svc.SIGNED) is not None
    # The same job again (queued twice, or by another instance) does nothing.
    assert run_packet_job(engine_of(db), job_id, LIMITS, KEYS) == "skipped"
    assert svc.request_render(session=db, request=mla_request, kind="signed") is None
    db.commit()
    assert jobs.queued == [] and len(packets(db)) == 1


def test_two_instances_asking_for_the_same_render_queue_one_job(
    app: Flask, db: Session, jobs: ManualQueue, mla_request: MlaRequest
) -> None:
    engine = app.extensions["mlat_engine"]
    with Session(engine) as first, Session(engine) as second:
        one = first.get(MlaRequest, mla_request.id)
        two = second.get(MlaRequest, mla_request.id)
        assert one is not None and two is not None
        svc.request_render(session=first, request=one, kind="draft")
        first.commit()
        svc.request_render(session=second, request=two, kind="draft")
        second.commit()
    (job,) = packet_jobs(db)
    assert job.id is not None
    assert jobs.queued == [job.id]
    engine_ = engine_of(db)
    assert sorted(run_packet_job(engine_, job.id, LIMITS, KEYS) for _ in range(2)) == [
        "done",
        "skipped",
    ]


def test_a_render_whose_claim_was_taken_keeps_nothing(
    db: Session, jobs: ManualQueue, mla_request: MlaRequest
) -> None:
    svc.request_render(session=db, request=mla_request, kind="draft")
    db.commit()
    (job_id,) = jobs.queued
    claim = svc.claim_job(session=db, job_id=job_id, now=utcnow() - dt.timedelta(hours=1))
    db.commit()
    assert claim is not None
    # Its worker seems dead: asking again starts the render afresh under a new claim.
    svc.request_render(session=db, request=mla_request, kind="draft")
    db.commit()
    assert (
        svc.finish_job(session=db, claim=claim, pdf=b"%PDF-stale", basis="v1", keys=KEYS) is False
    )
    db.commit()
    (job,) = packet_jobs(db)
    assert job.status == "pending" and job.file_id is None


def test_a_render_over_its_memory_limit_fails_with_a_message_and_can_be_retried(
    app: Flask, db: Session, mla_request: MlaRequest
) -> None:
    small = manual_queue(app, Limits(seconds=120, memory_mb=64))
    svc.request_render(session=db, request=mla_request, kind="internal")
    db.commit()
    assert small.run_all() == ["failed"]
    state = svc.packet_state(session=db, request=mla_request, kind=svc.INTERNAL)
    assert (state.status, state.error) == ("failed", TOO_BIG)
    jobs = manual_queue(app)
    assert svc.request_render(session=db, request=mla_request, kind="internal") is not None
    db.commit()
    assert jobs.run_all() == ["done"]
    pdf = svc.ready_bytes(session=db, request=mla_request, kind=svc.INTERNAL)
    assert pdf is not None and pdf.startswith(b"%PDF-")


def test_jobs_queued_without_a_queue_wait_in_the_database_for_a_worker(
    app: Flask, db: Session, mla_request: MlaRequest
) -> None:
    dispatch.register(app.extensions["mlat_engine"], ManualQueue(engine_of(db), LIMITS, KEYS))
    svc.request_render(session=db, request=mla_request, kind="draft")
    db.commit()  # queued in a queue nobody runs, as if the process had died
    later = ManualQueue(engine_of(db), LIMITS, KEYS)
    liveness = Liveness(lost_after=dt.timedelta(minutes=10), check_every=10, max_runs=3)
    # A worker starting queues every job waiting, however recent.
    assert reap_lost(engine_of(db), later, liveness, every_waiting=True).queued == tuple(
        later.queued
    )
    assert len(later.queued) == 1
    assert later.run_all() == ["done"]


def wait_for(condition: Callable[[], bool], seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


def test_the_local_worker_renders_in_the_background(
    database_url: str,
    tmp_path: Path,
    make_user: MakeUser,
    make_request: MakeRequest,
    db: Session,
) -> None:
    config = Config(
        signing_secret=SIGNING_SECRET,
        data_keys=DATA_KEYS,
        database_url=database_url,
        secret_key="k",
        instance_path=tmp_path / "i",
        jobs=JobSettings(threads=1),
    )
    local = create_app(config)
    queue = local.extensions["mlat_jobs"]
    assert isinstance(queue, LocalQueue)
    with Session(local.extensions["mlat_engine"], expire_on_commit=False) as session:
        request = session.get(MlaRequest, make_request(make_user(Role.officer)).id)
        assert request is not None
        svc.request_render(session=session, request=request, kind="draft")
        session.commit()
        assert wait_for(
            lambda: (
                svc.packet_state(session=session, request=request, kind=svc.DRAFT).status == "ready"
            )
        )
    queue.shutdown()
    local.extensions["mlat_engine"].dispose()


@pytest.fixture
def redis_queue_name() -> Iterator[str]:
    """A queue of this test's own on the Redis at 127.0.0.1:6379, removed afterwards."""
    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except RedisError as exc:
        pytest.fail(
            f"Redis does not answer at {REDIS_URL} ({exc}); start it, e.g. "
            "`redis-server --daemonize yes --port 6379`",
            pytrace=False,
        )
    name = f"mlat-test-{secrets.token_hex(4)}"
    yield name
    for key in connection.scan_iter(f"rq:*{name}*"):
        connection.delete(key)
    connection.close()


@pytest.fixture
def rq_app(database_url: str, tmp_path: Path, redis_queue_name: str) -> Iterator[Flask]:
    config = Config(
        signing_secret=SIGNING_SECRET,
        data_keys=DATA_KEYS,
        database_url=database_url,
        secret_key="test-" + secrets.token_hex(8),
        instance_path=tmp_path / "instance",
        testing=True,
        redis_url=REDIS_URL,
        jobs=JobSettings(queue_name=redis_queue_name),
    )
    app = create_app(config)
    yield app
    app.extensions["mlat_engine"].dispose()


def test_with_redis_jobs_go_to_rq_and_a_worker_renders_them(
    rq_app: Flask, db: Session, mla_request: MlaRequest, prosecutor: User
) -> None:
    from rq import SimpleWorker

    engine = rq_app.extensions["mlat_engine"]
    with Session(engine, expire_on_commit=False) as session:
        request = session.get(MlaRequest, mla_request.id)
        signer = session.get(User, prosecutor.id)
        assert request is not None and signer is not None
        sign(session, request, signer)
    connection, queue = rq_queue(rq_app.config["MLAT"])
    job_ids = queue.job_ids
    assert len(job_ids) == 1
    configure_worker(engine, LIMITS, KEYS)
    SimpleWorker([queue], connection=connection).work(burst=True)
    assert queue.count == 0
    assert len(packets(db)) == 1
    (job,) = packet_jobs(db)
    assert job.status == PacketJobStatus.done
    for job_id in job_ids:
        connection.delete(f"rq:job:{job_id}", f"rq:results:{job_id}")


def test_the_worker_command_runs_waiting_jobs_and_stops_in_burst_mode(
    rq_app: Flask, db: Session, mla_request: MlaRequest
) -> None:
    with Session(rq_app.extensions["mlat_engine"], expire_on_commit=False) as session:
        request = session.get(MlaRequest, mla_request.id)
        assert request is not None
        svc.request_render(session=session, request=request, kind="draft")
        session.commit()
    connection, queue = rq_queue(rq_app.config["MLAT"])
    job_ids = queue.job_ids
    result = rq_app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    # The job went to Redis after the commit, and the worker also found it waiting in the
    # database when it started: queued twice, it was rendered once.
    assert "Queued 1 packet jobs that were waiting." in result.output
    (job,) = packet_jobs(db)
    assert job.status == PacketJobStatus.done and job.attempts == 1
    for job_id in [*job_ids, *queue.job_ids]:
        connection.delete(f"rq:job:{job_id}", f"rq:results:{job_id}")


def test_the_worker_command_needs_redis(runner: Any) -> None:
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 1
    assert "Set MLAT_REDIS_URL" in result.output
