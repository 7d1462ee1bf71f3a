"""Packet jobs that their worker or their queue lost, and what becomes of them.

A running job whose worker stopped marking it alive (``packet_jobs.beat``) lost its
worker: the process died, was killed, or hangs. A pending job that no worker took lost
its queue: the process holding it died, or Redis lost it. Either is queued again; a job
whose worker stopped on it ``max_runs`` times fails with a message the request page
shows, with the offer to try again.

Every app process and RQ worker looks (``mlat.jobs.reaper``), often at the same moment:
each change is an update conditional on the row as it was seen, so exactly one of them
moves the job, and only that one queues it.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, func, or_, update
from sqlmodel import Session, col, select

from mlat.messages import N_
from mlat.models import PacketJob, PacketJobStatus, utcnow

GAVE_UP = N_(
    "The packet could not be made: its renderer stopped before finishing, several times "
    "in a row. Try again; if it stops again, ask your administrator to check the packet "
    "workers."
)


class Outcome(StrEnum):
    """What became of a lost job."""

    queued = "queued"
    """pending again: the caller queues it"""
    failed = "failed"
    """its worker stopped on it too often"""
    moved = "moved"
    """someone else moved it first (a reaper, its worker, a user asking again)"""


def _last_sign_of_life() -> ColumnElement[dt.datetime]:
    return func.coalesce(col(PacketJob.heartbeat_at), col(PacketJob.started_at))


def lost_jobs(
    *, session: Session, running_before: dt.datetime, queued_before: dt.datetime
) -> list[PacketJob]:
    """Jobs running without a sign of life since ``running_before``, and jobs pending,
    untaken, since ``queued_before``."""
    return list(
        session.exec(
            select(PacketJob).where(
                or_(
                    and_(
                        col(PacketJob.status) == PacketJobStatus.running,
                        _last_sign_of_life() < running_before,
                    ),
                    and_(
                        col(PacketJob.status) == PacketJobStatus.pending,
                        col(PacketJob.queued_at) < queued_before,
                    ),
                )
            )
        )
    )


def recover(
    *, session: Session, job: PacketJob, running_before: dt.datetime,
    queued_before: dt.datetime, max_runs: int, now: dt.datetime | None = None,
) -> Outcome:  # fmt: skip
    """Queue a lost job (as ``lost_jobs`` found it) again, or fail it once its worker has
    stopped on it ``max_runs`` times; ``moved`` when the row changed since it was seen
    (its worker marked it alive after all, another reaper took it, a user asked again)."""
    now = now or utcnow()
    if job.status == PacketJobStatus.pending:
        seen: list[ColumnElement[bool]] = [
            col(PacketJob.status) == PacketJobStatus.pending,
            col(PacketJob.queued_at) < queued_before,
        ]
        return _move(session, job, seen, Outcome.queued, queued_at=now)
    seen = [
        col(PacketJob.status) == PacketJobStatus.running,
        col(PacketJob.token) == job.token,
        _last_sign_of_life() < running_before,
    ]
    if job.lost_runs + 1 >= max_runs:
        return _move(session, job, seen, Outcome.failed, status=PacketJobStatus.failed,
                     error=GAVE_UP, finished_at=now,
                     lost_runs=col(PacketJob.lost_runs) + 1)  # fmt: skip
    return _move(session, job, seen, Outcome.queued, status=PacketJobStatus.pending, token="",
                 queued_at=now, started_at=None, heartbeat_at=None,
                 lost_runs=col(PacketJob.lost_runs) + 1)  # fmt: skip


def _move(
    session: Session, job: PacketJob, seen: list[ColumnElement[bool]], outcome: Outcome,
    **values: object,
) -> Outcome:  # fmt: skip
    moved = session.execute(
        update(PacketJob).where(col(PacketJob.id) == job.id, *seen).values(**values)
    )
    return outcome if moved.rowcount == 1 else Outcome.moved  # type: ignore[attr-defined]
