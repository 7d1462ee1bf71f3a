"""Fixtures of the workflow page tests: a browser of one's own for each user, an officer
and a reviewer of one unit, and the officer's draft, before and after submitting it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from mlat.models import MlaRequest, Role, User
from tests.conftest import Client
from tests.workflow_helpers import step, submittable_content, today


@pytest.fixture
def browser(app: Flask) -> Callable[[User], Client]:
    """A browser of its own, logged in as the user."""

    def open_(user: User) -> Client:
        app.test_client_class = Client
        client: Client = app.test_client()  # type: ignore[assignment]
        assert client.login(user.email).status_code == 302
        return client

    return open_


@pytest.fixture
def officer(make_user: Callable[..., User]) -> User:
    return make_user(Role.officer)


@pytest.fixture
def reviewer(make_user: Callable[..., User]) -> User:
    return make_user(Role.reviewer)


@pytest.fixture
def draft(officer: User, make_request: Callable[..., MlaRequest]) -> MlaRequest:
    """A draft that passes every check today."""
    return make_request(officer, content=submittable_content(today()))


@pytest.fixture
def in_review(db: Any, draft: MlaRequest, officer: User) -> MlaRequest:
    step(db, draft, officer, "submit")
    return draft
