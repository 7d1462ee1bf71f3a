"""Entry point for ``flask --app app`` and WSGI servers."""

from mlat import create_app

app = create_app()
