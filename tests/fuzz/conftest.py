"""Fixtures of the fuzz tests: a logged-in officer and their draft, a user who has not
logged in, and a logged-in administrator (of their unit and of the installation, so that
every administrator's form is theirs to fill in)."""

from __future__ import annotations

import pytest

from mlat.models import MlaRequest, Role, User
from tests.conftest import Client, LoginAs, MakeRequest, MakeUser
from tests.wizard_helpers import example_content

# ------------------------------------------------------------------ fixtures


@pytest.fixture
def officer(client: Client, login_as: LoginAs) -> User:
    return login_as(Role.officer)


@pytest.fixture
def draft(make_request: MakeRequest, officer: User) -> MlaRequest:
    return make_request(officer, content=example_content())


@pytest.fixture
def someone(make_user: MakeUser) -> User:
    """A user who has not logged in."""
    return make_user(Role.officer)


@pytest.fixture
def admin(client: Client, make_user: MakeUser) -> User:
    user = make_user(Role.admin, Role.installation_admin, Role.officer)
    assert client.login(user.email).status_code == 302
    return user
