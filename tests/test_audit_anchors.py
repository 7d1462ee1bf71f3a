"""Where audit checkpoints come from and go: the app after appends (at most every few
minutes), each backup, a timestamp authority, syslog; and the settings that configure
them and the keys."""

from __future__ import annotations

import base64
import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, text
from sqlmodel import Session

from mlat.audit_actions import AuditAction
from mlat.config import AuditKey, config_from_env, parse_audit_keys
from mlat.db import make_engine
from mlat.services import audit
from mlat.services.audit_anchors import syslog_address
from mlat.services.audit_checkpoints import FILE_NAME, Automatic, check
from mlat.services.audit_keys import keyring_for, trail_for
from tests.conftest import Client
from tests.flask_cli import flask
from tests.test_audit_checkpoints import OLD, append, make_app, verify, written
from tests.tsa import timestamp_authority


@pytest.fixture
def app(database_url: str, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(database_url, tmp_path, (OLD,))
    yield app
    app.extensions["mlat_engine"].dispose()


@pytest.fixture
def checkpoints(tmp_path: Path) -> Path:
    return tmp_path / "checkpoints"


def lines_in(checkpoints: Path) -> list[str]:
    file = checkpoints / FILE_NAME
    return file.read_text().splitlines() if file.exists() else []


# Written by the app ----------------------------------------------------------------------


def test_the_app_writes_a_checkpoint_after_an_append_at_most_every_interval(
    database_url: str, tmp_path: Path, checkpoints: Path
) -> None:
    app = make_app(database_url, tmp_path, (OLD,), checkpoint_minutes=15)
    engine = app.extensions["mlat_engine"]
    automatic = trail_for(engine).after_append  # type: ignore[union-attr]
    assert isinstance(automatic, Automatic)
    now = [1000.0]
    automatic.clock = lambda: now[0]
    app.test_client_class = Client
    client: Client = app.test_client()  # type: ignore[assignment]
    try:
        client.login("nobody@example.org", "not a password")  # an audited failure
        (first,) = written(checkpoints)
        assert first.source == "app"
        with Session(engine) as session:
            assert (first.seq, first.hash) == audit.head(session=session)

            append(session, 1)  # within the interval: nothing
            audit.record(session=session, action=AuditAction.logout)
            session.flush()  # not committed: nothing either
            session.rollback()
            now[0] += 16 * 60
            append(session, 1)  # another process wrote one a moment ago: nothing
            assert len(lines_in(checkpoints)) == 1

            past = time.time() - 16 * 60
            os.utime(checkpoints / FILE_NAME, (past, past))
            now[0] += 16 * 60
            append(session, 1)
            newest = written(checkpoints)[-1]
            assert len(lines_in(checkpoints)) == 2
            assert (newest.seq, newest.hash) == audit.head(session=session)
        assert verify(app.test_cli_runner(), checkpoints)[0] == 0
    finally:
        engine.dispose()


def test_the_app_writes_its_checkpoints_off_the_request(app: Flask, checkpoints: Path) -> None:
    engine = app.extensions["mlat_engine"]
    automatic = Automatic(app.config["MLAT"].audit, background=True)
    writers: list[str] = []
    done = threading.Event()
    write = automatic.write

    def recorded(engine: Engine) -> None:  # which thread writes, however soon it ends
        writers.append(threading.current_thread().name)
        write(engine)
        done.set()

    automatic.write = recorded  # type: ignore[method-assign]
    automatic(engine)
    assert done.wait(timeout=30)
    assert writers == ["audit-checkpoint"]
    assert [c.source for c in written(checkpoints)] == ["app"]


# Backups ---------------------------------------------------------------------------------


def test_a_backup_writes_a_checkpoint_of_the_chain_in_the_copy(
    app: Flask, db: Session, checkpoints: Path, tmp_path: Path
) -> None:
    if app.extensions["mlat_engine"].dialect.name != "sqlite":
        pytest.skip("PostgreSQL is backed up with pg_dump, after `audit checkpoint`")
    append(db, 3)
    result = flask(app.test_cli_runner(), "backup", str(tmp_path / "backup.sqlite3"))
    assert result.exit_code == 0, result.output
    (line,) = written(checkpoints)
    assert line.source == "backup backup.sqlite3"
    assert (line.seq, line.hash) == audit.head(session=db)
    assert f"Checkpoint of entry {line.seq} ({line.hash}) written to" in result.output

    append(db, 2)  # the app goes on; the copy is restored
    restored = make_engine(f"sqlite:///{tmp_path / 'backup.sqlite3'}")
    keys = keyring_for(app.extensions["mlat_engine"])
    try:
        with Session(restored) as session:
            assert audit.verify(session=session, keys=keys).intact
            assert check(session=session, directory=checkpoints, keys=keys).intact
    finally:
        restored.dispose()


# Timestamps and syslog -------------------------------------------------------------------


def test_a_timestamp_authority_timestamps_each_checkpoint(
    database_url: str, tmp_path: Path, checkpoints: Path
) -> None:
    with timestamp_authority() as (url, answered):
        app = make_app(database_url, tmp_path, (OLD,), tsa_url=url)
        runner = app.test_cli_runner()
        try:
            for _ in range(2):
                with Session(app.extensions["mlat_engine"]) as session:
                    append(session, 1)
                result = flask(runner, "audit", "checkpoint")
                assert result.exit_code == 0, result.output
            assert len(answered) == 2
            assert all(c.tsa for c in written(checkpoints))
            assert verify(runner, checkpoints)[0] == 0

            # The timestamp is outside the signature: swapping two is found by its digest.
            file = checkpoints / FILE_NAME
            first, second = (json.loads(line) for line in file.read_text().splitlines())
            first["tsa"], second["tsa"] = second["tsa"], base64.b64encode(b"junk").decode()
            file.write_text(json.dumps(first) + "\n" + json.dumps(second) + "\n")
            exit_code, output = verify(runner, checkpoints)
            assert exit_code == 1
            assert (
                "The timestamp on line 1 of checkpoints.jsonl is not for that checkpoint." in output
            )
            assert (
                "The timestamp on line 2 of checkpoints.jsonl is not a timestamp token." in output
            )
        finally:
            app.extensions["mlat_engine"].dispose()


def test_without_an_answer_from_the_authority_the_checkpoint_is_kept_and_the_command_fails(
    database_url: str, tmp_path: Path, checkpoints: Path
) -> None:
    app = make_app(database_url, tmp_path, (OLD,), tsa_url="http://127.0.0.1:9/",
                   syslog="tcp:127.0.0.1:9")  # fmt: skip
    try:
        result = flask(app.test_cli_runner(), "audit", "checkpoint")
        assert result.exit_code == 1
        assert "The timestamp authority did not answer" in result.output
        assert "Syslog at tcp:127.0.0.1:9 did not take the checkpoint" in result.output
        (line,) = written(checkpoints)
        assert not line.tsa
    finally:
        app.extensions["mlat_engine"].dispose()


def test_each_checkpoint_goes_to_syslog_too(
    database_url: str, tmp_path: Path, checkpoints: Path
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        server.settimeout(10)
        port = server.getsockname()[1]
        app = make_app(database_url, tmp_path, (OLD,), syslog=f"127.0.0.1:{port}")
        try:
            result = flask(app.test_cli_runner(), "audit", "checkpoint")
            assert result.exit_code == 0, result.output
            message = server.recv(65536).decode()
        finally:
            app.extensions["mlat_engine"].dispose()
    (line,) = lines_in(checkpoints)
    assert message.rstrip("\x00") == f"<86>mlat-audit: {line}"  # authpriv.info


@pytest.mark.parametrize(
    ("setting", "address", "kind"),
    [
        ("/dev/log", "/dev/log", socket.SOCK_DGRAM),
        ("logs.example.org", ("logs.example.org", 514), socket.SOCK_DGRAM),
        ("10.0.0.5:5140", ("10.0.0.5", 5140), socket.SOCK_DGRAM),
        ("udp://10.0.0.5:5140", ("10.0.0.5", 5140), socket.SOCK_DGRAM),
        ("tcp:logs.example.org:6514", ("logs.example.org", 6514), socket.SOCK_STREAM),
        ("[::1]:514", ("::1", 514), socket.SOCK_DGRAM),
    ],
)
def test_syslog_addresses(setting: str, address: object, kind: socket.SocketKind) -> None:
    assert syslog_address(setting) == (address, kind)


# Settings --------------------------------------------------------------------------------

SECRET_A, SECRET_B = "a" * 64, "b" * 64


def test_keys_are_read_as_id_and_secret_the_signing_key_first() -> None:
    text_ = f"# rotated 2026-12-01\n2026b:{SECRET_B}\n\n2026a:{SECRET_A}\n"
    assert parse_audit_keys(text_, "keys") == (
        AuditKey("2026b", SECRET_B.encode()),
        AuditKey("2026a", SECRET_A.encode()),
    )
    assert parse_audit_keys(f"2026b:{SECRET_B}, 2026a:{SECRET_A}", "env") == parse_audit_keys(
        text_, "keys"
    )
    assert SECRET_A not in repr(parse_audit_keys(text_, "keys"))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (SECRET_A, "each audit key is written as id:secret"),
        (f"a key:{SECRET_A}", "each audit key is written as id:secret"),
        ("2026a:too short", "the audit key 2026a is shorter than 32 characters"),
        (f"2026a:{SECRET_A},2026a:{SECRET_B}", "the audit key id 2026a is given twice"),
    ],
)
def test_unusable_keys_are_refused_in_words(value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_audit_keys(value, "MLAT_AUDIT_KEY")


def test_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MLAT_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("MLAT_SECRET_KEY", "x" * 32)
    key_file = tmp_path / "audit-keys"
    key_file.write_text(f"2026b:{SECRET_B}\n2026a:{SECRET_A}\n")
    monkeypatch.setenv("MLAT_AUDIT_KEY_FILE", str(key_file))
    monkeypatch.setenv("MLAT_AUDIT_TSA_URL", "https://tsa.example.org/")
    monkeypatch.setenv("MLAT_AUDIT_SYSLOG", "/dev/log")
    monkeypatch.setenv("MLAT_AUDIT_CHECKPOINT_MINUTES", "5")
    settings = config_from_env().audit
    assert [k.key_id for k in settings.keys] == ["2026b", "2026a"]
    assert settings.checkpoint_dir == tmp_path / "instance" / "audit-checkpoints"
    assert (settings.tsa_url, settings.syslog, settings.checkpoint_minutes) == (
        "https://tsa.example.org/", "/dev/log", 5.0)  # fmt: skip

    monkeypatch.setenv("MLAT_AUDIT_CHECKPOINT_DIR", "")
    assert config_from_env().audit.checkpoint_dir is None
    monkeypatch.setenv("MLAT_AUDIT_KEY", f"2026c:{SECRET_A}")
    with pytest.raises(ValueError, match="Set MLAT_AUDIT_KEY or MLAT_AUDIT_KEY_FILE, not both"):
        config_from_env()
    monkeypatch.delenv("MLAT_AUDIT_KEY_FILE")
    assert [k.key_id for k in config_from_env().audit.keys] == ["2026c"]


def test_checkpoints_are_appended_to_a_file_only_its_owner_reads(
    app: Flask, db: Session, checkpoints: Path
) -> None:
    db.execute(text("DELETE FROM audit_entry"))
    db.commit()
    for _ in range(2):
        assert flask(app.test_cli_runner(), "audit", "checkpoint").exit_code == 0
    assert len(lines_in(checkpoints)) == 2
    assert (checkpoints / FILE_NAME).stat().st_mode & 0o777 == 0o600
    assert checkpoints.stat().st_mode & 0o777 == 0o700
