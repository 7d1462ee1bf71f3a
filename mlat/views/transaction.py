"""One transaction per request, handled here and nowhere else in the views.

A view runs its service calls inside ``attempt()``: the block commits when it ends, or
rolls everything back when a service refuses (``ServiceError``), so nothing of a refused
step is written. The view then reads the outcome to redirect, or to show the page again
with the user's input and the right status. ``commit()`` serves views that only record
something (an audit entry, a login) without a step that can be refused.

After a commit that wrote notifications, they are e-mailed (when an SMTP server is
configured), so every action that tells someone also sends the message.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from flask import current_app, flash
from flask_babel import gettext as _
from flask_babel import ngettext

from mlat.config import Config
from mlat.db import get_session
from mlat.i18n import gettext_in
from mlat.services import ServiceError
from mlat.services.notifications import WRITTEN, send_notification_emails


@dataclass
class Outcome:
    """How an attempt ended: ``error`` is the refusal, None when it was committed."""

    error: ServiceError | None = None

    def __bool__(self) -> bool:
        return self.error is None


def commit() -> None:
    """Commit the request's session, then e-mail the notifications it wrote."""
    db = get_session()
    db.commit()
    if db.info.get(WRITTEN):
        config: Config = current_app.config["MLAT"]
        send_notification_emails(session=db, smtp=config.smtp, base_url=config.base_url,
                                 gettext_in=gettext_in, logger=current_app.logger)  # fmt: skip


@contextmanager
def attempt(*, refresh: object | None = None, flash_error: bool = True) -> Iterator[Outcome]:
    """Commit what the block writes, or roll it all back when a service refuses.

    On a refusal, ``refresh`` (the object the page shows) is read again as it now is,
    and the reason is flashed unless ``flash_error`` is false (the page shows it by a
    field instead). Any other exception is not caught.
    """
    outcome = Outcome()
    try:
        yield outcome
    except ServiceError as exc:
        db = get_session()
        db.rollback()
        db.info.pop(WRITTEN, None)
        if refresh is not None:
            db.refresh(refresh)
        if flash_error:
            flash(exc.translated(_, ngettext), "error")
        outcome.error = exc
        return
    commit()
