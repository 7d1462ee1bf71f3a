"""The framework's own ceiling: a minimal Flask app, served by gunicorn exactly as mlat is
(``gunicorn --config gunicorn.conf.py bench.minimal_app:app``), answering a small page."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "<!doctype html><title>ok</title><p>Hello.</p>"


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}
