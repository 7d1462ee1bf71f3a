"""403 and 404 answers to logged-in users are in the audit trail, and a flood of them
writes a bounded number of entries."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import Session, col, select

import mlat.views.refusals
from mlat.models import AuditEntry, Role
from mlat.services.refusals import LOGGED_PER_WINDOW
from tests.conftest import Client, LoginAs, MakeRequest, MakeUnit, MakeUser


class Clock:
    def __init__(self) -> None:
        self.now = dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(mlat.views.refusals, "utcnow", clock)
    return clock


def _refused(db: Session) -> list[AuditEntry]:
    db.expire_all()
    return list(
        db.exec(
            select(AuditEntry)
            .where(AuditEntry.action == "access.refused")
            .order_by(col(AuditEntry.seq))
        )
    )


def test_probing_another_units_request_is_recorded_with_the_user(
    client: Client, login_as: LoginAs, make_user: MakeUser, make_unit: MakeUnit,
    make_request: MakeRequest, db: Session,
) -> None:  # fmt: skip
    theirs = make_request(make_user(Role.officer, unit_=make_unit()))
    prober = login_as(Role.officer)
    assert client.get(f"/requests/{theirs.id}").status_code == 404
    assert client.get("/requests/987654/review").status_code == 403  # reviewers only
    [other_unit, missing] = _refused(db)
    assert (other_unit.user_id, other_unit.object_type, other_unit.object_id) == (
        prober.id, "request", str(theirs.id))  # fmt: skip
    assert other_unit.outcome == "denied"
    assert other_unit.details == {"status": 404, "method": "GET",
                                  "path": f"/requests/{theirs.id}"}  # fmt: skip
    assert (missing.object_id, missing.details["status"]) == ("987654", 403)
    assert missing.details["path"] == "/requests/987654/review"


def test_a_page_the_role_does_not_allow_is_recorded_as_a_403(
    client: Client, login_as: LoginAs, db: Session
) -> None:
    officer = login_as(Role.officer)
    assert client.get("/admin/users").status_code == 403
    [entry] = _refused(db)
    assert (entry.user_id, entry.object_type, entry.details["status"]) == (officer.id, "page", 403)
    assert entry.details["path"] == "/admin/users"


def test_a_flood_of_refusals_writes_ten_entries_then_says_how_many_were_left_out(
    client: Client, login_as: LoginAs, db: Session, clock: Clock
) -> None:
    login_as(Role.officer)
    for n in range(25):
        assert client.get(f"/requests/{900000 + n}").status_code == 404
    entries = _refused(db)
    assert len(entries) == LOGGED_PER_WINDOW
    assert [e.object_id for e in entries] == [str(900000 + n) for n in range(LOGGED_PER_WINDOW)]
    clock.now += dt.timedelta(minutes=10)
    assert client.get("/requests/999999").status_code == 404
    newest = _refused(db)[-1]
    assert newest.object_id == "999999" and newest.details["left_out"] == 15


def test_one_users_flood_does_not_silence_another_users_refusals(
    app: object, client: Client, login_as: LoginAs, make_user: MakeUser, db: Session,
    clock: Clock,
) -> None:  # fmt: skip
    login_as(Role.officer)
    for n in range(15):
        client.get(f"/requests/{900000 + n}")
    other: Client = app.test_client()  # type: ignore[attr-defined]
    colleague = make_user(Role.officer)
    assert other.login(colleague.email).status_code == 302
    assert other.get("/requests/123456").status_code == 404
    assert _refused(db)[-1].user_id == colleague.id


def test_a_refused_packet_download_is_recorded_once(
    client: Client, login_as: LoginAs, make_user: MakeUser, make_request: MakeRequest,
    db: Session,
) -> None:  # fmt: skip
    colleagues_request = make_request(make_user(Role.officer))
    login_as(Role.officer)
    assert client.get(f"/requests/{colleagues_request.id}/packet.pdf").status_code == 403
    db.expire_all()
    denied = db.exec(select(AuditEntry).where(AuditEntry.outcome == "denied")).all()
    assert [e.action for e in denied] == ["packet.download"]


def test_anonymous_visitors_are_sent_to_log_in_and_not_recorded(
    client: Client, db: Session
) -> None:
    assert client.get("/requests/1").status_code == 302
    assert client.get("/no-such-page").status_code == 404
    assert _refused(db) == []
