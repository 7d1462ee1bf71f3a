"""Business operations: plain functions that take the session keyword-only and flush.

They never import Flask, so the CLI, the views and the tests call them alike; the
caller commits once. Messages are marked with ``N_`` (``mlat.messages``) for translation
and translated by the caller (``ServiceError.translated``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mlat.services.format_errors import ContentProblem


class ServiceError(Exception):
    """An operation refused for a reason the user can act on."""

    def __init__(self, message: str | tuple[str, str], **params: Any) -> None:
        """``message`` is marked with ``N_``, or with ``Np_`` when its wording depends on
        the number ``params["n"]``."""
        singular, plural = message if isinstance(message, tuple) else (message, "")
        english = plural if plural and params.get("n") != 1 else singular
        super().__init__(english % params if params else english)
        self.message = singular
        self.plural = plural
        self.params = params

    def translated(
        self, gettext: Callable[..., str], ngettext: Callable[..., str] | None = None
    ) -> str:
        """The message in the page's language: through ``ngettext`` and the language's
        plural rules when its wording depends on a number."""
        if self.plural and ngettext is not None:
            return ngettext(self.message, self.plural, self.params["n"], **self.params)
        return gettext(self.message, **self.params)


class NotFound(ServiceError):
    """The object does not exist, or the user may not see it."""


class Conflict(ServiceError):
    """The object changed since the user loaded it."""


class Forbidden(ServiceError):
    """The user's roles do not allow the operation."""


class InvalidContent(ServiceError):
    """The request content does not fit the request format."""

    def __init__(self, message: str, errors: list[ContentProblem] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []
