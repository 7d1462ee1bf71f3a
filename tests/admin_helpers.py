"""Shared by the administrators' tests: what an administrator types to confirm that it is
them before they reset someone's password or authenticator."""

from __future__ import annotations

from mlat.models import User
from tests.conftest import PASSWORD, Client
from tests.totp import Authenticator


def own_credentials(client: Client, admin: User, password: str = PASSWORD) -> dict[str, str]:
    """The administrator's password and a fresh code of the authenticator they set up
    when ``client.login`` logged them in."""
    phone: Authenticator = client.application.extensions["test_authenticator"]
    return {"admin_password": password, "admin_code": phone.code(admin.email)}
