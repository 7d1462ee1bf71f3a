"""mlat: draft, validate, review, sign and track requests for mutual legal assistance."""

from __future__ import annotations

from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from mlat.config import PROJECT_ROOT, Config, config_from_env
from mlat.models import MAX_ID


class DatabaseId(IntegerConverter):
    """``<int:...>`` in URLs: an id larger than the database holds matches no route (404)
    instead of reaching the database, which refuses it with an error."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def create_app(config: Config | None = None) -> Flask:
    from mlat import auth, cli, crypto, db, i18n, security, views
    from mlat.evidence_store import store_of
    from mlat.jobs import queues
    from mlat.services import audit_checkpoints
    from mlat.services.stats import StatisticsCache

    config = config or config_from_env()
    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        instance_path=str(config.instance_path),
    )
    app.config.from_mapping(config.flask_settings())
    app.config["MLAT"] = config
    db.init_app(app)  # the engine, and a session per request closed at teardown
    # the audit keys, and checkpoints of the chain written after appends
    audit_checkpoints.attach(app.extensions["mlat_engine"], config)
    # the keys that seal stored files and TOTP secrets in that database
    crypto.use_keyring(app.extensions["mlat_engine"], crypto.keyring_of(config))
    queues.init_app(app)  # where packet jobs go once their transaction commits
    app.extensions["mlat_statistics"] = StatisticsCache()  # each unit's, for two minutes
    # where evidence files are kept: a folder, or an S3-compatible bucket
    app.extensions["mlat_evidence"] = store_of(config.evidence, config.instance_path)
    if config.proxy_fix:  # behind that many reverse proxies (docs/deploy.md)
        hops = config.proxy_fix
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops
        )
    app.url_map.converters["int"] = DatabaseId
    security.init_app(app)  # the input guard, then the CSRF check; the security headers
    auth.init_app(app)  # Flask-Login and the login gate, after the CSRF check
    i18n.init_app(app)
    views.register(app)
    cli.register(app)
    return app
