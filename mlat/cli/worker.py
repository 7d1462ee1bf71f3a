"""``flask --app app worker``: run packet jobs from Redis (RQ)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from mlat.config import Config


@click.command("worker")
@click.option("--burst", is_flag=True, help="stop when the queue is empty")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run packet render jobs from the Redis queue (needs MLAT_REDIS_URL)."""
    from rq import SimpleWorker

    from mlat.jobs.queues import RedisQueue, configure_worker, limits_of, rq_queue, stuck_after
    from mlat.jobs.runner import requeue_lost
    from mlat.services.signing import signing_keys

    config: Config = current_app.config["MLAT"]
    if not config.redis_url:
        raise click.ClickException(
            "Set MLAT_REDIS_URL: without Redis, packet jobs run in the app's own process."
        )
    engine = current_app.extensions["mlat_engine"]
    configure_worker(engine, limits_of(config), signing_keys(config))
    queue = RedisQueue(config.redis_url, config.jobs.queue_name, limits_of(config))
    found = requeue_lost(engine, queue, older_than=stuck_after(config))
    if found:
        click.echo(f"Queued {found} packet jobs that were waiting.")
    connection, rq = rq_queue(config)
    # Each render already runs in its own limited child process (mlat.jobs.sandbox), so
    # the worker need not fork per job; RQ's job timeout still applies.
    SimpleWorker([rq], connection=connection).work(burst=burst)
