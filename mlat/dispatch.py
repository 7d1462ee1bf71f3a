"""Queue jobs once the transaction that recorded them commits, never before.

Services call ``enqueue_after_commit(session, job_id, kind)``; the ids wait on the session
and go to the queue registered for the session's engine when its transaction commits,
and are dropped when it rolls back. A job is a packet render (``PacketJob``) or a webhook
delivery (``WebhookDelivery``), each a row the worker claims. With no queue registered (a
script without the app) the jobs stay pending in the database, where a worker finds them
(``mlat.jobs.reaper``).
"""

from __future__ import annotations

import logging
import weakref
from enum import StrEnum
from typing import Protocol

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, SessionTransaction

log = logging.getLogger(__name__)

_PENDING = "mlat.jobs.pending"


class JobKind(StrEnum):
    """What a queued id is the id of."""

    packet = "packet"
    """a packet render, ``PacketJob``"""
    webhook = "webhook"
    """a webhook delivery, ``WebhookDelivery``"""


class JobQueue(Protocol):
    def enqueue(self, job_id: int, kind: JobKind = JobKind.packet) -> None: ...


_queues: weakref.WeakKeyDictionary[Engine, JobQueue] = weakref.WeakKeyDictionary()


def register(engine: Engine, queue: JobQueue) -> None:
    _queues[engine] = queue


def queue_for(engine: Engine) -> JobQueue | None:
    return _queues.get(engine)


def enqueue_after_commit(session: Session, job_id: int, kind: JobKind = JobKind.packet) -> None:
    pending: list[tuple[int, JobKind]] = session.info.setdefault(_PENDING, [])
    if not event.contains(session, "after_commit", _dispatch):
        event.listen(session, "after_commit", _dispatch)
        event.listen(session, "after_soft_rollback", _forget)
    if (job_id, kind) not in pending:
        pending.append((job_id, kind))


def _dispatch(session: Session) -> None:
    jobs: list[tuple[int, JobKind]] = session.info.pop(_PENDING, [])
    if not jobs:
        return
    bind = session.get_bind()
    queue = queue_for(bind) if isinstance(bind, Engine) else None
    if queue is None:
        return
    for job_id, kind in jobs:
        try:
            queue.enqueue(job_id, kind)
        except Exception:  # committed already: the job stays pending and is found later
            log.exception("Could not queue %s job %s", kind, job_id)


def _forget(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.parent is None:  # the outermost transaction rolled back
        session.info.pop(_PENDING, None)
