"""Where queued jobs go: RQ on Redis, or worker threads in the app process.

A job is a packet render (``runner``) or a webhook delivery (``deliveries``), told apart
by its kind (``mlat.dispatch.JobKind``).

``init_app`` picks one from the configuration and registers it for the app's engine
(``mlat.dispatch``). The local queue suits one app process or one machine: a job waits in
the memory of the process that queued it, and in its database row, where the reaper of
any app process (``mlat.jobs.reaper``) finds it again if that process dies. Several
machines share one Redis and run ``flask worker``, whose reapers do the same.
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Engine

from mlat import dispatch
from mlat.config import Config, config_from_env
from mlat.crypto import keyring_of, use_keyring
from mlat.db import make_engine
from mlat.dispatch import JobKind
from mlat.jobs.deliveries import run_delivery
from mlat.jobs.reaper import Liveness, Reaper
from mlat.jobs.runner import run_packet_job
from mlat.jobs.sandbox import Limits, start_fork_server
from mlat.packets import stamp
from mlat.services.signing import SigningKeys, signing_keys
from mlat.services.webhook_deliveries import Outbound

if TYPE_CHECKING:
    from flask import Flask
    from redis import Redis
    from rq import Queue

log = logging.getLogger(__name__)

RQ_TASK = "mlat.jobs.queues.render_job"
RQ_DELIVERY_TASK = "mlat.jobs.queues.deliver_job"
RQ_MARGIN_SECONDS = 60
"""RQ stops a job this long after the render's own limit (or the delivery's timeout):
loading and storing included"""


def limits_of(config: Config) -> Limits:
    return Limits(seconds=config.jobs.timeout_seconds, memory_mb=config.jobs.memory_mb,
                  heartbeat_seconds=config.jobs.heartbeat_seconds)  # fmt: skip


class LocalQueue:
    """Worker threads in this process; each render runs in the sandbox's child process.
    A reaper thread queues here the jobs that any process lost (``mlat.jobs.reaper``)."""

    def __init__(
        self, engine: Engine, limits: Limits, threads: int, keys: SigningKeys,
        liveness: Liveness, outbound: Outbound | None = None,
    ) -> None:  # fmt: skip
        self.engine, self.limits, self.keys = engine, limits, keys
        self.outbound = outbound or Outbound()
        self.executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="mlat-job")
        self.executor.submit(stamp.warm_up)  # before the first job, not in its time
        self.reaper = Reaper(engine, self, liveness).start()

    def enqueue(self, job_id: int, kind: JobKind = JobKind.packet) -> None:
        if kind == JobKind.webhook:
            self.executor.submit(self._deliver, job_id)
        else:
            self.executor.submit(self._run, job_id)

    def _deliver(self, delivery_id: int) -> str:
        try:
            return run_delivery(self.engine, delivery_id, self.outbound)
        except Exception:
            log.exception("Webhook delivery %s stopped with an error", delivery_id)
            return "error"

    def _run(self, job_id: int) -> str:
        try:
            return run_packet_job(self.engine, job_id, self.limits, self.keys)
        except Exception:
            log.exception("Packet job %s stopped with an error", job_id)
            return "error"

    def shutdown(self) -> None:
        self.reaper.stop()
        self.executor.shutdown(wait=True)


@dataclass
class ManualQueue:
    """Keeps the ids until ``run_all`` (packet jobs) or ``deliver_all`` (webhook
    deliveries) (``MLAT_JOB_THREADS=0``, tests)."""

    engine: Engine
    limits: Limits
    keys: SigningKeys
    queued: list[int] = field(default_factory=list)
    deliveries: list[int] = field(default_factory=list)
    outbound: Outbound = field(default_factory=Outbound)

    def enqueue(self, job_id: int, kind: JobKind = JobKind.packet) -> None:
        (self.deliveries if kind == JobKind.webhook else self.queued).append(job_id)

    def run_all(self) -> list[str]:
        ids, self.queued = self.queued, []
        return [run_packet_job(self.engine, job_id, self.limits, self.keys) for job_id in ids]

    def deliver_all(self) -> list[str]:
        ids, self.deliveries = self.deliveries, []
        return [run_delivery(self.engine, delivery_id, self.outbound) for delivery_id in ids]


class RedisQueue:
    """RQ on Redis: ``flask --app app worker`` runs the jobs, on any machine."""

    def __init__(self, redis_url: str, name: str, limits: Limits) -> None:
        from redis import Redis
        from rq import Queue

        self.connection: Redis = Redis.from_url(redis_url)
        self.queue: Queue = Queue(name, connection=self.connection)
        self.limits = limits

    def enqueue(self, job_id: int, kind: JobKind = JobKind.packet) -> None:
        if kind == JobKind.webhook:
            self.queue.enqueue_call(
                RQ_DELIVERY_TASK,
                args=(job_id,),
                timeout=RQ_MARGIN_SECONDS,
                result_ttl=3600,
                failure_ttl=7 * 86400,
                description=f"webhook delivery {job_id}",
            )
            return
        self.queue.enqueue_call(
            RQ_TASK,
            args=(job_id,),
            timeout=int(self.limits.seconds) + RQ_MARGIN_SECONDS,
            result_ttl=3600,
            failure_ttl=7 * 86400,
            description=f"render packet job {job_id}",
        )


def make_queue(config: Config, engine: Engine) -> dispatch.JobQueue:
    limits, keys, outbound = limits_of(config), signing_keys(config), Outbound.of(config)
    if config.redis_url:
        return RedisQueue(config.redis_url, config.jobs.queue_name, limits)
    if config.jobs.threads <= 0 or config.testing:
        # Tests run the jobs when they choose, so none outlives the test that queued it.
        return ManualQueue(engine, limits, keys, outbound=outbound)
    return LocalQueue(engine, limits, config.jobs.threads, keys, Liveness.of(config), outbound)


def init_app(app: Flask) -> None:
    config: Config = app.config["MLAT"]
    engine: Engine = app.extensions["mlat_engine"]
    queue = make_queue(config, engine)
    app.extensions["mlat_jobs"] = queue
    dispatch.register(engine, queue)


# The RQ side: what ``flask worker`` sets up, and the task it runs.

_worker_lock = threading.Lock()
_worker: tuple[Engine, Limits, SigningKeys, int] | None = None
_outbound: Outbound | None = None


def configure_worker(
    engine: Engine, limits: Limits, keys: SigningKeys, outbound: Outbound | None = None
) -> None:
    """The engine, limits and signing keys that ``render_job`` uses in this process, and
    where ``deliver_job`` may send webhooks."""
    global _worker, _outbound
    with _worker_lock:
        _worker = (engine, limits, keys, os.getpid())
        _outbound = outbound
    stamp.warm_up()  # once, in the process each job's work horse is forked from
    start_fork_server()  # and the renders' fork server, before the first job


def _worker_engine() -> tuple[Engine, Limits, SigningKeys]:
    """This worker's engine, limits and keys (from the environment when
    ``configure_worker`` was not called)."""
    global _worker
    with _worker_lock:
        if _worker is None:
            config = config_from_env()
            engine = make_engine(config.database_url)
            use_keyring(engine, keyring_of(config))
            _worker = (engine, limits_of(config), signing_keys(config), os.getpid())
        engine, limits, keys, pid = _worker
        if pid != os.getpid():  # a forked process must not share the parent's connections
            engine.dispose(close=False)
            _worker = (engine, limits, keys, os.getpid())
    return engine, limits, keys


def render_job(job_id: int) -> str:
    """The RQ task: run one packet job with this worker's engine and limits."""
    engine, limits, keys = _worker_engine()
    return run_packet_job(engine, job_id, limits, keys)


def deliver_job(delivery_id: int) -> str:
    """The RQ task: make one attempt at a webhook delivery, sent where this worker's
    settings allow (from the environment when ``configure_worker`` was not given them)."""
    global _outbound
    engine = _worker_engine()[0]
    with _worker_lock:
        if _outbound is None:
            _outbound = Outbound.of(config_from_env())
        outbound = _outbound
    return run_delivery(engine, delivery_id, outbound)


def rq_queue(config: Config) -> tuple[Redis, Queue]:
    from redis import Redis
    from rq import Queue

    connection = Redis.from_url(config.redis_url)
    return connection, Queue(config.jobs.queue_name, connection=connection)
