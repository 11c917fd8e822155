"""The site as `bench` serves it over HTTP (over_http.py): `inspections.wsgi`, with its caches (counts, pages) emptied
after each response is sent, unless the request carries `X-Bench-Cache: keep`. So the next request does all its
work, as the bench's warm runs do, and the cached figures are asked for, and shown, apart. The emptying is the
bench's, not the site's: it runs once the response has been sent (after the site's own work on closing it, such as
keeping the page), so it is not timed as part of the request, as Datasette's requests carry nothing like it."""

from inspections.perf.benchmark import clear_caches
from inspections.wsgi import application as site


class _EmptiedOnClose:
    """The site's response, whose caches are emptied once the server has sent it and closed it."""

    def __init__(self, response):
        self.response = response

    def __iter__(self):
        return iter(self.response)

    def close(self):
        try:
            if hasattr(self.response, "close"):
                self.response.close()
        finally:
            clear_caches()


def application(environ, start_response):
    if environ.get("HTTP_X_BENCH_CACHE") == "keep":
        return site(environ, start_response)
    return _EmptiedOnClose(site(environ, start_response))
