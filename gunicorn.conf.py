"""gunicorn settings for mlat: ``make serve``, or ``gunicorn --config gunicorn.conf.py``.

Each setting can be changed from the environment (docs/deploy.md):

    MLAT_BIND            address to listen on (127.0.0.1:8000)
    MLAT_WORKERS         worker processes (2 x CPU cores + 1)
    MLAT_THREADS         threads per worker; more than 1 uses gthread workers (1)
    MLAT_WORKER_TIMEOUT  seconds before a silent worker is restarted (30)
    MLAT_ACCESS_LOG      where the access log goes: a file, "-" for stderr, "" for none (-)
    MLAT_MAX_REQUESTS    requests after which a worker is replaced; 0: never (20000)
    MLAT_FORWARDED_ALLOW_IPS  proxies whose X-Forwarded-* gunicorn trusts (127.0.0.1)

The app keeps no state in its processes (docs/deploy.md), so any number of workers and
instances can serve it side by side. Packet renders never run in a web request: they are
jobs (mlat.jobs), so the worker timeout only has to cover page requests.
"""

import multiprocessing
import os

wsgi_app = "app:app"
bind = [os.environ.get("MLAT_BIND", "127.0.0.1:8000")]
workers = int(os.environ.get("MLAT_WORKERS", str(2 * multiprocessing.cpu_count() + 1)))
threads = int(os.environ.get("MLAT_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("MLAT_WORKER_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Restart each worker now and then, so that a slow leak cannot grow without bound; not
# often: a worker takes a second or two to load the app, and requests wait meanwhile.
max_requests = int(os.environ.get("MLAT_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
# No preload_app: each worker makes its own database engine and job threads after the fork.
accesslog = os.environ.get("MLAT_ACCESS_LOG", "-") or None
errorlog = "-"
forwarded_allow_ips = os.environ.get("MLAT_FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "mlat"
# gunicorn's control socket is one path per user: several instances on one machine would
# share it. Nothing here uses it.
control_socket_disable = True
