"""The audit trail: what a working session records, the hash chain that shows tampering,
the `audit verify` and `audit head` commands, and appends that race."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator

import pytest
from flask.testing import FlaskCliRunner
from sqlalchemy import insert, text
from sqlmodel import Session, select

from mlat.audit_actions import AuditAction
from mlat.models import AuditEntry, Role
from mlat.services import audit
from mlat.services.audit_keys import keyring_for
from mlat.workflow import TRANSITIONS
from tests.audit_trail import trail, write_legacy_chain
from tests.conftest import Client, MakeRequest, MakeUser, PageClient
from tests.flask_cli import flask
from tests.workflow_helpers import submittable_content

ENTRIES = 5


def verify(fresh: Callable[[], Session]) -> audit.Verification:
    return audit.verify(session=fresh())


def test_a_working_session_is_recorded_in_order(
    client: Client,
    client_request: PageClient,
    make_user: MakeUser,
    make_request: MakeRequest,
    db: Session,
    fresh: Callable[[], Session],
) -> None:
    officer = make_user(Role.officer)
    request = make_request(officer, content=submittable_content(dt.date.today()))
    rid = str(request.id)

    assert client.login(officer.email, "not the password at all").status_code == 200
    assert client.login(officer.email).status_code == 302
    client_request.get(f"/requests/{request.id}")
    client_request.post_redirect(
        f"/requests/{request.id}/edit",
        {"title": "Business e-mail compromise", "requested_state": "US", "version": "1"},
    )
    submitted = client.submit(f"/requests/{request.id}/do/submit", {"version": "2"},
                              form_url=f"/requests/{request.id}")  # fmt: skip
    assert (submitted.status_code, submitted.location) == (303, f"/requests/{request.id}")
    client_request.post_redirect("/logout", form_url="/")

    recorded = [row for row in trail(db) if row[0] != "request.view"]
    assert recorded == [
        # The unit and the user made by the fixtures, as by an operator at the server.
        ("unit.create", "success", None, "unit", str(officer.unit_id)),
        ("user.create", "success", None, "user", str(officer.id)),
        ("request.create", "success", officer.id, "request", rid),
        ("login", "failure", None, "email", officer.email),
        ("login", "success", officer.id, "user", str(officer.id)),
        ("request.edit", "success", officer.id, "request", rid),
        ("request.submit", "success", officer.id, "request", rid),
        ("logout", "success", officer.id, "", ""),
    ]
    views = [row for row in trail(db) if row[0] == "request.view"]
    assert ("request.view", "success", officer.id, "request", rid) in views
    addresses = {e.action: e.client_addr for e in db.exec(select(AuditEntry))}
    assert addresses["login"] == addresses["request.submit"] == "127.0.0.1"
    assert all(e.unit_id == officer.unit_id for e in db.exec(select(AuditEntry)) if e.user_id)

    result = verify(fresh)
    assert result.intact
    assert result.checked == len(trail(db))


# Tampering ---------------------------------------------------------------------------------


@pytest.fixture
def five_entries(db: Session, make_user: MakeUser) -> list[AuditEntry]:
    """A chain of five entries and nothing else."""
    user = make_user(Role.officer)
    db.execute(text("DELETE FROM audit_entry"))
    db.execute(text("UPDATE audit_head SET seq = 0, hash = :genesis"), {"genesis": audit.GENESIS})
    entries = [
        audit.record(
            session=db,
            action=AuditAction.request_view,
            user=user,
            object_type="request",
            object_id=n,
            details={"wizard_step": "facts"},
        )
        for n in range(1, ENTRIES + 1)
    ]
    db.commit()
    return entries


def _forge(db: Session, *, seq: int, prev_hash: str) -> None:
    """Add an entry that looks right: it follows its predecessor and its hash fits (made
    with the key: what the chain alone shows even to someone who has it)."""
    keys = keyring_for(db)
    forged = AuditEntry(seq=seq, at=dt.datetime.now(dt.UTC), action="login", object_type="user",
                        object_id="1", prev_hash=prev_hash, key_id=keys.signing_id,
                        hash="")  # fmt: skip
    forged.hash = audit.entry_hash(forged, keys)
    db.execute(insert(AuditEntry).values(**forged.model_dump()))


def _edit_outcome(db: Session, entries: list[AuditEntry]) -> None:
    db.execute(text("UPDATE audit_entry SET outcome = 'failure' WHERE seq = 3"))


def _edit_user(db: Session, entries: list[AuditEntry]) -> None:
    db.execute(text("UPDATE audit_entry SET user_id = user_id + 1 WHERE seq = 2"))


def _edit_details(db: Session, entries: list[AuditEntry]) -> None:
    db.execute(text("UPDATE audit_entry SET details = :d WHERE seq = 2"),
               {"d": '{"wizard_step": "check"}'})  # fmt: skip


def _strip_details(db: Session, entries: list[AuditEntry]) -> None:
    """Empty details are left out of the hash, as on entries from before they existed."""
    db.execute(text("UPDATE audit_entry SET details = '{}' WHERE seq = 4"))


def _rewrite_last(db: Session, entries: list[AuditEntry]) -> None:
    """Edit the newest entry and give it the hash of its new content."""
    db.execute(text("DELETE FROM audit_entry WHERE seq = 5"))
    _forge(db, seq=5, prev_hash=entries[3].hash)


def _delete_middle(db: Session, entries: list[AuditEntry]) -> None:
    db.execute(text("DELETE FROM audit_entry WHERE seq = 3"))


def _delete_last(db: Session, entries: list[AuditEntry]) -> None:
    db.execute(text("DELETE FROM audit_entry WHERE seq = 5"))


def _insert_after_last(db: Session, entries: list[AuditEntry]) -> None:
    _forge(db, seq=6, prev_hash=entries[4].hash)


def _insert_in_the_middle(db: Session, entries: list[AuditEntry]) -> None:
    """Move entries 3 to 5 up by one and slip a well-formed entry in at 3."""
    db.execute(text("UPDATE audit_entry SET seq = seq + 100 WHERE seq >= 3"))
    db.execute(text("UPDATE audit_entry SET seq = seq - 99 WHERE seq >= 100"))
    _forge(db, seq=3, prev_hash=entries[1].hash)


@pytest.mark.parametrize(
    ("tamper", "broken_at", "problem"),
    [
        (_edit_outcome, 3, "content changed after it was written"),
        (_edit_user, 2, "content changed after it was written"),
        (_edit_details, 2, "content changed after it was written"),
        (_strip_details, 4, "content changed after it was written"),
        (_rewrite_last, 5, "does not match the chain head"),
        (_delete_middle, 3, "missing entry"),
        (_delete_last, 5, "entries missing at the end of the chain"),
        (_insert_after_last, 6, "not in the chain head: inserted"),
        (_insert_in_the_middle, 4, "does not follow the entry before"),
    ],
    ids=lambda v: v.__name__.strip("_") if callable(v) else None,
)
def test_verify_finds_the_first_entry_tampered_with(
    db: Session,
    runner: FlaskCliRunner,
    fresh: Callable[[], Session],
    five_entries: list[AuditEntry],
    tamper: Callable[[Session, list[AuditEntry]], None],
    broken_at: int,
    problem: str,
) -> None:
    assert verify(fresh) == audit.Verification(True, ENTRIES)
    tamper(db, five_entries)
    db.commit()

    result = verify(fresh)
    assert (result.intact, result.broken_at, result.problem) == (False, broken_at, problem)
    assert result.checked == broken_at - 1

    command = flask(runner, "audit", "verify")
    assert command.exit_code == 1
    assert f"Audit trail broken at entry {broken_at}: {problem}" in command.output


def test_entries_from_before_details_and_after_make_one_chain(
    db: Session, runner: FlaskCliRunner, fresh: Callable[[], Session]
) -> None:
    """Entries written before migration 0008 keep their hashes; the next entry follows on,
    with its details covered by its own hash."""
    db.execute(text("DELETE FROM audit_entry"))
    legacy_head = write_legacy_chain(db.connection(), 3)
    details = {"copy": "stored packet", "sha256": "cd" * 32}
    newest = audit.record(session=db, action=AuditAction.packet_download, object_type="request",
                          object_id=7, details=details)  # fmt: skip
    db.commit()
    assert newest.prev_hash == legacy_head
    assert [e.details for e in fresh().exec(select(AuditEntry))] == [{}, {}, {}, details]
    assert verify(fresh) == audit.Verification(True, 4)
    command = flask(runner, "audit", "verify")
    assert command.exit_code == 0, command.output
    assert "Audit trail intact: 4 entries." in command.output

    db.execute(text("UPDATE audit_entry SET details = :d WHERE seq = 4"),
               {"d": '{"copy": "internal copy", "sha256": "%s"}' % ("cd" * 32)})  # fmt: skip
    db.commit()
    assert flask(runner, "audit", "verify").exit_code == 1
    assert verify(fresh) == audit.Verification(False, 3, 4, "content changed after it was written")


def test_verify_command_says_the_trail_is_intact(
    runner: FlaskCliRunner, five_entries: list[AuditEntry]
) -> None:
    command = flask(runner, "audit", "verify")
    assert command.exit_code == 0, command.output
    assert f"Audit trail intact: {ENTRIES} entries." in command.output


def test_head_command_prints_the_newest_number_and_hash(
    runner: FlaskCliRunner, db: Session, five_entries: list[AuditEntry]
) -> None:
    command = flask(runner, "audit", "head")
    assert command.exit_code == 0
    assert command.output.strip() == f"{ENTRIES} {five_entries[-1].hash}"

    newest = audit.record(session=db, action=AuditAction.logout)
    db.commit()
    assert flask(runner, "audit", "head").output.strip() == f"{ENTRIES + 1} {newest.hash}"


def test_an_empty_trail_is_intact(
    db: Session, runner: FlaskCliRunner, fresh: Callable[[], Session]
) -> None:
    db.execute(text("DELETE FROM audit_entry"))
    db.execute(text("DELETE FROM audit_head"))
    db.commit()
    assert verify(fresh) == audit.Verification(True, 0)
    assert flask(runner, "audit", "head").output.strip() == f"0 {audit.GENESIS}"


def test_concurrent_appends_keep_one_chain(db: Session, fresh: Callable[[], Session]) -> None:
    """Two workers write at the same moment (from an empty trail, so both also race to
    create the chain head); every entry lands once, in one unbroken chain."""
    db.execute(text("DELETE FROM audit_entry"))
    db.execute(text("DELETE FROM audit_head"))
    db.commit()
    per_worker, start = 15, threading.Barrier(2)
    failures: list[BaseException] = []

    def worker(name: str) -> None:
        session = fresh()
        try:
            start.wait(timeout=10)
            for n in range(per_worker):
                audit.record(
                    session=session, action=AuditAction.request_view, object_type=name, object_id=n
                )
                session.commit()
        except BaseException as exc:  # reported below, in the test's thread
            failures.append(exc)
            session.rollback()

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("one", "two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    assert verify(fresh) == audit.Verification(True, 2 * per_worker)
    written = list(db.exec(select(AuditEntry.object_type, AuditEntry.object_id)))
    assert sorted(written) == sorted(
        (name, str(n)) for name in ("one", "two") for n in range(per_worker)
    )


def test_verify_while_others_keep_appending_is_not_a_false_alarm(
    db: Session,
    fresh: Callable[[], Session],
    five_entries: list[AuditEntry],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    walk = audit._entries

    def walk_then_someone_appends(session: Session) -> Iterator[AuditEntry]:
        yield from walk(session)
        other = fresh()
        audit.record(session=other, action=AuditAction.login)
        other.commit()

    monkeypatch.setattr(audit, "_entries", walk_then_someone_appends)
    assert audit.verify(session=fresh()).intact
    monkeypatch.undo()
    assert verify(fresh) == audit.Verification(True, ENTRIES + 1)


def test_every_workflow_step_writes_an_action_of_its_own() -> None:
    actions = [AuditAction.of_step(t.action) for t in TRANSITIONS]
    assert [a.value for a in actions] == [f"request.{t.action}" for t in TRANSITIONS]
    assert len(set(actions)) == len(TRANSITIONS)
