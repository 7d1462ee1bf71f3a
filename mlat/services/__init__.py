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

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params

    def translated(self, gettext: Callable[..., str]) -> str:
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
