"""Finding lost packet jobs and queueing them again, on both queues.

A render whose worker died (killed, out of memory, the machine restarted) leaves its job
running with a heartbeat that no longer moves; a job queued in a process that died, or
in a Redis that lost it, stays pending. ``reap_lost`` queues either again, or fails a
job whose worker stopped on it too often (``mlat.services.lost_jobs``). A ``Reaper``
thread calls it every ``heartbeat_seconds``: in each app process with the local queue,
and in each ``flask worker`` (which also calls it once when it starts). They may all
look at once: the conditional update of each row decides which one queues it. The same
thread queues the webhook deliveries whose time has come (``deliveries.reap_deliveries``):
retries due, and deliveries their queue or worker lost.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session

from mlat.config import Config
from mlat.dispatch import JobQueue
from mlat.jobs.deliveries import reap_deliveries
from mlat.models import PacketJobStatus, utcnow
from mlat.services.lost_jobs import Outcome, lost_jobs, recover

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Liveness:
    """When a job counts as lost, how often to look, and how often it may be lost."""

    lost_after: dt.timedelta
    check_every: float
    """seconds"""
    max_runs: int

    @classmethod
    def of(cls, config: Config) -> Liveness:
        return cls(
            lost_after=dt.timedelta(seconds=config.jobs.lost_after_seconds),
            check_every=config.jobs.heartbeat_seconds,
            max_runs=config.jobs.max_attempts,
        )


@dataclass(frozen=True)
class Reaped:
    queued: tuple[int, ...] = ()
    failed: tuple[int, ...] = ()


def reap_lost(
    engine: Engine, queue: JobQueue, liveness: Liveness, *, every_waiting: bool = False,
    now: dt.datetime | None = None,
) -> Reaped:  # fmt: skip
    """Queue again the jobs lost by their worker or queue, or fail those lost too often;
    ``every_waiting`` queues again every pending job, however recent (a worker starting:
    the queue may have been lost with them)."""
    now = now or utcnow()
    running_before = now - liveness.lost_after
    queued_before = now if every_waiting else running_before
    queued: list[int] = []
    failed: list[int] = []
    with Session(engine, expire_on_commit=False) as session:
        for job in lost_jobs(session=session, running_before=running_before,
                             queued_before=queued_before):  # fmt: skip
            assert job.id is not None
            was_running = job.status == PacketJobStatus.running
            outcome = recover(session=session, job=job, running_before=running_before,
                              queued_before=queued_before, max_runs=liveness.max_runs,
                              now=now)  # fmt: skip
            if outcome == Outcome.queued:
                queued.append(job.id)
            elif outcome == Outcome.failed:
                failed.append(job.id)
            if was_running and outcome != Outcome.moved:
                log.warning("Packet job %s lost its worker: %s", job.id, outcome)
        session.commit()
    for job_id in queued:  # once committed, as dispatch does: the worker finds the row
        try:
            queue.enqueue(job_id)
        except Exception:  # stays pending, and is found again next time
            log.exception("Could not queue packet job %s again", job_id)
    return Reaped(tuple(queued), tuple(failed))


class Reaper:
    """A daemon thread that calls ``reap_lost`` every ``liveness.check_every`` seconds."""

    def __init__(self, engine: Engine, queue: JobQueue, liveness: Liveness) -> None:
        self.engine, self.queue, self.liveness = engine, queue, liveness
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="mlat-job-reaper", daemon=True)

    def start(self) -> Reaper:
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stopped.wait(self.liveness.check_every):
            try:
                reap_lost(self.engine, self.queue, self.liveness)
            except Exception:  # the database is away: look again next time
                log.exception("Could not look for lost packet jobs")
            try:
                reap_deliveries(self.engine, self.queue)
            except Exception:
                log.exception("Could not look for webhook deliveries due")

    def stop(self) -> None:
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join()
