"""Evidence arriving at the same moment, and an intake that breaks off: two officers
record receipts on one request at once and both stand, with the request's state
following both; a connection that breaks mid-file registers nothing."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from sqlmodel import Session, select

from mlat.evidence_store import EvidenceStore
from mlat.models import (
    EvidenceBlob,
    EvidenceItem,
    EvidenceReceipt,
    MlaRequest,
    RequestStatus,
    Role,
    User,
    utcnow,
)
from mlat.services import evidence
from mlat.services.evidence_keeping import sweep_store
from tests.conftest import MakeRequest, MakeUser
from tests.workflow_helpers import put_in_state

TODAY = dt.date.today()
MB = 1024 * 1024


@pytest.fixture
def transmitted(db: Session, make_user: MakeUser, make_request: MakeRequest) -> MlaRequest:
    officer = make_user(Role.officer)
    content = {"measures": [{"kind": "subscriber_info"}, {"kind": "stored_content"}]}
    request = make_request(officer, "Mailbox of the extortionist", "US", content=content)
    request.transmitted_on = TODAY - dt.timedelta(days=20)
    return put_in_state(db, request, RequestStatus.transmitted)


def _pieces(seed: bytes, size: int, wait: threading.Barrier | None = None) -> Iterator[bytes]:
    """A file of ``size`` bytes; half-way, it waits for the other file to be half-way
    too, so that both are in flight together."""
    block = (seed * (MB // len(seed) + 1))[:MB]
    for n in range(size // MB):
        if wait is not None and n == size // MB // 2:
            wait.wait(timeout=30)
        yield block


def test_two_receipts_recorded_at_the_same_moment_both_stand(
    app: Flask, db: Session, make_user: MakeUser, transmitted: MlaRequest,
    fresh: Callable[[], Session],
) -> None:  # fmt: skip
    """Each answers one measure in full: once both are recorded, the request is executed,
    whichever came first."""
    store: EvidenceStore = app.extensions["mlat_evidence"]
    first, second = make_user(Role.officer), make_user(Role.officer)
    together, failures = threading.Barrier(2), []

    def record(user_id: int, measure: int, seed: bytes) -> None:
        session = fresh()
        try:
            with app.app_context():
                evidence.record_receipt(
                    session=session, store=store,
                    request=session.get_one(MlaRequest, transmitted.id),
                    user=session.get_one(User, user_id), received_on=TODAY,
                    sender=f"Provider {measure}", sender_kind="provider", channel="portal",
                    today=TODAY, answers=[(measure, True)],
                    files=[evidence.Incoming(f"export-{measure}.bin",
                                             _pieces(seed, 4 * MB, together))],
                )  # fmt: skip
                session.commit()
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)
            session.rollback()

    threads = [
        threading.Thread(target=record, args=(first.id, 0, b"subscriber")),
        threading.Thread(target=record, args=(second.id, 1, b"mailbox")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    db.expire_all()
    receipts = db.exec(select(EvidenceReceipt)).all()
    assert sorted(r.sender for r in receipts) == ["Provider 0", "Provider 1"]
    assert len(db.exec(select(EvidenceItem)).all()) == 2
    assert db.get_one(MlaRequest, transmitted.id).status == RequestStatus.executed


def test_a_connection_that_breaks_mid_file_registers_nothing(
    app: Flask, db: Session, make_user: MakeUser, transmitted: MlaRequest
) -> None:
    """The first file arrived whole, the second broke off: no receipt, no item, no
    record of either file; the first file's copy, named by nothing, goes at the sweep."""
    store: EvidenceStore = app.extensions["mlat_evidence"]
    officer = make_user(Role.officer)

    def broken() -> Iterator[bytes]:
        yield from _pieces(b"disk", 3 * MB)
        raise ConnectionError("the upload broke off")

    with pytest.raises(ConnectionError):
        evidence.record_receipt(
            session=db, store=store, request=transmitted, user=officer, received_on=TODAY,
            sender="Google LLC", sender_kind="provider", channel="portal", today=TODAY,
            files=[evidence.Incoming("whole.bin", _pieces(b"whole", 2 * MB)),
                   evidence.Incoming("broken.bin", broken())],
        )  # fmt: skip
    db.rollback()
    assert db.exec(select(EvidenceReceipt)).first() is None
    assert db.exec(select(EvidenceItem)).first() is None
    assert db.exec(select(EvidenceBlob)).first() is None
    assert not list(store.scratch.iterdir())
    assert db.get_one(MlaRequest, transmitted.id).status == RequestStatus.transmitted
    left = sweep_store(session=db, store=store, older_than=dt.timedelta(0),
                       now=utcnow() + dt.timedelta(seconds=1))  # fmt: skip
    assert len(left) == 1 and not list(store.backend.objects())
