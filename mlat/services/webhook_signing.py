"""Signing webhook deliveries as the Standard Webhooks specification describes
(https://www.standardwebhooks.com/): HMAC-SHA256 over ``{id}.{timestamp}.{body}``,
in base64, sent as ``webhook-signature: v1,<signature>`` beside ``webhook-id`` and
``webhook-timestamp``; a secret is shown as ``whsec_<base64>``, and only its base64 part
is the key. During a rotation each secret still valid signs: the signatures are
separated by spaces, and the receiver accepts the message when one of them verifies.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Iterable

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
SIGNATURE_VERSION = "v1"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def new_message_id() -> str:
    """The ``webhook-id`` of an event: the same for every endpoint and every retry."""
    return "msg_" + secrets.token_urlsafe(18)


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode()}"


def signed_headers(
    *, message_id: str, timestamp: int, body: bytes, secrets_: Iterable[str]
) -> dict[str, str]:
    """The three headers of a delivery, signed with each secret given."""
    signatures = " ".join(signature(s, message_id, timestamp, body) for s in secrets_)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signatures,
    }


def secret_context(endpoint_id: int) -> str:
    """What the sealed secret is bound to (``mlat.crypto``): this endpoint's current one."""
    return f"webhook_endpoint {endpoint_id} secret"


def previous_context(endpoint_id: int) -> str:
    return f"webhook_endpoint {endpoint_id} previous secret"
