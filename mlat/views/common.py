"""What several blueprints share."""

from __future__ import annotations

from flask import abort

from mlat.auth import the_user
from mlat.db import get_session
from mlat.models import MlaRequest
from mlat.services import NotFound
from mlat.services.requests import get_visible_request


def visible_request(request_id: int) -> MlaRequest:
    """The request, or 404 when it does not exist or belongs to another unit."""
    try:
        return get_visible_request(session=get_session(), user=the_user(), request_id=request_id)
    except NotFound:
        abort(404)
