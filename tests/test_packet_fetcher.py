"""The packet reaches no resource but the app's own static files."""

from __future__ import annotations

import pytest

from mlat.packets.fetcher import RefusedURL, StaticFileFetcher
from mlat.packets.render import PacketRenderError, html_to_pdf


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "https://example.org/logo.png",
        "http://127.0.0.1/logo.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "mlat-static:/../config.py",
        "mlat-static:/%2e%2e/config.py",
        "mlat-static:/no-such-file.png",
    ],
)
def test_the_url_fetcher_refuses_everything_but_static_files(url: str) -> None:
    with pytest.raises(RefusedURL):
        StaticFileFetcher().fetch(url)


def test_the_url_fetcher_serves_the_apps_static_files() -> None:
    response = StaticFileFetcher().fetch("mlat-static:/app.css")
    assert response.content_type == "text/css"
    assert response.read()


@pytest.mark.parametrize("src", ["file:///etc/hostname", "https://example.org/x.png"])
def test_a_template_asking_for_a_refused_url_fails_loudly(src: str) -> None:
    with pytest.raises(PacketRenderError):
        html_to_pdf(f'<html><body><img src="{src}"></body></html>')
