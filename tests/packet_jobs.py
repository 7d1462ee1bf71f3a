"""Helpers for tests of packet jobs: a queue that waits to be run, and signing."""

from __future__ import annotations

from flask import Flask
from sqlmodel import Session

from mlat import dispatch
from mlat.jobs.queues import ManualQueue
from mlat.jobs.sandbox import Limits
from mlat.models import MlaRequest, RequestStatus, User
from mlat.services.signing import SigningKeys, signing_keys
from mlat.services.workflow import transition
from tests.conftest import SIGNING_SECRET

LIMITS = Limits(seconds=120, memory_mb=1024)
KEYS = SigningKeys.from_secret(SIGNING_SECRET)


def manual_queue(app: Flask, limits: Limits = LIMITS) -> ManualQueue:
    """Jobs the app queues from now on wait in this queue until ``run_all``."""
    engine = app.extensions["mlat_engine"]
    queue = ManualQueue(engine, limits, signing_keys(app.config["MLAT"]))
    app.extensions["mlat_jobs"] = queue
    dispatch.register(engine, queue)
    return queue


def sign(db: Session, request: MlaRequest, prosecutor: User) -> MlaRequest:
    """Approve (arranged directly), then sign through the workflow as the view does."""
    request.status = RequestStatus.approved
    request.approved_digest = request.content_digest
    db.add(request)
    db.commit()
    db.refresh(request)
    transition(
        session=db,
        request=request,
        actor=prosecutor,
        action="sign",
        expected_version=request.version,
    )
    db.commit()
    db.refresh(request)
    return request
