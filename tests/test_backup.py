"""`flask --app app backup FILE`: a consistent online copy of the SQLite database that
can be restored, with its audit trail intact."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import text
from sqlmodel import Session, select

from mlat.db import make_engine
from mlat.models import MlaRequest, Role
from mlat.services.audit import verify
from mlat.services.audit_keys import keyring_for
from tests.conftest import Client, LoginAs, MakeRequest
from tests.flask_cli import flask


def test_backup_restores_with_requests_and_an_intact_audit_chain(
    app: Flask,
    runner: Any,
    client: Client,
    login_as: LoginAs,
    make_request: MakeRequest,
    tmp_path: Path,
) -> None:
    if app.extensions["mlat_engine"].dialect.name != "sqlite":
        result = flask(runner, "backup", str(tmp_path / "copy.sqlite3"))
        assert result.exit_code == 1
        assert "pg_dump" in result.output
        return
    officer = login_as(Role.officer)
    created = make_request(officer, title="Kept in the backup")
    client.get(f"/requests/{created.id}")  # audited view

    target = tmp_path / "backup.sqlite3"
    result = flask(runner, "backup", str(target))
    assert result.exit_code == 0, result.output
    assert "Backed up" in result.output

    restored = tmp_path / "restored.sqlite3"
    shutil.copy(target, restored)
    engine = make_engine(f"sqlite:///{restored}")
    try:
        with Session(engine) as session:
            titles = session.exec(select(MlaRequest.title)).all()
            assert titles == ["Kept in the backup"]
            keys = keyring_for(app.extensions["mlat_engine"])  # the app's, not in the copy
            check = verify(session=session, keys=keys)
            assert check.intact and check.checked >= 3  # login, create, view
            session.execute(text("UPDATE audit_entry SET reason = 'edited' WHERE seq = 2"))
            session.commit()
            assert verify(session=session, keys=keys).broken_at == 2
    finally:
        engine.dispose()


def test_backup_refuses_to_overwrite(app: Flask, runner: Any, tmp_path: Path) -> None:
    target = tmp_path / "exists.sqlite3"
    target.write_text("precious")
    result = flask(runner, "backup", str(target))
    assert result.exit_code == 1
    assert target.read_text() == "precious"
