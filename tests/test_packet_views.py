"""Downloading packets: who may, what they get, the audit trail, the request page partial
and the ``packet`` command."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, render_template
from sqlmodel import select

from mlat.models import AuditEntry, MlaRequest, RequestStatus, Role, Unit, User, utcnow
from mlat.services import packets as svc

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
SAMPLE = EXAMPLES / "qa-to-us-stored-content.json"


@pytest.fixture
def owner(make_user: Callable[..., User]) -> User:
    return make_user(Role.officer)


@pytest.fixture
def mla_request(owner: User, make_request: Callable[..., MlaRequest]) -> MlaRequest:
    return make_request(owner, content=json.loads(SAMPLE.read_text()))


def url(request: MlaRequest, **query: str) -> str:
    suffix = "".join(f"?{k}={v}" for k, v in query.items())
    return f"/requests/{request.id}/packet.pdf{suffix}"


def downloads(db: Any, request: MlaRequest) -> list[AuditEntry]:
    db.expire_all()
    return list(
        db.exec(
            select(AuditEntry).where(
                AuditEntry.action == "packet.download", AuditEntry.object_id == str(request.id)
            )
        )
    )


def sign(db: Any, request: MlaRequest) -> None:
    request.status = RequestStatus.signed
    request.signed_at = utcnow()
    db.add(request)
    db.commit()


def test_the_owner_downloads_a_draft_as_an_attachment(
    client: Any, db: Any, owner: User, mla_request: MlaRequest
) -> None:
    client.login(owner.email)
    response = client.get(url(mla_request))
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment") and f"{mla_request.reference}.pdf" in disposition
    (entry,) = downloads(db, mla_request)
    assert entry.user_id == owner.id and entry.outcome == "success"
    assert "draft render" in entry.reason


@pytest.mark.parametrize("role", [Role.reviewer, Role.prosecutor])
def test_reviewers_and_prosecutors_of_the_unit_may_download(
    client: Any, login_as: Callable[..., User], mla_request: MlaRequest, role: Role
) -> None:
    login_as(role)
    assert client.get(url(mla_request)).status_code == 200


def test_another_officer_of_the_unit_is_refused_and_it_is_recorded(
    client: Any, db: Any, login_as: Callable[..., User], mla_request: MlaRequest
) -> None:
    other = login_as(Role.officer)
    assert client.get(url(mla_request)).status_code == 403
    (entry,) = downloads(db, mla_request)
    assert entry.user_id == other.id and entry.outcome == "denied"


def test_another_unit_does_not_see_the_request(
    client: Any,
    login_as: Callable[..., User],
    make_unit: Callable[..., Unit],
    mla_request: MlaRequest,
) -> None:
    login_as(Role.prosecutor, unit_=make_unit(name="Lagos unit", code="LOS", state="NG"))
    assert client.get(url(mla_request)).status_code == 404


def test_a_signed_packet_is_served_unchanged_and_matches_its_digest(
    client: Any, db: Any, login_as: Callable[..., User], mla_request: MlaRequest
) -> None:
    sign(db, mla_request)
    login_as(Role.prosecutor)
    first = client.get(url(mla_request)).data
    second = client.get(url(mla_request)).data
    assert first == second
    found = svc.stored_packet(session=db, request=mla_request)
    assert found is not None
    assert hashlib.sha256(first).hexdigest() == found[1].sha256
    entries = downloads(db, mla_request)
    assert [e.reason for e in entries] == [f"stored packet, sha256 {found[1].sha256}"] * 2


def test_the_internal_copy_is_a_fresh_render_with_the_rule_check(
    client: Any, login_as: Callable[..., User], mla_request: MlaRequest
) -> None:
    login_as(Role.reviewer)
    response = client.get(url(mla_request, copy="internal"))
    assert response.status_code == 200
    assert f"{mla_request.reference}-internal.pdf" in response.headers["Content-Disposition"]
    assert b"%PDF-" in response.data[:8]


def test_the_request_page_partial_shows_the_stored_digest(
    app: Flask, client: Any, db: Any, login_as: Callable[..., User], mla_request: MlaRequest
) -> None:
    login_as(Role.prosecutor)
    with client:
        client.get("/")
        before = render_template("packet/_download.html", mla_request=mla_request)
        assert "Download a draft of the packet (PDF)" in before
        assert "SHA-256" not in before
    sign(db, mla_request)
    client.get(url(mla_request))
    digest = svc.stored_packet(session=db, request=mla_request)
    assert digest is not None
    with client:
        client.get("/")
        after = render_template("packet/_download.html", mla_request=mla_request)
    assert "Download the signed packet (PDF)" in after
    assert digest[1].sha256 in after
    assert f'href="/requests/{mla_request.id}/packet.pdf"' in after


def test_the_partial_offers_nothing_to_who_may_not_download(
    client: Any, login_as: Callable[..., User], mla_request: MlaRequest
) -> None:
    login_as(Role.officer)
    with client:
        client.get("/")
        assert render_template("packet/_download.html", mla_request=mla_request).strip() == ""


def test_the_packet_command_writes_the_packet(
    runner: Any, db: Any, mla_request: MlaRequest, tmp_path: Path
) -> None:
    out = tmp_path / "packet.pdf"
    result = runner.invoke(args=["packet", mla_request.reference, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"%PDF-")
    assert "draft render" in result.output
    sign(db, mla_request)
    result = runner.invoke(args=["packet", mla_request.reference, "--out", str(out)])
    assert result.exit_code == 0, result.output
    found = svc.stored_packet(session=db, request=mla_request)
    assert found is not None
    assert hashlib.sha256(out.read_bytes()).hexdigest() == found[1].sha256
    assert len(downloads(db, mla_request)) == 2


def test_the_packet_command_refuses_an_unknown_reference(runner: Any, tmp_path: Path) -> None:
    out = tmp_path / "packet.pdf"
    result = runner.invoke(args=["packet", "NOPE-2026-0001", "--out", str(out)])
    assert result.exit_code == 1
    assert "No request with the reference NOPE-2026-0001" in result.output
    assert not out.exists()
