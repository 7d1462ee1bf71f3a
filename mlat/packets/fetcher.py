"""The only way a packet reaches a resource: the app's own static files, nothing else.

Packet templates name static files as ``mlat-static:/<path>``. Every other URL (``file:``,
``http:``, ``https:``, ``data:``, ...) and any path that leaves the static folder is
refused, and a refusal stops the rendering instead of leaving a hole in the document.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from weasyprint.urls import URLFetcher, URLFetcherResponse  # type: ignore[import-untyped]

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
SCHEME = "mlat-static:"
BASE_URL = f"{SCHEME}/"


class RefusedURL(ValueError):
    """A URL the packet may not load."""


class StaticFileFetcher(URLFetcher):  # type: ignore[misc]
    """A WeasyPrint URL fetcher that serves the app's static folder and refuses the rest."""

    def __init__(self, root: Path = STATIC_DIR) -> None:
        super().__init__(fail_on_errors=True, allowed_protocols=())
        self.root = root.resolve()

    def resolve(self, url: str) -> Path:
        if not url.startswith(SCHEME):
            raise RefusedURL(f"refused: {url[:100]}")
        relative = unquote(url[len(SCHEME) :].split("?")[0].split("#")[0]).lstrip("/")
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise RefusedURL(f"not a static file: {url[:100]}")
        return path

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        path = self.resolve(url)
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body=path.read_bytes(), headers={"Content-Type": media_type})
