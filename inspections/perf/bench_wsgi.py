"""The site as `bench` serves it over HTTP (over_http.py): `inspections.wsgi`, with its caches (counts, pages) emptied
before each request unless the request carries `X-Bench-Cache: keep`. So a request does all its work,
as the bench's warm runs do, and the cached figures are asked for, and shown, apart."""

from inspections.perf.benchmark import clear_caches
from inspections.wsgi import application as site


def application(environ, start_response):
    if environ.get("HTTP_X_BENCH_CACHE") != "keep":
        clear_caches()
    return site(environ, start_response)
