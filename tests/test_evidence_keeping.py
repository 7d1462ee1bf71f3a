"""What becomes of evidence once kept: a partner unit of the case reads an item's record
and downloads it only when the lead allows; a unit administrator sets its retention,
and its destruction needs a second administrator; the store's sweep removes only what
no record names."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from sqlmodel import Session, select

from mlat.audit_actions import AuditAction
from mlat.crypto import keyring_for
from mlat.evidence_store import EvidenceStore, FolderBackend, bytes_chunks
from mlat.models import (
    AuditEntry,
    CustodyEvent,
    EvidenceBlob,
    EvidenceItem,
    MlaRequest,
    RequestStatus,
    Role,
    Unit,
    User,
)
from mlat.services import Forbidden, ServiceError
from mlat.services import evidence_keeping as keeping
from mlat.services.cases import CaseAccess, attach, create_case, invite
from mlat.services.evidence import Incoming, keep_blob, kept_of, record_receipt
from tests.conftest import Client, MakeRequest, MakeUnit, MakeUser, check_page, flashes, text_of
from tests.workflow_helpers import put_in_state

TODAY = dt.date.today()
MAILBOX = b"From: finance.alwaha@mailhost.example\r\nSubject: invoice\r\n\r\npay now\r\n"


def _store(app: Flask) -> EvidenceStore:
    store: EvidenceStore = app.extensions["mlat_evidence"]
    return store


def _received(
    app: Flask, db: Session, officer: User, make_request: MakeRequest, content: bytes = MAILBOX
) -> tuple[MlaRequest, EvidenceItem]:
    request = make_request(officer, "Mailbox of the extortionist", "US",
                           content={"measures": [{"kind": "stored_content"}]})  # fmt: skip
    request.transmitted_on = TODAY - dt.timedelta(days=30)
    put_in_state(db, request, RequestStatus.transmitted)
    found = record_receipt(session=db, store=_store(app), request=request, user=officer,
                           received_on=TODAY - dt.timedelta(days=2), sender="Google LLC",
                           sender_kind="provider", channel="portal", today=TODAY,
                           files=[Incoming("mailbox.mbox", [content])])  # fmt: skip
    db.commit()
    return request, found.items[0]


def _aged(db: Session, item: EvidenceItem, days: int = 400) -> None:
    """Arrange: the item was received long ago."""
    item.created_at = item.created_at - dt.timedelta(days=days)
    db.add(item)
    db.commit()


def _destroyed(db: Session, item: EvidenceItem, first: User, second: User) -> keeping.Destroyed:
    """Received long ago, kept until yesterday, marked by one administrator and
    destroyed with another's approval."""
    _aged(db, item)
    keeping.set_retention(session=db, user=first, item_id=item.id or 0,
                          until=TODAY - dt.timedelta(days=1), reason="Over")  # fmt: skip
    keeping.ask_destruction(session=db, user=first, item_id=item.id or 0, reason="Over",
                            today=TODAY)  # fmt: skip
    return keeping.approve_destruction(session=db, user=second, item_id=item.id or 0,
                                       today=TODAY)  # fmt: skip


def _object_of(db: Session, item: EvidenceItem) -> str:
    return db.get_one(EvidenceBlob, item.blob_id).object_name


def test_destruction_needs_the_retention_date_passed_and_a_second_administrator(
    app: Flask, client: Client, db: Session, make_user: MakeUser, make_request: MakeRequest
) -> None:
    officer = make_user(Role.officer)
    first, second = make_user(Role.admin), make_user(Role.admin)
    _request, item = _received(app, db, officer, make_request)
    name = _object_of(db, item)
    assert _store(app).backend.exists(name)
    _aged(db, item)
    too_soon = TODAY + dt.timedelta(days=10)
    keeping.set_retention(session=db, user=first, item_id=item.id or 0, until=too_soon,
                          reason="Criminal Procedure Code, Art. 12")  # fmt: skip
    with pytest.raises(ServiceError, match="only after the day it must be kept until"):
        keeping.ask_destruction(session=db, user=first, item_id=item.id or 0, reason="x",
                                today=TODAY)  # fmt: skip
    keeping.set_retention(session=db, user=first, item_id=item.id or 0,
                          until=TODAY - dt.timedelta(days=1),
                          reason="Case closed; appeal period over")  # fmt: skip
    keeping.ask_destruction(session=db, user=first, item_id=item.id or 0,
                            reason="Retention over", today=TODAY)  # fmt: skip
    db.commit()
    with pytest.raises(Forbidden, match="not the one who asked"):
        keeping.approve_destruction(session=db, user=first, item_id=item.id or 0, today=TODAY)
    with pytest.raises(Forbidden):
        keeping.approve_destruction(session=db, user=officer, item_id=item.id or 0, today=TODAY)
    done = keeping.approve_destruction(session=db, user=second, item_id=item.id or 0,
                                       today=TODAY)  # fmt: skip
    db.commit()
    assert done.object_name == name and _object_of(db, item) == ""
    _store(app).backend.delete(done.object_name)  # as the page does once committed
    assert not _store(app).backend.exists(name)
    db.refresh(item)
    assert item.destroyed_by == second.id and item.destroyed_at is not None
    events = db.exec(select(CustodyEvent).where(CustodyEvent.item_id == item.id)).all()
    assert [e.action for e in events][-4:] == ["retention", "retention", "retention", "destroyed"]
    blob = db.get_one(EvidenceBlob, item.blob_id)
    assert events[-1].sha256 == blob.sha256 and events[-1].reason == "Retention over"
    entry = db.exec(
        select(AuditEntry).where(AuditEntry.action == AuditAction.evidence_destroy)
    ).one()
    assert entry.details["sha256"] == blob.sha256


def test_content_another_item_holds_stays_in_the_store(
    app: Flask, db: Session, make_user: MakeUser, make_request: MakeRequest
) -> None:
    officer, first, second = make_user(Role.officer), make_user(Role.admin), make_user(Role.admin)
    _r1, item = _received(app, db, officer, make_request)
    _r2, twin = _received(app, db, officer, make_request)
    assert twin.blob_id == item.blob_id  # the same content is kept once
    done = _destroyed(db, item, first, second)
    assert done.object_name == ""  # the twin still holds it
    assert _store(app).backend.exists(_object_of(db, twin))
    db.commit()


def test_content_destroyed_then_received_again_is_kept_anew(
    app: Flask, db: Session, make_user: MakeUser, make_request: MakeRequest
) -> None:
    officer, first, second = make_user(Role.officer), make_user(Role.admin), make_user(Role.admin)
    _r1, item = _received(app, db, officer, make_request)
    done = _destroyed(db, item, first, second)
    db.commit()
    _store(app).backend.delete(done.object_name)
    blob = keep_blob(session=db, store=_store(app), chunks=bytes_chunks(MAILBOX),
                     max_bytes=2**20)  # fmt: skip
    db.commit()
    assert blob.id == item.blob_id and blob.object_name
    assert b"".join(_store(app).read(keyring_for(db), kept_of(blob))) == MAILBOX


def test_the_item_page_leads_two_administrators_through_retention_and_destruction(
    app: Flask, client: Client, db: Session, make_user: MakeUser, make_request: MakeRequest
) -> None:
    officer, first, second = make_user(Role.officer), make_user(Role.admin), make_user(Role.admin)
    _request, item = _received(app, db, officer, make_request)
    _aged(db, item)
    name, url = _object_of(db, item), f"/evidence/{item.id}"
    assert client.login(first.email).status_code == 302
    kept = client.submit(f"{url}/retention", {"until": (TODAY - dt.timedelta(days=1)).isoformat(),
                                              "reason": "Appeal period over"},
                         form_url=url, follow_redirects=True)  # fmt: skip
    page = check_page(kept)
    assert "Kept until" in text_of(page.select_one("#retention"))
    assert page.select_one("#ask-destruction") is not None
    empty = client.submit(f"{url}/destruction", {"reason": ""}, form_url=url,
                          follow_redirects=True)  # fmt: skip
    assert "Say why" in " ".join(flashes(check_page(empty)))
    asked = check_page(client.submit(f"{url}/destruction", {"reason": "Retention over"},
                                     form_url=url, follow_redirects=True))  # fmt: skip
    assert "Marked for destruction by" in text_of(asked.select_one("#destruction-asked"))
    assert "Another administrator of the unit approves" in text_of(asked.select_one("#retention"))
    client.get("/logout")
    assert client.login(second.email).status_code == 302
    done = check_page(client.submit(f"{url}/destruction/approve", {}, form_url=url,
                                    follow_redirects=True))  # fmt: skip
    assert "The file is destroyed" in " ".join(flashes(done))
    assert done.select_one("#destroyed") is not None
    log = [text_of(tr) for tr in done.select("#custody-log tbody tr")]
    assert any("Destroyed" in row and "Retention over" in row for row in log)
    assert not _store(app).backend.exists(name)
    client.get("/logout")
    assert client.login(officer.email).status_code == 302
    refused = client.submit(f"{url}/download", {"reason": "For the court"}, form_url=url,
                            follow_redirects=True)  # fmt: skip
    assert "was destroyed on" in " ".join(flashes(check_page(refused)))


@pytest.fixture
def shared(
    app: Flask, db: Session, make_unit: MakeUnit, make_user: MakeUser,
    make_request: MakeRequest,
) -> tuple[User, Unit, MlaRequest, EvidenceItem]:  # fmt: skip
    """The lead's officer, a partner unit, and the lead's request in a shared case with
    an item of evidence."""
    officer = make_user(Role.officer)
    request, item = _received(app, db, officer, make_request)
    partner = make_unit(name="Fraud Unit, Lagos", code="LOS", state="NG")
    case = create_case(session=db, user=officer, title="Operation Harbour", case_number="C-1")
    access = CaseAccess(case, None)
    attach(session=db, access=access, user=officer, request_id=request.id or 0)
    invite(session=db, access=access, user=officer, unit_id=partner.id or 0)
    db.commit()
    return officer, partner, request, item


def test_a_partner_reads_the_record_and_downloads_only_once_allowed(
    client: Client, db: Session, make_user: MakeUser,
    shared: tuple[User, Unit, MlaRequest, EvidenceItem],
) -> None:  # fmt: skip
    officer, partner, request, item = shared
    reader = make_user(Role.officer, unit_=partner)
    url = f"/evidence/{item.id}"
    assert client.login(reader.email).status_code == 302
    case_page = client.get(f"/cases/{request.case_id}/requests/{request.id}")
    assert "mailbox.mbox" in case_page.text
    page = check_page(client.get(url))
    assert "The unit that received the evidence can allow" in text_of(
        page.select_one("#partner-note")
    )
    assert page.select_one("#download-heading") is None and page.select_one("#retention") is None
    refused = client.submit(f"{url}/download", {"reason": "Our case file"}, form_url=url,
                            follow_redirects=True)  # fmt: skip
    assert "may read this record but not download" in " ".join(flashes(check_page(refused)))
    handed = client.submit(f"{url}/hand-over", {"recipient": "Our lab"}, form_url=url,
                           follow_redirects=True)  # fmt: skip
    assert "Only the unit that received the evidence" in " ".join(flashes(check_page(handed)))
    assert client.get(f"/requests/{request.id}/evidence/export").status_code == 404
    client.get("/logout")

    assert client.login(officer.email).status_code == 302
    lead_page = check_page(client.get(url))
    assert "Fraud Unit, Lagos" in text_of(lead_page.select_one("#partner-access"))
    allowed = client.submit(f"{url}/access", {"unit": str(partner.id), "grant": "1",
                                              "reason": "Joint analysis"},
                            form_url=url, follow_redirects=True)  # fmt: skip
    assert "Fraud Unit, Lagos may now download this file." in " ".join(flashes(check_page(allowed)))
    client.get("/logout")

    assert client.login(reader.email).status_code == 302
    got = client.submit(f"{url}/download", {"reason": "Our case file"}, form_url=url)
    assert got.status_code == 200 and got.data == MAILBOX
    client.get("/logout")

    assert client.login(officer.email).status_code == 302
    removed = client.submit(f"/cases/{request.case_id}/partners/remove",
                            {"unit_id": str(partner.id)},
                            form_url=f"/cases/{request.case_id}")  # fmt: skip
    assert removed.status_code == 303
    log = [text_of(tr) for tr in check_page(client.get(url)).select("#custody-log tbody tr")]
    assert any("Access changed" in r and "granted: Joint analysis" in r for r in log)
    assert any("Downloaded" in r and "(Fraud Unit, Lagos)" in r for r in log)
    assert any("removed: the unit no longer shares the case" in r for r in log)
    client.get("/logout")

    assert client.login(reader.email).status_code == 302
    assert client.get(url).status_code == 404


def test_only_a_partner_of_the_case_can_be_allowed(
    db: Session, make_unit: MakeUnit, shared: tuple[User, Unit, MlaRequest, EvidenceItem],
) -> None:  # fmt: skip
    officer, _partner, _request, item = shared
    stranger = make_unit(name="Another unit", code="ANO")
    with pytest.raises(ServiceError, match="Choose a partner unit"):
        keeping.change_access(session=db, user=officer, item_id=item.id or 0,
                              unit_id=stranger.id or 0, grant=True, reason="x")  # fmt: skip


def test_the_sweep_removes_only_old_objects_no_record_names(
    app: Flask, db: Session, make_user: MakeUser, make_request: MakeRequest
) -> None:
    officer = make_user(Role.officer)
    _request, item = _received(app, db, officer, make_request)
    store = _store(app)
    assert isinstance(store.backend, FolderBackend)
    kept = store.keep(keyring_for(db), bytes_chunks(b"a file whose receipt was refused"))
    store.scratch.mkdir(parents=True, exist_ok=True)
    (store.scratch / "bundle-left.asice").write_bytes(b"a bundle whose sending stopped")
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=49)
    assert keeping.sweep_store(session=db, store=store, older_than=dt.timedelta(hours=48),
                               now=dt.datetime.now(dt.UTC)) == []  # fmt: skip
    removed = keeping.sweep_store(session=db, store=store, older_than=dt.timedelta(hours=48),
                                  now=later)  # fmt: skip
    assert removed == [kept.name, "bundle-left.asice"]
    assert not (store.scratch / "bundle-left.asice").exists()
    assert store.backend.exists(_object_of(db, item)) and not store.backend.exists(kept.name)
