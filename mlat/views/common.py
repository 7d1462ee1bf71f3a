"""What several blueprints share."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, url_for

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


def safe_next(target: str | None, fallback: str | None = None) -> str:
    """Only same-site paths, so that a ``next`` parameter cannot send the user elsewhere.
    Browsers read a backslash as a slash and drop tabs and line breaks, so "/\\evil" and
    "/\\t/evil" lead off the site; control characters cannot go in a header at all."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and target.isprintable()
    ):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return fallback or url_for("requests.index")
