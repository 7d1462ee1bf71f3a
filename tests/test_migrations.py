"""The Alembic migrations are the only way the schema changes: they must build exactly
the tables the models describe, on both database engines, and undo cleanly."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

import mlat.models  # noqa: F401  (registers the tables)
from mlat.audit_actions import AuditAction, Outcome
from mlat.db import make_engine
from mlat.migrate import alembic_config, downgrade, upgrade
from mlat.services import audit
from mlat.services.search_index import outside_the_index
from tests.audit_trail import write_legacy_chain
from tests.conftest import BACKENDS, POSTGRES, _admin_dsn

TABLES = {"unit", "user", "user_role", "mla_request", "reference_counter"}


@pytest.fixture(params=BACKENDS)
def empty_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a brand-new, empty database of each backend."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
        yield engine
        engine.dispose()
        return
    assert POSTGRES
    name = f"mlat_migrate_{secrets.token_hex(4)}"
    with psycopg.connect(_admin_dsn(POSTGRES), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    engine = make_engine(
        make_url(POSTGRES).set(database=name).render_as_string(hide_password=False)
    )
    try:
        yield engine
    finally:
        engine.dispose()
        with psycopg.connect(_admin_dsn(POSTGRES), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def schema_differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": outside_the_index}
        )
        return list(compare_metadata(context, SQLModel.metadata))


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision(engine: Engine) -> str | None:
    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def test_migrations_build_the_models_schema_on_an_empty_database(empty_engine: Engine) -> None:
    assert inspect(empty_engine).get_table_names() == []
    upgrade(empty_engine)
    assert set(inspect(empty_engine).get_table_names()) >= TABLES
    assert current_revision(empty_engine) == head_revision(empty_engine)
    assert schema_differences(empty_engine) == []


def test_upgrade_twice_is_harmless(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    upgrade(empty_engine)
    assert schema_differences(empty_engine) == []


def test_downgrade_to_base_and_upgrade_again(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    downgrade(empty_engine, "base")
    assert set(inspect(empty_engine).get_table_names()) <= {"alembic_version"}
    assert current_revision(empty_engine) is None

    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision(empty_engine)
    assert schema_differences(empty_engine) == []


def test_each_revision_applies_and_reverts_one_at_a_time(empty_engine: Engine) -> None:
    script = ScriptDirectory.from_config(alembic_config(empty_engine))
    revisions = [rev.revision for rev in script.walk_revisions()][::-1]  # oldest first
    for revision in revisions:
        upgrade(empty_engine, revision)
        assert current_revision(empty_engine) == revision
    for revision in reversed(revisions):
        assert current_revision(empty_engine) == revision
        downgrade(empty_engine, "-1")
    assert current_revision(empty_engine) is None
    upgrade(empty_engine)
    assert schema_differences(empty_engine) == []


def test_the_test_database_is_migrated_to_head(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        upgrade(engine)  # nothing to do, and no error
        assert current_revision(engine) == head_revision(engine)
        assert schema_differences(engine) == []
    finally:
        engine.dispose()


def test_the_audit_chain_verifies_across_the_details_migration(empty_engine: Engine) -> None:
    """Entries written before the details column keep verifying after it is added, and
    the entries written after it follow on in the same chain."""
    upgrade(empty_engine, "0007")
    with empty_engine.begin() as conn:
        legacy_head = write_legacy_chain(conn, 2)

    upgrade(empty_engine)

    with Session(empty_engine) as session:
        assert audit.verify(session=session) == audit.Verification(True, 2)
        newest = audit.record(session=session, action=AuditAction.login, outcome=Outcome.failure,
                              reason="two-factor code", details={"factor": "code"})  # fmt: skip
        session.commit()
        assert newest.prev_hash == legacy_head
        assert audit.verify(session=session) == audit.Verification(True, 3)


def test_a_database_in_use_upgrades_with_its_data(empty_engine: Engine) -> None:
    """Upgrading from the schema of the first release with people in it: migrations that
    copy a table in SQLite would fail on the rows that refer to it."""
    upgrade(empty_engine, "0004")
    with empty_engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO unit (id, name, code, state, timezone, created_at) "
                "VALUES (1, 'Cybercrime Unit, Doha', 'DOH', 'QA', 'Asia/Qatar', :now)"
            ),
            {"now": "2026-01-05 09:00:00"},
        )
        conn.execute(
            text(
                'INSERT INTO "user" (id, email, name, password_hash, unit_id, active, locale, '
                "session_epoch, created_at) VALUES (1, 'officer@example.org', 'Officer', "
                "'hash', 1, true, 'en', 0, :now)"
            ),
            {"now": "2026-01-05 09:00:00"},
        )
        conn.execute(text("INSERT INTO user_role (user_id, role) VALUES (1, 'officer')"))

    upgrade(empty_engine)

    assert (
        current_revision(empty_engine)
        == ScriptDirectory.from_config(alembic_config(empty_engine)).get_current_head()
    )
    with empty_engine.connect() as conn:
        user = conn.execute(
            text('SELECT email, password_must_change FROM "user" WHERE id = 1')
        ).one()
        roles = conn.execute(text("SELECT role FROM user_role WHERE user_id = 1")).all()
    assert (user[0], bool(user[1])) == ("officer@example.org", False)
    assert [r[0] for r in roles] == ["officer"]


def test_requests_signed_before_record_who_signed_them(empty_engine: Engine) -> None:
    """The signer of a request signed before the column existed comes from its history."""
    upgrade(empty_engine, "0009")
    now = {"now": "2026-11-01 09:00:00"}
    with empty_engine.begin() as conn:
        conn.execute(text("INSERT INTO unit (id, name, code, state, timezone, created_at) "
                          "VALUES (1, 'Unit', 'DOH', 'QA', 'Asia/Qatar', :now)"), now)  # fmt: skip
        for user_id in (1, 2):
            conn.execute(
                text('INSERT INTO "user" (id, email, name, password_hash, unit_id, active, '
                     "locale, session_epoch, password_must_change, created_at) VALUES "
                     "(:id, :email, 'Someone', 'hash', 1, true, 'en', 0, false, :now)"),
                {**now, "id": user_id, "email": f"user{user_id}@example.org"},
            )  # fmt: skip
        for request_id, signed in ((1, "2026-11-02 10:00:00"), (2, None)):
            conn.execute(
                text("INSERT INTO mla_request (id, reference, unit_id, owner_id, "
                     "requested_state, title, status, content, version, signed_at, created_at, "
                     "updated_at) VALUES (:id, :ref, 1, 1, 'US', 'T', :status, '{}', 3, "
                     ":signed, :now, :now)"),
                {**now, "id": request_id, "ref": f"DOH-2026-000{request_id}", "signed": signed,
                 "status": "signed" if signed else "approved"},
            )  # fmt: skip
        conn.execute(
            text("INSERT INTO request_event (request_id, at, actor_id, action, from_status, "
                 "to_status, comment, details, content_digest) VALUES (1, :now, 2, 'sign', "
                 "'approved', 'signed', '', '{}', '')"),
            now,
        )  # fmt: skip
    upgrade(empty_engine)
    with empty_engine.connect() as conn:
        rows = conn.execute(text("SELECT id, signed_by_id FROM mla_request")).all()
        events = conn.execute(text("SELECT count(*) FROM request_event")).scalar_one()
    signers: dict[int, int | None] = {row[0]: row[1] for row in rows}
    assert events == 1  # the history is kept
    assert signers == {1: 2, 2: None}
