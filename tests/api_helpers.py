"""Shared by the API's tests: tokens for test users, an authenticator for those whose
roles need one, and a client that calls the API with a token."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session
from werkzeug.test import TestResponse

from mlat.crypto import keyring_for
from mlat.models import User, utcnow
from mlat.services import api_tokens
from mlat.services.twofactor import secret_context
from tests.totp import Authenticator


def give_authenticator(app: Flask, db: Session, user: User) -> Authenticator:
    """Two-factor authentication set up for the user, with the app's test phone."""
    phone: Authenticator = app.extensions.setdefault("test_authenticator", Authenticator())
    secret = pyotp.random_base32()
    user.totp_sealed = keyring_for(db).seal_text(secret, context=secret_context(user))
    db.add(user)
    db.commit()
    phone.secrets[user.email] = secret
    return phone


def make_token(
    db: Session,
    user: User,
    scopes: Iterable[str] = ("read", "write", "workflow"),
    *,
    name: str = "case system",
    allowed_addrs: str = "",
    days: int = 30,
) -> str:
    issued = api_tokens.create_token(
        session=db,
        user=user,
        name=name,
        scopes=scopes,
        expires_on=dt.date.today() + dt.timedelta(days=days),
        allowed_addrs=allowed_addrs,
        now=utcnow(),
    )
    db.commit()
    return issued.secret


class Api:
    """Calls to the API with one token, as a case-management system makes them."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client, self.token = client, token

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", **(extra or {})}

    def get(self, path: str, **kwargs: Any) -> TestResponse:
        headers = self.headers(kwargs.pop("headers", None))
        return self.client.get("/api/v1" + path, headers=headers, **kwargs)

    def post(self, path: str, **kwargs: Any) -> TestResponse:
        headers = self.headers(kwargs.pop("headers", None))
        return self.client.post("/api/v1" + path, headers=headers, **kwargs)

    def put(self, path: str, **kwargs: Any) -> TestResponse:
        headers = self.headers(kwargs.pop("headers", None))
        return self.client.put("/api/v1" + path, headers=headers, **kwargs)

    def act(self, request_id: int, action: str, etag: str, **body: Any) -> TestResponse:
        return self.post(f"/requests/{request_id}/actions/{action}", json=body,
                         headers={"If-Match": etag})  # fmt: skip


def problem(response: TestResponse, status: int, kind: str) -> dict[str, Any]:
    """The problem answered, checked to be of the status and type expected."""
    assert response.status_code == status, response.text
    assert response.mimetype == "application/problem+json", response.text
    body: dict[str, Any] = response.get_json(force=True)
    assert body["type"] == f"/api/v1/docs#problem-{kind}", body
    assert body["status"] == status and body["detail"], body
    return body
