"""Fixtures of the workflow page tests: a browser of one's own for each user, an officer
and a reviewer of one unit, and the officer's draft, before and after submitting it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from sqlmodel import Session

from mlat.models import MlaRequest, Role, User
from tests.conftest import Client, MakeRequest, MakeUser
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
def officer(make_user: MakeUser) -> User:
    return make_user(Role.officer)


@pytest.fixture
def reviewer(make_user: MakeUser) -> User:
    return make_user(Role.reviewer)


@pytest.fixture
def draft(officer: User, make_request: MakeRequest) -> MlaRequest:
    """A draft that passes every check today."""
    return make_request(officer, content=submittable_content(today()))


@pytest.fixture
def in_review(db: Session, draft: MlaRequest, officer: User) -> MlaRequest:
    step(db, draft, officer, "submit")
    return draft
