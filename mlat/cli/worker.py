"""``flask --app app worker``: run packet jobs and webhook deliveries from Redis (RQ)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from mlat.config import Config


@click.command("worker")
@click.option("--burst", is_flag=True, help="stop when the queue is empty")
@with_appcontext
def worker_command(burst: bool) -> None:
    """Run packet render jobs and webhook deliveries from the Redis queue (needs
    MLAT_REDIS_URL)."""
    from rq import SimpleWorker

    from mlat.jobs.deliveries import reap_deliveries
    from mlat.jobs.queues import RedisQueue, configure_worker, limits_of, rq_queue
    from mlat.jobs.reaper import Liveness, Reaper, reap_lost
    from mlat.services.signing import signing_keys
    from mlat.services.webhook_deliveries import Outbound

    config: Config = current_app.config["MLAT"]
    if not config.redis_url:
        raise click.ClickException(
            "Set MLAT_REDIS_URL: without Redis, packet jobs run in the app's own process."
        )
    engine = current_app.extensions["mlat_engine"]
    configure_worker(engine, limits_of(config), signing_keys(config), Outbound.of(config))
    queue = RedisQueue(config.redis_url, config.jobs.queue_name, limits_of(config))
    liveness = Liveness.of(config)
    # Redis may have lost the queue with the jobs in it: queue again every job waiting.
    found = reap_lost(engine, queue, liveness, every_waiting=True)
    if found.queued:
        click.echo(f"Queued {len(found.queued)} packet jobs that were waiting.")
    if found.failed:
        click.echo(f"Failed {len(found.failed)} packet jobs whose worker stopped too often.")
    due = reap_deliveries(engine, queue, every_queued=True)
    if due.queued:
        click.echo(f"Queued {len(due.queued)} webhook deliveries that were waiting.")
    connection, rq = rq_queue(config)
    # While this worker renders, a thread of its own looks for jobs that other workers
    # lost (they died mid-render), so that one is queued again within a minute.
    reaper = Reaper(engine, queue, liveness).start()
    try:
        # Each render already runs in its own limited child process (mlat.jobs.sandbox),
        # so the worker need not fork per job; RQ's job timeout still applies.
        SimpleWorker([rq], connection=connection).work(burst=burst)
    finally:
        reaper.stop()
