"""A render whose worker died is noticed by its silent heartbeat and queued again, or
failed with a message once its worker stopped too often, on both job backends: the app
process's own threads and RQ workers. Thresholds are short here; nothing waits long."""

from __future__ import annotations

import datetime as dt
import json
import os
import selectors
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from bs4 import Tag
from flask import Flask
from sqlmodel import Session, select

from mlat import create_app
from mlat.config import Config, JobSettings
from mlat.jobs import runner, sandbox
from mlat.jobs.queues import LocalQueue, ManualQueue
from mlat.jobs.reaper import Liveness, Reaped, reap_lost
from mlat.jobs.sandbox import Limits, RenderAbandoned, start_fork_server
from mlat.models import MlaRequest, PacketJob, PacketJobStatus, Role, utcnow
from mlat.services import lost_jobs
from mlat.services import packet_jobs as svc
from mlat.services.lost_jobs import GAVE_UP, Outcome
from tests.conftest import SIGNING_SECRET, MakeRequest, MakeUser, check_page, text_of, texts
from tests.packet_jobs import KEYS, manual_queue, sign
from tests.test_jobs import (  # noqa: F401  (redis_queue_name is a fixture)
    REDIS_URL,
    engine_of,
    redis_queue_name,
    wait_for,
)

PROJECT = Path(__file__).resolve().parent.parent
SAMPLE = PROJECT / "docs" / "examples" / "qa-to-us-stored-content.json"
LIVENESS = Liveness(lost_after=dt.timedelta(seconds=45), check_every=10, max_runs=3)
BEATING = Limits(seconds=120, memory_mb=1024, heartbeat_seconds=0.05)


@pytest.fixture
def jobs(app: Flask) -> ManualQueue:
    return manual_queue(app)


@pytest.fixture
def mla_request(make_user: MakeUser, make_request: MakeRequest) -> MlaRequest:
    return make_request(make_user(Role.officer), content=json.loads(SAMPLE.read_text()))


def packet_box(client: Any, request: MlaRequest) -> Tag:
    box = check_page(client.get(f"/requests/{request.id}")).select_one("section.packet-download")
    assert box is not None, "the request page has no packet box"
    return box


def the_job(db: Session) -> PacketJob:
    db.expire_all()
    (job,) = db.exec(select(PacketJob)).all()
    return job


def queued_draft(db: Session, jobs: ManualQueue, request: MlaRequest) -> int:
    """A draft asked for and queued, in a queue nobody runs unless the test says so."""
    svc.request_render(session=db, request=request, kind="draft")
    db.commit()
    (job_id,) = jobs.queued
    jobs.queued.clear()
    return job_id


def draft_state(db: Session, request: MlaRequest) -> svc.PacketState:
    db.expire_all()
    return svc.packet_state(session=db, request=request, kind=svc.DRAFT)


def claimed_by_a_dead_worker(db: Session, job_id: int, seconds_ago: float = 3600) -> svc.Claim:
    """The job taken by a worker that died that long ago: running, with its token, and a
    heartbeat that stopped then."""
    claim = svc.claim_job(session=db, job_id=job_id,
                          now=utcnow() - dt.timedelta(seconds=seconds_ago))  # fmt: skip
    db.commit()
    assert claim is not None
    return claim


def test_the_waiting_worker_keeps_its_job_alive_and_only_the_current_run_may(
    app: Flask, db: Session, mla_request: MlaRequest
) -> None:
    beating = manual_queue(app, BEATING)
    svc.request_render(session=db, request=mla_request, kind="draft")
    db.commit()
    assert beating.run_all() == ["done"]
    job = the_job(db)
    assert job.started_at is not None and job.heartbeat_at is not None
    assert job.heartbeat_at > job.started_at  # marked alive while the child rendered
    # A claim that is not the row's current one refreshes nothing.
    stale = svc.Claim(job_id=job.id or 0, request_id=job.request_id, kind=svc.DRAFT, token="x")
    assert svc.beat(session=db, claim=stale) is False


def test_a_long_render_that_is_still_beating_is_neither_lost_nor_stuck(
    db: Session, jobs: ManualQueue, mla_request: MlaRequest
) -> None:
    job_id = queued_draft(db, jobs, mla_request)
    claim = claimed_by_a_dead_worker(db, job_id, seconds_ago=600)  # started long ago...
    assert svc.beat(session=db, claim=claim) is True  # ...and alive a moment ago
    db.commit()
    assert reap_lost(engine_of(db), jobs, LIVENESS) == Reaped()
    assert jobs.queued == [] and the_job(db).status == PacketJobStatus.running
    state = draft_state(db, mla_request)
    assert (state.status, state.stuck) == ("pending", False)


def test_a_job_whose_worker_died_is_queued_again_and_rendered(
    db: Session, jobs: ManualQueue, mla_request: MlaRequest
) -> None:
    job_id = queued_draft(db, jobs, mla_request)
    dead = claimed_by_a_dead_worker(db, job_id, seconds_ago=60)
    # The page says it is stuck and offers to try again, until a reaper takes it back.
    assert draft_state(db, mla_request).stuck
    reaped = reap_lost(engine_of(db), jobs, LIVENESS)
    assert reaped.queued == (job_id,) and jobs.queued == [job_id]
    job = the_job(db)
    assert (job.status, job.token, job.lost_runs) == ("pending", "", 1)
    assert jobs.run_all() == ["done"]
    assert draft_state(db, mla_request).status == "ready"
    # The dead run, had it woken up, could neither keep the job alive nor its result.
    assert svc.beat(session=db, claim=dead) is False
    assert svc.finish_job(session=db, claim=dead, pdf=b"%PDF-old", basis="v1", keys=KEYS) is False
    db.rollback()
    assert the_job(db).attempts == 2


def test_a_job_nobody_took_is_queued_again_but_a_fresh_one_is_left_alone(
    db: Session, jobs: ManualQueue, mla_request: MlaRequest
) -> None:
    job_id = queued_draft(db, jobs, mla_request)
    assert reap_lost(engine_of(db), jobs, LIVENESS).queued == ()
    later = utcnow() + dt.timedelta(seconds=50)
    assert reap_lost(engine_of(db), jobs, LIVENESS, now=later).queued == (job_id,)
    assert the_job(db).lost_runs == 0  # no worker stopped on it: not counted
    assert jobs.run_all() == ["done"]


def test_a_render_taken_from_its_worker_is_stopped_and_keeps_nothing(
    db: Session, jobs: ManualQueue, mla_request: MlaRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    job_id = queued_draft(db, jobs, mla_request)
    render = sandbox.render_isolated
    stopped: list[bool] = []

    def render_while_a_reaper_takes_the_job(*args: Any, alive: Callable[[], bool],
                                            **kwargs: Any) -> bytes:  # fmt: skip
        def reaped_then_alive() -> bool:
            # Its worker seemed dead (say, frozen for a minute): another process took it.
            reap_lost(engine_of(db), jobs, LIVENESS, now=utcnow() + dt.timedelta(minutes=1))
            return alive()

        try:
            return render(*args, alive=reaped_then_alive, **kwargs)
        except RenderAbandoned:
            stopped.append(True)
            raise

    monkeypatch.setattr(runner, "render_isolated", render_while_a_reaper_takes_the_job)
    assert runner.run_packet_job(engine_of(db), job_id, BEATING, KEYS) == "lost"
    assert stopped == [True]  # its child was stopped at the next heartbeat
    job = the_job(db)
    assert (job.status, job.heartbeat_at, job.file_id) == ("pending", None, None)
    assert jobs.queued == [job_id]


def test_a_worker_killed_mid_render_is_noticed_and_its_job_rendered_again(
    database_url: str, db: Session, jobs: ManualQueue, mla_request: MlaRequest
) -> None:
    job_id = queued_draft(db, jobs, mla_request)
    # A worker process of its own, whose render (a real one, in its sandboxed child) is
    # under way when it is killed without warning.
    script = (
        "import sys, time\n"
        "from mlat.db import make_engine\n"
        "from mlat.jobs import runner\n"
        "from mlat.jobs.sandbox import Limits\n"
        "from mlat.services.signing import SigningKeys\n"
        "beat = runner._beat\n"
        "def beat_then_hang(session, claim):\n"
        "    alive = beat(session, claim)\n"
        "    print('rendering', flush=True)\n"
        "    time.sleep(60)\n"
        "    return alive\n"
        "runner._beat = beat_then_hang\n"
        "runner.run_packet_job(make_engine(sys.argv[1]), int(sys.argv[2]),\n"
        "    Limits(seconds=60, memory_mb=1024, heartbeat_seconds=0.1),\n"
        "    SigningKeys.from_secret(sys.argv[3]))\n"
    )
    with subprocess.Popen(
        [sys.executable, "-c", script, database_url, str(job_id), SIGNING_SECRET],
        cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        start_new_session=True,
    ) as worker, selectors.DefaultSelector() as watch:  # fmt: skip
        try:
            assert worker.stdout is not None
            watch.register(worker.stdout, selectors.EVENT_READ)
            assert watch.select(60), "the worker did not start rendering"
            assert worker.stdout.readline() == b"rendering\n"
            assert the_job(db).status == PacketJobStatus.running
        finally:
            os.killpg(worker.pid, signal.SIGKILL)  # the worker, its fork server and its child
    assert the_job(db).status == PacketJobStatus.running  # nobody said anything
    soon = utcnow() + LIVENESS.lost_after + dt.timedelta(seconds=1)
    assert reap_lost(engine_of(db), jobs, LIVENESS, now=soon).queued == (job_id,)
    assert jobs.run_all() == ["done"]
    assert draft_state(db, mla_request).status == "ready"


def quick_settings(**settings: Any) -> JobSettings:
    return JobSettings(heartbeat_seconds=0.2, lost_after_seconds=1, **settings)


def test_each_app_process_looks_for_lost_jobs_and_renders_them(
    database_url: str, db: Session, jobs: ManualQueue, mla_request: MlaRequest, tmp_path: Path
) -> None:
    start_fork_server()  # as it is after a first render, so that none goes unmarked
    job_id = queued_draft(db, jobs, mla_request)
    claimed_by_a_dead_worker(db, job_id, seconds_ago=2)  # its app process died
    config = Config(signing_secret=SIGNING_SECRET, database_url=database_url, secret_key="k",
                    instance_path=tmp_path / "i", jobs=quick_settings(threads=1))  # fmt: skip
    other = create_app(config)  # another process of the app, with the local queue
    queue = other.extensions["mlat_jobs"]
    assert isinstance(queue, LocalQueue)
    try:
        assert wait_for(lambda: the_job(db).status == PacketJobStatus.done, 60)
    finally:
        queue.shutdown()
        other.extensions["mlat_engine"].dispose()
    assert (the_job(db).lost_runs, the_job(db).attempts) == (1, 2)


def test_an_rq_worker_queues_again_a_job_that_another_worker_lost(
    database_url: str, db: Session, jobs: ManualQueue, mla_request: MlaRequest, tmp_path: Path,
    redis_queue_name: str,  # noqa: F811  (the fixture)
) -> None:  # fmt: skip
    from redis import Redis
    from rq import Queue, Worker

    job_id = queued_draft(db, jobs, mla_request)
    # One worker took the job from Redis and is rendering it...
    dying = svc.claim_job(session=db, job_id=job_id)
    db.commit()
    assert dying is not None
    env = {**os.environ, "MLAT_DATABASE_URL": database_url, "MLAT_REDIS_URL": REDIS_URL,
           "MLAT_JOB_QUEUE": redis_queue_name, "MLAT_SECRET_KEY": "rq-liveness",
           "MLAT_SIGNING_SECRET": SIGNING_SECRET, "MLAT_INSTANCE_PATH": str(tmp_path / "w"),
           "MLAT_JOB_HEARTBEAT": "0.3", "MLAT_JOB_LOST_AFTER": "3"}  # fmt: skip
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        other = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", "worker"],
            cwd=PROJECT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    connection = Redis.from_url(REDIS_URL)
    try:
        # ...and keeps it alive while another worker starts, which leaves it alone.
        rq = Queue(redis_queue_name, connection=connection)
        deadline = time.monotonic() + 60
        while not Worker.all(connection=connection, queue=rq):
            assert time.monotonic() < deadline and other.poll() is None, log.read_text()
            assert svc.beat(session=db, claim=dying)
            db.commit()
            time.sleep(0.1)
        # The first worker dies: its heartbeat stops. Within the threshold (3 s), a look
        # (every 0.3 s), and a render, the job is done.
        assert wait_for(lambda: the_job(db).status == PacketJobStatus.done, 20), log.read_text()
    finally:
        other.terminate()
        try:
            other.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(other.pid, signal.SIGKILL)
            other.wait()
        connection.close()
    job = the_job(db)
    assert (job.lost_runs, job.attempts) == (1, 2)
    assert "Queued" not in log.read_text()  # not found when it started: while it watched
    assert draft_state(db, mla_request).status == "ready"


def test_a_signed_packet_whose_worker_stops_each_time_fails_and_the_page_says_so(
    client: Any, db: Session, jobs: ManualQueue, mla_request: MlaRequest, make_user: MakeUser
) -> None:
    prosecutor = make_user(Role.prosecutor)
    sign(db, mla_request, prosecutor)
    (job_id,) = jobs.queued
    jobs.queued.clear()
    client.login(prosecutor.email)
    claimed_by_a_dead_worker(db, job_id, seconds_ago=60)
    # Stuck: the page offers to try again, and keeps watching, for a reaper may act first.
    [stuck] = packet_box(client, mla_request).select(".packet-pending")
    assert "The signed packet is being prepared." in text_of(stuck)
    assert texts(stuck, "button") == ["Try again"] and stuck.has_attr("data-pending")
    for run in range(1, LIVENESS.max_runs + 1):
        if run > 1:
            claimed_by_a_dead_worker(db, job_id, seconds_ago=60)
        reaped = reap_lost(engine_of(db), jobs, LIVENESS)
        assert the_job(db).lost_runs == run
        jobs.queued.clear()
        if run == 1:  # queued again: waiting for a worker, nothing to do for the user
            [waiting] = packet_box(client, mla_request).select(".packet-pending")
            assert texts(waiting, "button") == [] and waiting.has_attr("data-pending")
    assert reaped.failed == (job_id,) and reaped.queued == ()
    job = the_job(db)
    assert (job.status, job.error) == ("failed", GAVE_UP)
    box = packet_box(client, mla_request)
    [signed_copy] = [c for c in box.select(".packet-copy") if c.select(".flash-error")]
    [error] = texts(signed_copy, ".flash-error")
    assert error.startswith("The packet could not be made: its renderer stopped")
    assert texts(signed_copy, "button") == ["Try again"]
    assert "Download the signed packet (PDF)" not in text_of(box)
    response = client.submit(f"/requests/{mla_request.id}/packet/prepare", {"kind": "signed"},
                             form_url=f"/requests/{mla_request.id}")  # fmt: skip
    assert response.status_code == 303
    assert the_job(db).lost_runs == 0  # asked again: as many runs again before giving up
    assert jobs.run_all() == ["done"]
    assert "Download the signed packet (PDF)" in texts(packet_box(client, mla_request), "a")


def test_two_reapers_at_once_queue_a_lost_job_once(
    db: Session, jobs: ManualQueue, mla_request: MlaRequest
) -> None:
    job_id = queued_draft(db, jobs, mla_request)
    claimed_by_a_dead_worker(db, job_id)
    now = utcnow()
    before = now - LIVENESS.lost_after
    engine = engine_of(db)
    with Session(engine) as one, Session(engine) as two:
        # Both see the job lost before either moves it.
        (seen_one,) = lost_jobs.lost_jobs(session=one, running_before=before, queued_before=before)
        (seen_two,) = lost_jobs.lost_jobs(session=two, running_before=before, queued_before=before)
        one.rollback()
        two.rollback()
        outcomes = []
        for session, seen in ((one, seen_one), (two, seen_two)):
            outcome = lost_jobs.recover(session=session, job=seen, running_before=before,
                                        queued_before=before, max_runs=3, now=now)  # fmt: skip
            session.commit()
            outcomes.append(outcome)
    assert outcomes == [Outcome.queued, Outcome.moved]
    assert the_job(db).lost_runs == 1


def test_many_reapers_racing_render_a_lost_job_once(
    db: Session, jobs: ManualQueue, mla_request: MlaRequest
) -> None:
    job_id = queued_draft(db, jobs, mla_request)
    claimed_by_a_dead_worker(db, job_id)
    engine = engine_of(db)
    queues = [ManualQueue(engine, BEATING, KEYS) for _ in range(4)]
    start = threading.Barrier(len(queues))

    def reap(queue: ManualQueue) -> None:
        start.wait(10)
        reap_lost(engine, queue, LIVENESS)

    threads = [threading.Thread(target=reap, args=(q,)) for q in queues]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(len(q.queued) for q in queues) == 1
    results = [result for queue in queues for result in queue.run_all()]
    assert results == ["done"]
    assert (the_job(db).lost_runs, the_job(db).attempts) == (1, 2)


def test_a_heartbeat_too_close_to_the_lost_threshold_is_refused() -> None:
    with pytest.raises(ValueError, match="at least twice"):
        JobSettings(heartbeat_seconds=30, lost_after_seconds=45)
