"""The HTTP API, version 1, under ``/api/v1/`` (``docs/api.md``): the frame in ``core``,
the operations in ``requests``, ``files`` and ``directory``, and their OpenAPI document
in ``spec``."""

from mlat.views.api import directory, files, requests, spec
from mlat.views.api.core import bp, http_problem, is_api_call, server_problem

__all__ = [
    "bp",
    "directory",
    "files",
    "http_problem",
    "is_api_call",
    "requests",
    "server_problem",
    "spec",
]
