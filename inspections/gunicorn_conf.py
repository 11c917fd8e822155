"""gunicorn's settings for serving the archive: `gunicorn -c python:inspections.gunicorn_conf inspections.wsgi`.

Threaded workers (gthread) keep a client's connection open between its requests and let a process
answer one request while another waits on PostgreSQL; three processes of four threads each held
the load test's 50 clients with the fewest slow answers on 2 cores (docs/performance.md). Each
thread keeps its own database connection (CONN_MAX_AGE). Anything here can be overridden on the
command line or with GUNICORN_CMD_ARGS.
"""

import gc
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = 4
keepalive = 5
timeout = 60


def post_worker_init(worker):
    """Once a worker has loaded the site, the objects made while starting it (Django's settings,
    models and URL patterns, the site's modules: some 120,000) are set aside from the garbage
    collector, which never frees them anyway: its full collections, one every couple of thousand
    requests, then pause a request for about 1 ms rather than 60-80 ms (docs/performance.md)."""
    gc.freeze()
