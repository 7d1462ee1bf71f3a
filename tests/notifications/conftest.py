"""Fixtures of the notification tests: an app that knows its address (and an SMTP server
when a test class gives one), an officer, and a draft of theirs that passes every check."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from mlat import create_app
from mlat.config import Config, SmtpSettings
from mlat.models import MlaRequest, Role, User
from tests.conftest import DATA_KEYS, SIGNING_SECRET, MakeRequest, MakeUser
from tests.notifications.inbox import BASE_URL
from tests.notifications.mailbox import Mailbox, free_port
from tests.workflow_helpers import submittable_content, today


@pytest.fixture
def smtp() -> SmtpSettings | None:
    """No SMTP server, unless a test class says otherwise."""
    return None


@pytest.fixture
def app(database_url: str, tmp_path: Path, smtp: SmtpSettings | None) -> Iterator[Flask]:
    config = Config(
        signing_secret=SIGNING_SECRET,
        data_keys=DATA_KEYS,
        database_url=database_url,
        secret_key="test-" + secrets.token_hex(8),
        instance_path=tmp_path / "instance",
        testing=True,
        smtp=smtp,
        base_url=BASE_URL,
    )
    app = create_app(config)
    yield app
    app.extensions["mlat_engine"].dispose()


@pytest.fixture
def officer(make_user: MakeUser) -> User:
    return make_user(Role.officer)


@pytest.fixture
def draft(officer: User, make_request: MakeRequest) -> MlaRequest:
    return make_request(officer, content=submittable_content(today()))


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    box.port = controller.port
    yield box
    controller.stop()
