"""The packet on the request page: asking for a render, its progress, downloading the
result; who may, the audit trail, and the ``packet`` command."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from flask import Flask, render_template
from sqlmodel import Session, select

from mlat.jobs.queues import ManualQueue
from mlat.models import (
    AuditEntry,
    MlaRequest,
    PacketJob,
    RequestStatus,
    Role,
    SigningCredential,
    User,
    utcnow,
)
from mlat.services import packets as svc
from mlat.views.packets import packet_context
from tests.conftest import (
    LoginAs,
    MakeRequest,
    MakeUnit,
    MakeUser,
    check_page,
    flashes,
    text_of,
    texts,
)
from tests.packet_jobs import manual_queue, sign

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
SAMPLE = EXAMPLES / "qa-to-us-stored-content.json"


@pytest.fixture
def jobs(app: Flask) -> ManualQueue:
    return manual_queue(app)


@pytest.fixture
def owner(make_user: MakeUser) -> User:
    return make_user(Role.officer)


@pytest.fixture
def mla_request(owner: User, make_request: MakeRequest) -> MlaRequest:
    return make_request(owner, content=json.loads(SAMPLE.read_text()))


def url(request: MlaRequest, **query: str) -> str:
    suffix = "".join(f"?{k}={v}" for k, v in query.items())
    return f"/requests/{request.id}/packet.pdf{suffix}"


def page(client: Any, request: MlaRequest) -> BeautifulSoup:
    response = client.get(f"/requests/{request.id}")
    assert response.status_code == 200
    return check_page(response)


def packet_box(client: Any, request: MlaRequest) -> Tag:
    box = page(client, request).select_one("section.packet-download")
    assert box is not None, "the request page has no packet box"
    return box


def says(box: Tag) -> str:
    """What the packet box tells the user: its text, links and buttons."""
    return text_of(box)


def prepare(client: Any, request: MlaRequest, kind: str) -> Any:
    return client.submit(
        f"/requests/{request.id}/packet/prepare", {"kind": kind}, form_url=f"/requests/{request.id}"
    )


def downloads(
    db: Session, request: MlaRequest, action: str = "packet.download"
) -> list[AuditEntry]:
    db.expire_all()
    return list(
        db.exec(
            select(AuditEntry).where(
                AuditEntry.action == action, AuditEntry.object_id == str(request.id)
            )
        )
    )


def test_a_draft_is_prepared_off_the_request_path_then_downloaded(
    client: Any, db: Session, jobs: ManualQueue, owner: User, mla_request: MlaRequest
) -> None:
    client.login(owner.email)
    assert "Prepare a draft of the packet (PDF)" in texts(packet_box(client, mla_request), "button")
    response = prepare(client, mla_request, "draft")
    assert response.status_code == 303
    assert response.location.endswith(f"/requests/{mla_request.id}#packet-heading")
    assert len(jobs.queued) == 1  # queued, not rendered: nothing waited for WeasyPrint
    box = packet_box(client, mla_request)
    assert "A draft of the packet is being prepared." in says(box)
    assert texts(box, "a") == ["Refresh"]
    assert box.select("[data-pending]")
    scripts = [str(s["src"]) for s in page(client, mla_request).select("script[src]")]
    assert "/static/packet.js" in scripts
    assert jobs.run_all() == ["done"]
    box = packet_box(client, mla_request)
    assert "Download the draft of the packet (PDF)" in texts(box, "a")
    assert box.select("[data-pending]") == []
    response = client.get(url(mla_request))
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and f"{mla_request.reference}.pdf" in disposition
    (entry,) = downloads(db, mla_request)
    assert entry.user_id == owner.id and entry.outcome == "success"
    assert entry.details == {
        "copy": "draft render",
        "sha256": hashlib.sha256(response.data).hexdigest(),
    }


def test_asking_twice_queues_one_render(
    client: Any, jobs: ManualQueue, owner: User, mla_request: MlaRequest
) -> None:
    client.login(owner.email)
    prepare(client, mla_request, "draft")
    prepare(client, mla_request, "draft")
    assert len(jobs.queued) == 1
    assert jobs.run_all() == ["done"]
    prepare(client, mla_request, "draft")  # ready, and the request is unchanged
    assert jobs.queued == []


def test_a_draft_of_an_older_version_is_not_served(
    client: Any, db: Session, jobs: ManualQueue, owner: User, mla_request: MlaRequest
) -> None:
    client.login(owner.email)
    prepare(client, mla_request, "draft")
    jobs.run_all()
    mla_request.version += 1  # as any save does
    db.add(mla_request)
    db.commit()
    assert "Prepare a draft of the packet (PDF)" in texts(packet_box(client, mla_request), "button")
    response = client.get(url(mla_request))
    assert response.status_code == 303 and response.location.endswith("#packet-heading")
    [message] = flashes(page(client, mla_request))
    assert message.startswith("This copy of the packet is not ready.")
    assert downloads(db, mla_request) == []


def test_the_status_box_is_served_alone_for_the_script(
    client: Any, jobs: ManualQueue, owner: User, mla_request: MlaRequest
) -> None:
    client.login(owner.email)
    prepare(client, mla_request, "internal")
    response = client.get(f"/requests/{mla_request.id}/packet")
    assert response.status_code == 200
    assert response.text.lstrip().startswith("<section") and "<html" not in response.text
    box = BeautifulSoup(response.text, "html.parser")
    assert texts(box, ".packet-copy p") == ["The internal copy is being prepared. Refresh"]
    jobs.run_all()
    again = BeautifulSoup(client.get(f"/requests/{mla_request.id}/packet").text, "html.parser")
    assert "Download the internal copy with the rule check (PDF)" in texts(again, "a")


@pytest.mark.parametrize("role", [Role.reviewer, Role.prosecutor])
def test_reviewers_and_prosecutors_of_the_unit_may_prepare_and_download(
    client: Any,
    jobs: ManualQueue,
    login_as: LoginAs,
    mla_request: MlaRequest,
    role: Role,
) -> None:
    login_as(role)
    assert prepare(client, mla_request, "draft").status_code == 303
    jobs.run_all()
    assert client.get(url(mla_request)).status_code == 200


def test_another_officer_of_the_unit_is_refused_and_it_is_recorded(
    client: Any,
    db: Session,
    jobs: ManualQueue,
    login_as: LoginAs,
    mla_request: MlaRequest,
) -> None:
    other = login_as(Role.officer)
    assert client.get(url(mla_request)).status_code == 403
    assert client.get(f"/requests/{mla_request.id}/packet").status_code == 403
    assert prepare(client, mla_request, "draft").status_code == 403
    assert jobs.queued == []
    (entry,) = downloads(db, mla_request)
    assert entry.user_id == other.id and entry.outcome == "denied"
    assert len(downloads(db, mla_request, "packet.prepare")) == 1


def test_another_unit_does_not_see_the_request(
    client: Any,
    login_as: LoginAs,
    make_unit: MakeUnit,
    mla_request: MlaRequest,
) -> None:
    login_as(Role.prosecutor, unit_=make_unit(name="Lagos unit", code="LOS", state="NG"))
    assert client.get(url(mla_request)).status_code == 404
    assert client.get(f"/requests/{mla_request.id}/packet").status_code == 404
    assert prepare(client, mla_request, "draft").status_code == 404


def test_an_unknown_kind_is_refused_with_a_message(
    client: Any, jobs: ManualQueue, owner: User, mla_request: MlaRequest
) -> None:
    client.login(owner.email)
    prepare(client, mla_request, "everything")
    assert "There is no such copy of the packet." in flashes(page(client, mla_request))
    assert jobs.queued == []


def test_signing_shows_the_packet_pending_then_the_stored_packet(
    client: Any,
    db: Session,
    jobs: ManualQueue,
    make_user: MakeUser,
    mla_request: MlaRequest,
) -> None:
    prosecutor = make_user(Role.prosecutor)
    client.login(prosecutor.email)
    sign(db, mla_request, prosecutor)
    box = packet_box(client, mla_request)
    assert "The signed packet is being prepared." in says(box) and "SHA-256" not in says(box)
    assert client.get(url(mla_request)).status_code == 303
    assert jobs.run_all() == ["done"]
    box = packet_box(client, mla_request)
    found = svc.stored_packet(session=db, request=mla_request)
    assert found is not None
    [link] = box.select("a[download]")
    assert text_of(link) == "Download the signed packet (PDF)"
    assert link["href"] == f"/requests/{mla_request.id}/packet.pdf"
    assert texts(box, ".digest code") == [found[1].sha256]
    first, second = client.get(url(mla_request)).data, client.get(url(mla_request)).data
    assert first == second and hashlib.sha256(first).hexdigest() == found[1].sha256
    entries = downloads(db, mla_request)
    assert [e.details for e in entries] == [
        {"copy": "stored packet", "sha256": found[1].sha256}
    ] * 2


def test_a_failed_render_says_why_and_offers_to_try_again(
    client: Any, db: Session, app: Flask, owner: User, mla_request: MlaRequest
) -> None:
    from mlat.jobs.sandbox import Limits

    slow = manual_queue(app, Limits(seconds=0.001, memory_mb=1024))
    client.login(owner.email)
    prepare(client, mla_request, "draft")
    assert slow.run_all() == ["failed"]
    box = packet_box(client, mla_request)
    [error] = texts(box, ".flash-error")
    assert error.startswith("Rendering the packet took longer than the time limit.")
    [draft_copy] = [c for c in box.select(".packet-copy") if c.select(".flash-error")]
    assert texts(draft_copy, "button") == ["Try again"]
    jobs = manual_queue(app)
    prepare(client, mla_request, "draft")
    assert jobs.run_all() == ["done"]
    assert "Download the draft of the packet (PDF)" in texts(packet_box(client, mla_request), "a")
    (job,) = db.exec(select(PacketJob)).all()
    assert job.attempts == 2


def test_the_partial_offers_nothing_to_who_may_not_download(
    client: Any, login_as: LoginAs, mla_request: MlaRequest
) -> None:
    login_as(Role.officer)
    with client:
        client.get("/")
        context = packet_context(mla_request)
        assert context["may_download_packet"] is False
        box = render_template("packet/_download.html", mla_request=mla_request, **context)
        assert box.strip() == ""
    shown = client.get(f"/requests/{mla_request.id}")
    assert shown.status_code == 200
    assert 'id="packet-heading"' not in shown.text


def test_the_packet_command_writes_the_packet(
    runner: Any, db: Session, mla_request: MlaRequest, tmp_path: Path, make_user: MakeUser
) -> None:
    out = tmp_path / "packet.pdf"
    result = runner.invoke(args=["packet", "write", mla_request.reference, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF-")
    assert "draft render" in result.output
    mla_request.status, mla_request.signed_at = RequestStatus.signed, utcnow()
    unready = make_user(Role.prosecutor)
    db.delete(
        db.exec(select(SigningCredential).where(SigningCredential.user_id == unready.id)).one()
    )
    mla_request.signed_by_id = unready.id
    db.add(mla_request)
    db.commit()
    # a signer without a certificate: said in words, and nothing is written or stored
    result = runner.invoke(args=["packet", "write", mla_request.reference, "--out", str(out)])
    assert result.exit_code == 1
    assert "has no signing certificate" in result.output and "Traceback" not in result.output
    assert svc.stored_packet(session=db, request=mla_request) is None
    mla_request.signed_by_id = make_user(Role.prosecutor).id
    db.add(mla_request)
    db.commit()
    result = runner.invoke(args=["packet", "write", mla_request.reference, "--out", str(out)])
    assert result.exit_code == 0, result.output
    found = svc.stored_packet(session=db, request=mla_request)
    assert found is not None
    assert hashlib.sha256(out.read_bytes()).hexdigest() == found[1].sha256
    assert len(downloads(db, mla_request)) == 2


def test_the_packet_command_refuses_an_unknown_reference(runner: Any, tmp_path: Path) -> None:
    out = tmp_path / "packet.pdf"
    result = runner.invoke(args=["packet", "write", "NOPE-2026-0001", "--out", str(out)])
    assert result.exit_code == 1
    assert "No request with the reference NOPE-2026-0001" in result.output
    assert not out.exists()
