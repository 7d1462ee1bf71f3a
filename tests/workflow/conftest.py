"""Fixtures of the workflow tests: an officer and a draft of theirs that passes every check."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from mlat.models import MlaRequest, Role, Unit, User
from mlat.services.validation import validate_request
from tests.conftest import MakeRequest, MakeUser
from tests.workflow.steps import TODAY
from tests.workflow_helpers import submittable_content


@pytest.fixture
def officer(make_user: MakeUser) -> User:
    return make_user(Role.officer)


@pytest.fixture
def ready(db: Session, officer: User, make_request: MakeRequest, unit: Unit) -> MlaRequest:
    """A draft that passes every check, drafted by ``officer``."""
    request = make_request(officer, content=submittable_content(TODAY), today=TODAY)
    assert validate_request(request=request, unit=unit, today=TODAY) == []
    return request
