"""The keyed audit chain and its signed checkpoints: every way of tampering with the trail
is found by `audit verify --checkpoints`, those the chain shows by `audit verify` alone;
checkpoint lines edited by hand are found; entries from before keys still verify; keys
rotate."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from sqlalchemy import insert, text
from sqlmodel import Session, col, select

from mlat import create_app
from mlat.audit_actions import AuditAction
from mlat.config import AuditKey, AuditSettings, Config
from mlat.models import AuditEntry
from mlat.services import audit
from mlat.services.audit_checkpoints import FILE_NAME, Checkpoint
from mlat.services.audit_keys import Keyring, keyring_for
from tests.audit_trail import write_legacy_chain
from tests.conftest import SIGNING_SECRET
from tests.flask_cli import flask

OLD = AuditKey("2026a", b"first key of the audit trail, 32+ bytes")
NEW = AuditKey("2026b", b"second key of the audit trail, 32+ bytes")


def make_app(
    database_url: str, folder: Path, keys: tuple[AuditKey, ...], **audit_settings: object
) -> Flask:
    settings = {"checkpoint_dir": folder / "checkpoints", "checkpoint_minutes": 0, **audit_settings}
    config = Config(
        signing_secret=SIGNING_SECRET,
        database_url=database_url,
        secret_key="test-" + secrets.token_hex(8),
        instance_path=folder / "instance",
        testing=True,
        audit=AuditSettings(keys=keys, **settings),  # type: ignore[arg-type]
    )
    return create_app(config)


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(database_url, tmp_path, (OLD,))
    yield app
    app.extensions["mlat_engine"].dispose()


@pytest.fixture
def checkpoints(tmp_path: Path) -> Path:
    return tmp_path / "checkpoints"


def clear_trail(db: Session) -> None:
    db.execute(text("DELETE FROM audit_entry"))
    db.execute(text("DELETE FROM audit_head"))


def append(db: Session, count: int) -> None:
    for n in range(count):
        audit.record(session=db, action=AuditAction.request_view, object_type="request",
                     object_id=n, details={"wizard_step": "facts"})  # fmt: skip
    db.commit()


def checkpoint(runner: FlaskCliRunner) -> None:
    result = flask(runner, "audit", "checkpoint")
    assert result.exit_code == 0, result.output


def written(checkpoints: Path) -> list[Checkpoint]:
    lines = (checkpoints / FILE_NAME).read_text().splitlines()
    return [Checkpoint(**json.loads(line)) for line in lines]


def verify(runner: FlaskCliRunner, checkpoints: Path | None = None) -> tuple[int, str]:
    args = ["--checkpoints", str(checkpoints)] if checkpoints else []
    result = flask(runner, "audit", "verify", *args)
    return result.exit_code, " ".join(result.output.split())


@pytest.fixture
def anchored(db: Session, runner: FlaskCliRunner, checkpoints: Path) -> list[Checkpoint]:
    """Five keyed entries, with checkpoints written after the third and the fifth."""
    clear_trail(db)
    append(db, 3)
    checkpoint(runner)
    append(db, 2)
    checkpoint(runner)
    return written(checkpoints)


# Tampering -------------------------------------------------------------------------------


def _hash_with(keys: Keyring, key_id: str) -> Callable[[AuditEntry], str]:
    def hash_(entry: AuditEntry) -> str:
        entry.key_id = key_id
        return audit.entry_hash(entry, keys)

    return hash_


def _rewrite(db: Session, hash_: Callable[[AuditEntry], str], *, start: int = 1) -> None:
    """Change entry 3 and recompute the chain from ``start`` on, head included."""
    db.execute(text("UPDATE audit_entry SET outcome = 'failure' WHERE seq = 3"))
    entries = list(db.exec(select(AuditEntry).order_by(col(AuditEntry.seq))))
    prev = entries[start - 2].hash if start > 1 else audit.GENESIS
    for entry in entries[start - 1 :]:
        entry.prev_hash = prev
        entry.hash = hash_(entry)
        prev = entry.hash
    db.flush()
    db.execute(text("UPDATE audit_head SET hash = :h"), {"h": prev})


def _legacy_forgery(db: Session, seq: int, prev_hash: str) -> str:
    """An entry as someone without the key writes it: plain SHA-256, no key id."""
    forged = AuditEntry(seq=seq, at=dt.datetime.now(dt.UTC), action="login", object_type="user",
                        object_id="1", prev_hash=prev_hash, hash="")  # fmt: skip
    forged.hash = audit.entry_hash(forged)
    db.execute(insert(AuditEntry).values(**forged.model_dump()))
    return forged.hash


def edit_one(db: Session) -> None:
    db.execute(text("UPDATE audit_entry SET outcome = 'failure' WHERE seq = 3"))


def delete_one(db: Session) -> None:
    db.execute(text("DELETE FROM audit_entry WHERE seq = 3"))


def insert_one(db: Session) -> None:
    db.execute(text("UPDATE audit_entry SET seq = seq + 100 WHERE seq >= 3"))
    db.execute(text("UPDATE audit_entry SET seq = seq - 99 WHERE seq >= 100"))
    prev = db.exec(select(AuditEntry.hash).where(AuditEntry.seq == 2)).one()
    _legacy_forgery(db, 3, prev)
    db.execute(text("UPDATE audit_head SET seq = 6"))


def reorder_two(db: Session) -> None:
    db.execute(text("UPDATE audit_entry SET seq = 100 WHERE seq = 2"))
    db.execute(text("UPDATE audit_entry SET seq = 2 WHERE seq = 3"))
    db.execute(text("UPDATE audit_entry SET seq = 3 WHERE seq = 100"))


def truncate_two(db: Session) -> None:
    """Delete the newest two entries and set the head back to the new last one."""
    db.execute(text("DELETE FROM audit_entry WHERE seq > 3"))
    last = db.exec(select(AuditEntry.hash).where(AuditEntry.seq == 3)).one()
    db.execute(text("UPDATE audit_head SET seq = 3, hash = :h"), {"h": last})


def rewrite_with_sha256(db: Session) -> None:
    _rewrite(db, _hash_with(Keyring(), ""))


def rewrite_with_sha256_from_the_middle(db: Session) -> None:
    _rewrite(db, _hash_with(Keyring(), ""), start=3)


def rewrite_with_a_wrong_key(db: Session) -> None:
    """The key id the verifier knows, with another secret."""
    _rewrite(db, _hash_with(Keyring([AuditKey(OLD.key_id, b"guessed" * 8)]), OLD.key_id))


def rewrite_with_a_key_of_ones_own(db: Session) -> None:
    _rewrite(db, _hash_with(Keyring([AuditKey("forged", b"made up" * 8)]), "forged"))


def wipe(db: Session) -> None:
    clear_trail(db)


def newest(checkpoints: list[Checkpoint]) -> str:
    return checkpoints[-1].written


REWRITTEN = "Entry 3 does not match its checkpoint, written {first}: the chain was rewritten"

CASES = [
    (edit_one, "broken at entry 3: content changed after it was written", ""),
    (delete_one, "broken at entry 3: missing entry", ""),
    (insert_one, "broken at entry 3: written without the key, after entries written with it",
     REWRITTEN + " (a later checkpoint does not match either)."),
    (reorder_two, "broken at entry 2: does not follow the entry before",
     REWRITTEN + "."),
    (truncate_two, "Audit trail intact: 3 entries.",
     "Entries after seq 3 are missing: the newest checkpoint, written {newest}, records seq 5."),
    (rewrite_with_sha256, "Audit trail intact: 5 entries.",
     REWRITTEN + " (a later checkpoint does not match either)."),
    (rewrite_with_sha256_from_the_middle,
     "broken at entry 3: written without the key, after entries written with it", REWRITTEN),
    (rewrite_with_a_wrong_key, "broken at entry 1: content changed after it was written",
     REWRITTEN),
    (rewrite_with_a_key_of_ones_own,
     "broken at entry 1: hashed with the key forged, which is not configured", REWRITTEN),
    (wipe, "Audit trail intact: 0 entries.",
     "Entries after seq 0 are missing: the newest checkpoint, written {newest}, records seq 5."),
]  # fmt: skip


@pytest.mark.parametrize(("tamper", "chain_says", "checkpoints_say"), CASES,
                         ids=[c[0].__name__ for c in CASES])  # fmt: skip
def test_verify_with_checkpoints_finds_every_kind_of_tampering(
    db: Session,
    runner: FlaskCliRunner,
    checkpoints: Path,
    anchored: list[Checkpoint],
    tamper: Callable[[Session], None],
    chain_says: str,
    checkpoints_say: str,
) -> None:
    assert verify(runner, checkpoints) == (
        0,
        f"Audit trail intact: 5 entries. 2 checkpoints agree with it; the newest, written "
        f"{newest(anchored)}, records entry 5.",
    )
    tamper(db)
    db.commit()

    exit_code, output = verify(runner)
    assert chain_says in output
    assert exit_code == (0 if "intact" in chain_says else 1)

    exit_code, output = verify(runner, checkpoints)
    assert exit_code == 1
    if "intact" not in chain_says:
        assert chain_says in output
    assert "Audit trail intact" not in output
    expected = checkpoints_say.format(first=anchored[0].written, newest=newest(anchored))
    assert expected in output


def test_a_checkpoint_edited_by_hand_is_found(
    runner: FlaskCliRunner, checkpoints: Path, anchored: list[Checkpoint], db: Session
) -> None:
    """Someone who cut the trail back to entry 3 edits the newest checkpoint to match."""
    truncate_two(db)
    db.commit()
    file = checkpoints / FILE_NAME
    lines = file.read_text().splitlines()
    edited = json.loads(lines[1]) | {"seq": 3, "hash": anchored[0].hash}
    file.write_text("\n".join([lines[0], json.dumps(edited), "not a checkpoint at all"]) + "\n")

    exit_code, output = verify(runner, checkpoints)
    assert exit_code == 1
    assert (
        "The checkpoint on line 2 of checkpoints.jsonl was changed after it was written: "
        "its signature does not match." in output
    )
    assert "The checkpoint on line 3 of checkpoints.jsonl is not a checkpoint." in output


def test_checkpoints_deleted_or_signed_with_an_unknown_key_are_found(
    runner: FlaskCliRunner, checkpoints: Path, anchored: list[Checkpoint]
) -> None:
    file = checkpoints / FILE_NAME
    line = json.loads(file.read_text().splitlines()[0]) | {"key_id": "elsewhere"}
    file.write_text(json.dumps(line) + "\n")
    exit_code, output = verify(runner, checkpoints)
    assert exit_code == 1
    assert "was signed with the key elsewhere, which is not configured" in output
    assert f"No valid checkpoint in {checkpoints}." in output

    file.unlink()
    assert verify(runner, checkpoints) == (
        1,
        f"The audit trail does not match its checkpoints: - No valid checkpoint in {checkpoints}.",
    )


def test_checkpoint_without_a_directory_is_refused(database_url: str, tmp_path: Path) -> None:
    app = make_app(database_url, tmp_path, (OLD,), checkpoint_dir=None)
    try:
        result = flask(app.test_cli_runner(), "audit", "checkpoint")
        assert result.exit_code == 1
        assert "No checkpoint directory is configured (MLAT_AUDIT_CHECKPOINT_DIR)." in result.output
    finally:
        app.extensions["mlat_engine"].dispose()


# Keys ------------------------------------------------------------------------------------


def key_ids(db: Session) -> list[str]:
    db.expire_all()
    return list(db.exec(select(AuditEntry.key_id).order_by(col(AuditEntry.seq))))


def test_entries_from_before_keys_still_verify_and_keyed_ones_follow(
    db: Session, runner: FlaskCliRunner, checkpoints: Path
) -> None:
    db.execute(text("DELETE FROM audit_entry"))
    write_legacy_chain(db.connection(), 3)
    db.commit()
    append(db, 2)
    checkpoint(runner)
    assert key_ids(db) == ["", "", "", OLD.key_id, OLD.key_id]
    assert verify(runner, checkpoints)[0] == 0

    head = db.exec(select(AuditEntry.hash).where(AuditEntry.seq == 5)).one()
    forged = _legacy_forgery(db, 6, head)
    db.execute(text("UPDATE audit_head SET seq = 6, hash = :h"), {"h": forged})
    db.commit()
    assert verify(runner) == (
        1,
        "Audit trail broken at entry 6: written without the key, after entries written with "
        "it (5 entries before it are intact).",
    )


def test_a_rotated_key_signs_and_the_old_one_still_verifies(
    database_url: str, tmp_path: Path, db: Session, runner: FlaskCliRunner, checkpoints: Path
) -> None:
    clear_trail(db)
    append(db, 2)
    checkpoint(runner)
    rotated = make_app(database_url, tmp_path, (NEW, OLD))
    only_new = make_app(database_url, tmp_path, (NEW,))
    try:
        with Session(rotated.extensions["mlat_engine"]) as session:
            append(session, 2)
        rotated_runner = rotated.test_cli_runner()
        checkpoint(rotated_runner)
        assert key_ids(db) == [OLD.key_id, OLD.key_id, NEW.key_id, NEW.key_id]
        assert [c.key_id for c in written(checkpoints)] == [OLD.key_id, NEW.key_id]
        assert verify(rotated_runner, checkpoints)[0] == 0

        exit_code, output = verify(only_new.test_cli_runner(), checkpoints)
        assert exit_code == 1
        assert "broken at entry 1: hashed with the key 2026a, which is not configured" in output
        assert (
            "The checkpoint on line 1 of checkpoints.jsonl was signed with the key 2026a, "
            "which is not configured." in output
        )
    finally:
        rotated.extensions["mlat_engine"].dispose()
        only_new.extensions["mlat_engine"].dispose()


def test_without_configured_keys_one_is_generated_once_in_the_instance_folder(
    database_url: str, tmp_path: Path
) -> None:
    first = make_app(database_url, tmp_path, ())
    second = make_app(database_url, tmp_path, ())  # another process, same instance folder
    stranger = make_app(database_url, tmp_path / "elsewhere", ())
    try:
        with Session(first.extensions["mlat_engine"]) as session:
            clear_trail(session)
            append(session, 2)
            key_file = tmp_path / "instance" / "audit_key"
            assert key_file.stat().st_mode & 0o777 == 0o600
            (key_id,) = set(key_ids(session))
            assert key_file.read_text().startswith(f"{key_id}:")
        with Session(second.extensions["mlat_engine"]) as session:
            append(session, 1)
        assert verify(second.test_cli_runner()) == (0, "Audit trail intact: 3 entries.")
        assert verify(stranger.test_cli_runner())[1].startswith(
            f"Audit trail broken at entry 1: hashed with the key {key_id}, which is not configured"
        )
    finally:
        for app in (first, second, stranger):
            app.extensions["mlat_engine"].dispose()


def test_a_keyed_hash_is_an_hmac_that_plain_sha256_does_not_reproduce(db: Session) -> None:
    clear_trail(db)
    entry = audit.record(session=db, action=AuditAction.login)
    db.commit()
    assert entry.key_id == OLD.key_id
    assert entry.hash != hashlib.sha256(audit.canonical(entry)).hexdigest()
    assert entry.hash != audit.entry_hash(entry, Keyring([AuditKey(OLD.key_id, b"x" * 40)]))
    assert entry.hash == audit.entry_hash(entry, keyring_for(db))
