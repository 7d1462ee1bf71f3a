"""The keys that encrypt stored files and two-factor secrets: how they are configured,
what a wrong or missing key does (a clear error, never other bytes), `keys rotate` and
`keys status`, and the files and secrets kept before encryption, sealed by `init-db`."""

from __future__ import annotations

import base64
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from flask import Flask
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session

from mlat import create_app
from mlat.config import Config, config_from_env, data_keys_of
from mlat.crypto import DataKeyError, KeyNotConfigured, Keyring, NotSealed, keyring_for
from mlat.db import make_engine
from mlat.evidence_store import EvidenceStore, FolderBackend
from mlat.migrate import downgrade, upgrade
from mlat.models import EvidenceBlob, Role, User, WebhookEndpoint, utcnow
from mlat.services import twofactor, webhooks
from mlat.services.evidence import keep_blob, kept_of
from mlat.services.files import file_bytes, keep_file
from mlat.services.webhook_deliveries import signing_secrets
from tests.conftest import (
    BACKENDS,
    DATA_KEYS,
    POSTGRES,
    SIGNING_SECRET,
    Client,
    MakeUser,
    _admin_dsn,
)
from tests.flask_cli import flask
from tests.webhook_helpers import register

NEW_KEY = "k2026:" + base64.b64encode(b"\x07" * 32).decode()
STATEMENT = b"Statement of the victim, Mr Ahmed Al-Thani, about the account takeover\n"


def other_app(database_url: str, tmp_path: Path, data_keys: str) -> Flask:
    """A second instance of the app on the same database, with other keys."""
    return create_app(Config(database_url=database_url, secret_key="other", testing=True,
                             instance_path=tmp_path / "other", signing_secret=SIGNING_SECRET,
                             data_keys=data_keys))  # fmt: skip


def session_of(app: Flask) -> Session:
    return Session(app.extensions["mlat_engine"], expire_on_commit=False)


@pytest.mark.parametrize(
    ("keys", "says"),
    [("", "holds no key"), ("k1", "id:base64key"), ("k1:not base64!", "not 32 bytes"),
     ("k1:" + base64.b64encode(b"short").decode(), "not 32 bytes"),
     ("bad id:" + base64.b64encode(b"\0" * 32).decode(), "id:base64key"),
     (f"{DATA_KEYS},{DATA_KEYS}", "given twice")],
)  # fmt: skip
def test_keys_that_cannot_be_used_are_refused_with_the_reason(keys: str, says: str) -> None:
    with pytest.raises(DataKeyError, match=says):
        Keyring.parse(keys)


def test_the_first_key_seals_and_every_key_opens() -> None:
    keyring = Keyring.parse(f"{NEW_KEY},\n{DATA_KEYS}")
    assert keyring.current == "k2026" and list(keyring.keys) == ["k2026", "test"]
    assert repr(keyring) == "Keyring(current='k2026')"  # no key ever appears in a log
    old = Keyring.parse(DATA_KEYS).seal(STATEMENT, context="file 1")
    assert keyring.open_(old, context="file 1") == STATEMENT
    assert keyring.seal(STATEMENT, context="file 1").key_id == "k2026"


def test_without_configured_keys_one_is_made_once_in_the_instance_folder(tmp_path: Path) -> None:
    config = Config(database_url="sqlite://", secret_key="k", instance_path=tmp_path / "i")
    made = data_keys_of(config)
    assert made == data_keys_of(config) and Keyring.parse(made).current.startswith("local-")
    assert stat.S_IMODE((tmp_path / "i" / "data_keys").stat().st_mode) & 0o077 == 0
    assert [p.name for p in (tmp_path / "i").iterdir()] == ["data_keys"]


def test_keys_come_from_the_environment_or_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLAT_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("MLAT_SECRET_KEY", "k")
    monkeypatch.setenv("MLAT_DATA_KEYS", NEW_KEY)
    assert config_from_env().data_keys == NEW_KEY
    key_file = tmp_path / "keys"
    key_file.write_text(f"{NEW_KEY}\n{DATA_KEYS}\n")
    monkeypatch.setenv("MLAT_DATA_KEY_FILE", str(key_file))
    with pytest.raises(ValueError, match="not both"):
        config_from_env()
    monkeypatch.delenv("MLAT_DATA_KEYS")
    assert list(Keyring.parse(config_from_env().data_keys).keys) == ["k2026", "test"]


def test_a_missing_or_wrong_key_is_an_error_not_other_bytes(
    app: Flask, db: Session, database_url: str, tmp_path: Path
) -> None:
    stored = keep_file(session=db, data=STATEMENT, media_type="text/plain")
    db.commit()
    assert stored.id is not None
    without = other_app(database_url, tmp_path, NEW_KEY)
    with session_of(without) as session, pytest.raises(KeyNotConfigured, match="'test'"):
        file_bytes(session=session, file_id=stored.id)
    wrong = other_app(database_url, tmp_path, "test:" + base64.b64encode(b"\1" * 32).decode())
    with session_of(wrong) as session, pytest.raises(DataKeyError, match="not the one"):
        file_bytes(session=session, file_id=stored.id)
    for instance in (without, wrong):
        instance.extensions["mlat_engine"].dispose()
    with pytest.raises(DataKeyError, match="MLAT_DATA_KEYS"):
        other_app(database_url, tmp_path, "test")


def test_keys_rotate_moves_everything_to_the_new_key(
    app: Flask, client: Client, db: Session, database_url: str, tmp_path: Path,
    make_user: MakeUser,
) -> None:  # fmt: skip
    reviewer = make_user(Role.reviewer)
    assert client.login(reviewer.email).status_code == 302  # sets up an authenticator
    setting_up = make_user(Role.officer)
    twofactor.begin_enrolment(session=db, user=setting_up, now=utcnow())
    files = [keep_file(session=db, data=STATEMENT + bytes([n]), media_type="text/plain")
             for n in range(3)]  # fmt: skip
    db.commit()

    both = other_app(database_url, tmp_path, f"{NEW_KEY},{DATA_KEYS}")
    rotated = flask(both.test_cli_runner(), "keys", "rotate", "--batch", "2")
    assert rotated.exit_code == 0, rotated.output
    assert "Stored files: 3 moved to key k2026." in rotated.output
    assert "Two-factor secrets: 2 moved to key k2026." in rotated.output
    again = flask(both.test_cli_runner(), "keys", "rotate")
    assert "Stored files: 0 moved" in again.output and "secrets: 0 moved" in again.output
    assert {r[0] for r in db.execute(text("SELECT key_id FROM file_content"))} == {"k2026"}
    sealed = db.execute(text('SELECT totp_sealed, totp_pending FROM "user" WHERE totp_sealed '
                             "IS NOT NULL OR totp_pending IS NOT NULL")).all()  # fmt: skip
    assert {v.split(":")[1] for row in sealed for v in row if v} == {"k2026"}

    # The old key is gone: everything still opens, and the reviewer logs in.
    new = other_app(database_url, tmp_path, NEW_KEY)
    with session_of(new) as session:
        assert [file_bytes(session=session, file_id=f.id or 0) for f in files] == [
            STATEMENT + bytes([n]) for n in range(3)
        ]
    status = flask(new.test_cli_runner(), "keys", "status")
    assert status.exit_code == 0, status.output
    assert "Stored files: k2026: 3" in status.output
    assert "Two-factor secrets: k2026: 2" in status.output
    new.test_client_class = Client
    new.extensions["test_authenticator"] = app.extensions["test_authenticator"]
    browser = new.test_client()
    assert browser.login(reviewer.email).status_code == 302  # type: ignore[attr-defined]
    assert browser.get("/dashboard").status_code == 200
    # and an instance that only has the old key says which key it lacks
    old_only = flask(app.test_cli_runner(), "keys", "status")
    assert old_only.exit_code == 1 and "no configured key opens: k2026" in old_only.output
    for instance in (both, new):
        instance.extensions["mlat_engine"].dispose()


def test_a_value_the_keys_do_not_open_is_reported_by_rotate(
    app: Flask, db: Session, database_url: str, tmp_path: Path
) -> None:
    stored = keep_file(session=db, data=STATEMENT, media_type="text/plain")
    db.commit()
    without = other_app(database_url, tmp_path, NEW_KEY)
    result = flask(without.test_cli_runner(), "keys", "rotate")
    assert result.exit_code == 1
    assert "key 'test', which is not configured" in result.output
    assert "keep every key configured" in result.output
    assert file_bytes(session=db, file_id=stored.id or 0) == STATEMENT  # left as it was
    without.extensions["mlat_engine"].dispose()


# ---------------------------------------------- kept before encryption at rest


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A brand-new, empty database of each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    assert POSTGRES
    name = f"mlat_keys_{secrets.token_hex(4)}"
    with psycopg.connect(_admin_dsn(POSTGRES), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(_admin_dsn(POSTGRES), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _kept_before(engine: Engine, secret: str) -> None:
    """A user with an authenticator and a stored file, as release 0015 kept them."""
    now = {"now": "2026-11-01 09:00:00"}
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO unit (id, name, code, state, timezone, created_at, "
                          "separate_duties) VALUES (1, 'Unit', 'DOH', 'QA', 'Asia/Qatar', "
                          ":now, true)"), now)  # fmt: skip
        conn.execute(
            text('INSERT INTO "user" (id, email, name, password_hash, unit_id, active, locale, '
                 "session_epoch, password_must_change, totp_secret, created_at) VALUES (1, "
                 "'reviewer@example.org', 'Reviewer', 'hash', 1, true, 'en', 0, false, "
                 ":secret, :now)"),
            {**now, "secret": secret},
        )  # fmt: skip
        conn.execute(text("INSERT INTO stored_file (id, sha256, size, media_type, created_at) "
                          "VALUES (1, 'x', 10, 'text/plain', :now)"), now)  # fmt: skip
        conn.execute(text("INSERT INTO file_content (file_id, data) VALUES (1, :data)"),
                     {"data": STATEMENT})  # fmt: skip


def test_files_and_secrets_kept_before_are_sealed_by_init_db(
    empty_url: str, tmp_path: Path
) -> None:
    engine = make_engine(empty_url)
    upgrade(engine, "0015")
    secret = twofactor.new_secret()
    _kept_before(engine, secret)
    upgrade(engine)
    app = other_app(empty_url, tmp_path, DATA_KEYS)
    with session_of(app) as session:
        with pytest.raises(NotSealed, match="keys rotate"):
            file_bytes(session=session, file_id=1)
        with pytest.raises(NotSealed):
            twofactor.secret_of(session=session, user=session.get_one(User, 1))

    result = flask(app.test_cli_runner(), "init-db")
    assert result.exit_code == 0, result.output
    assert "Encrypted 1 stored files and 1 two-factor secrets" in result.output
    with engine.connect() as conn:
        data = bytes(conn.execute(text("SELECT data FROM file_content")).scalar_one())
        sealed = conn.execute(text('SELECT totp_sealed FROM "user"')).scalar_one()
    assert b"Al-Thani" not in data and secret not in sealed
    with session_of(app) as session:
        assert file_bytes(session=session, file_id=1) == STATEMENT
        assert twofactor.secret_of(session=session, user=session.get_one(User, 1)) == secret
    assert "Encrypted" not in flask(app.test_cli_runner(), "init-db").output

    with pytest.raises(RuntimeError, match="cannot read them"):
        downgrade(engine, "0015")  # which would read the ciphertext as the file
    app.extensions["mlat_engine"].dispose()
    engine.dispose()


def test_keys_rotate_moves_webhook_secrets_too(
    db: Session, database_url: str, tmp_path: Path, make_user: MakeUser
) -> None:
    endpoint, first = register(db, make_user(Role.admin))
    second = webhooks.rotate_secret(session=db, endpoint=endpoint, actor=make_user(Role.admin))
    db.commit()
    both = other_app(database_url, tmp_path, f"{NEW_KEY},{DATA_KEYS}")
    rotated = flask(both.test_cli_runner(), "keys", "rotate")
    assert "Webhook secrets: 2 moved to key k2026." in rotated.output, rotated.output
    new = other_app(database_url, tmp_path, NEW_KEY)
    with session_of(new) as session:
        moved = session.get_one(WebhookEndpoint, endpoint.id)
        assert signing_secrets(session=session, endpoint=moved) == [second, first]
    assert "Webhook secrets: k2026: 2" in flask(new.test_cli_runner(), "keys", "status").output
    for instance in (both, new):
        instance.extensions["mlat_engine"].dispose()


def test_keys_rotate_rewraps_evidence_files_and_leaves_them_in_the_store(
    db: Session, database_url: str, tmp_path: Path
) -> None:
    store = EvidenceStore(FolderBackend(tmp_path / "evidence"), tmp_path / "incoming")
    blob = keep_blob(session=db, store=store, chunks=[STATEMENT * 1000], max_bytes=10**7)
    db.commit()
    stored = next((tmp_path / "evidence").rglob(blob.object_name)).read_bytes()
    both = other_app(database_url, tmp_path, f"{NEW_KEY},{DATA_KEYS}")
    rotated = flask(both.test_cli_runner(), "keys", "rotate")
    assert "Evidence files: 1 moved to key k2026." in rotated.output, rotated.output
    assert next((tmp_path / "evidence").rglob(blob.object_name)).read_bytes() == stored
    new = other_app(database_url, tmp_path, NEW_KEY)
    with session_of(new) as session:
        moved = session.get_one(EvidenceBlob, blob.id)
        assert b"".join(store.read(keyring_for(session), kept_of(moved))) == STATEMENT * 1000
    assert "Evidence files: k2026: 1" in flask(new.test_cli_runner(), "keys", "status").output
    for instance in (both, new):
        instance.extensions["mlat_engine"].dispose()
