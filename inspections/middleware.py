"""Keep serving a friendly page, not a crash, while the database is unreachable."""

import logging

from django.db import InterfaceError, OperationalError, connections
from django.template.response import TemplateResponse

logger = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = 30
# Requests that only read: answered again on a fresh connection when the one kept for them has died.
READING_METHODS = ("GET", "HEAD", "OPTIONS")


class DatabaseUnavailableMiddleware:
    """Answer 503 with a plain explanation when the database is down or restarting.

    The broken connection is closed, so the next request opens a fresh one: the site recovers by
    itself when the database is back, without restarting the web process.

    A connection kept from an earlier request (CONN_MAX_AGE) may have died since (the database
    restarted). Rather than ask PostgreSQL before every request whether it is still there (Django's
    CONN_HEALTH_CHECKS: a round trip a request, a tenth of a rare word's search), a request that
    only reads is answered once more, on a fresh connection, when its kept connection fails; a
    request that writes has its kept connection checked first, as Django would.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        kept = [each for each in connections.all(initialized_only=True) if each.connection is not None]
        if request.method in READING_METHODS:
            request.database_connection_kept = bool(kept)
        else:
            for connection in kept:
                if not connection.is_usable():
                    connection.close()
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        _close_broken_connections()
        if getattr(request, "database_connection_kept", False):
            request.database_connection_kept = False  # once
            match = request.resolver_match
            try:
                return match.func(request, *match.args, **match.kwargs)
            except (OperationalError, InterfaceError) as again:
                exception = again
                _close_broken_connections()
        logger.warning("Database unavailable while serving %s: %s", request.path, exception)
        response = TemplateResponse(request, "503.html", status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response.render()


def _close_broken_connections() -> None:
    for connection in connections.all(initialized_only=True):
        connection.close_if_unusable_or_obsolete()
        if not connection.is_usable():
            connection.close()
