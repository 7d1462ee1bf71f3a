"""Packet renders off the request path.

A render is asked for by a service (``mlat.services.packets.request_render``), which
records it as a ``PacketJob`` row in the caller's transaction and has it queued once that
transaction commits (``mlat.dispatch``, kept below the services that call it, while this
package runs them). A queue (``queues``) hands the job's id to a worker: RQ on Redis when
``MLAT_REDIS_URL`` is set (``flask --app app worker``), else threads in the app process.
The worker (``runner``) claims the row, renders in a child process limited in time and
memory (``sandbox``), and keeps the result only while its claim holds, so that a job
queued twice, or by two instances, is rendered once. While it renders it marks the row
alive; the ``reaper`` of every app process and RQ worker queues again a job whose worker
died, or fails it once that happened too often.

Webhook deliveries (``deliveries``) go through the same queues and workers: recorded by
``mlat.services.webhook_events``, queued after the commit, retried with backoff and found
again by the same reaper threads when due or lost (docs/webhooks.md).
"""
