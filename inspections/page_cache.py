"""Whole public pages and API answers, cached under the archive's version.

Every write to the archive gives it a new version (migration 0003's statement triggers, whatever
makes the write), and a page is kept under the version it was made from, so a cached page is
never older than the archive: invalidation is exact, with no timeout to tune. What a page shows
depends only on the archive and its address (path, query string and host, since the API writes
absolute links), never on who asks:

- a request carrying a session or a flash message is answered afresh and not kept (staff signed in);
- a response is kept only if it is a plain 200 that set no cookie, left the session untouched and
  asked for no CSRF token (no public page has a form that needs one: see views_alerts);
- a page is written to the cache once the server has sent it, so its visitor does not wait for the
  write; a streamed one (a CSV export) is kept as it is sent, once sent to its end, if it came to at
  most LARGEST_KEPT bytes; a larger one streams as before, holding nothing.

Kept in the `pages` cache (settings.CACHES: files every serving process shares, keyed by the
code's fingerprint too). The bench's comparisons empty it before each request; `loadtest` serves
with it, as production does.
"""

import datetime
import functools
import hashlib
import logging
import pickle
import zlib
from collections.abc import Iterator

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.filebased import FileBasedCache
from django.http import HttpResponse

from .search import archive_version, reading_at

logger = logging.getLogger(__name__)

# A streamed answer (a CSV export) larger than this is not kept: holding it, and the copies that
# writing it makes (about four times its size for a moment), would take memory an export otherwise
# streams without. One authority's findings at a million come to 6-9 MB, and are kept.
LARGEST_KEPT = 12 * 2**20
# Writes between two looks at the size of the pages' folder (PageFileCache._cull).
CULL_EVERY = 20
# Headers a view sets that a cached answer must carry again (middleware adds the rest on the way out).
KEPT_HEADERS = ("Content-Type", "Content-Disposition", "Link", "Cache-Control", "Content-Language")


def _personal(request) -> bool:
    """Whether the request carries anything that could make its page differ from anyone else's."""
    return any(name in request.COOKIES for name in (settings.SESSION_COOKIE_NAME, "messages"))


def _keepable(request, response) -> bool:
    session = getattr(request, "session", None)
    return (
        response.status_code == 200
        and not response.cookies
        and not (session is not None and (session.accessed or session.modified))
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
    )


def _kept_as_sent(chunks: Iterator[bytes], keep) -> Iterator[bytes]:
    """The chunks, sent on as they come; all of them kept once the last is sent, unless they came to
    more than LARGEST_KEPT bytes (then none are held: a large export streams in flat memory)."""
    held, size = [], 0
    for chunk in chunks:
        if held is not None:
            size += len(chunk)
            if size > LARGEST_KEPT:
                held = None
            else:
                held.append(chunk)
        yield chunk
    if held is not None:
        keep(b"".join(held))


class PageFileCache(FileBasedCache):
    """Django's cache in files, writing its pickles stored rather than compressed (zlib level 0, which
    the same reading undoes): compressing a 15 MB export took longer than making it (a CSV of 18,769
    findings: 48,000 -> 24,000 rows/s), and the pages are few enough that their size on disk does
    not matter."""

    _writes = 0  # writes through this cache object (Django makes one a thread), for _cull

    def _write_content(self, file, timeout, value):
        file.write(pickle.dumps(self.get_backend_timeout(timeout), self.pickle_protocol))
        file.write(zlib.compress(pickle.dumps(value, self.pickle_protocol), 0))

    def _cull(self):
        """Django lists the whole folder at every write to see whether it holds MAX_ENTRIES; here a
        process looks once every CULL_EVERY writes (a folder of 500 pages: listing it took longer
        than writing the page). The folder may pass MAX_ENTRIES by that many writes a process for
        a while."""
        self._writes += 1
        if self._writes % CULL_EVERY == 1:
            super()._cull()


def _read(key: str):
    """The answer kept under key, or None; a cache that cannot be read is a miss, never an error
    (a folder not writable, a file cut short): the page is worked out as if nothing were cached."""
    try:
        return caches["pages"].get(key)
    except Exception as error:  # any failure of the cache: the page does not depend on it
        _warn_once("read", error)
        return None


def _keep(key: str, value) -> None:
    try:
        caches["pages"].set(key, value)
    except Exception as error:
        _warn_once("written", error)


_warned: set[tuple[str, type]] = set()


def _warn_once(doing: str, error: Exception) -> None:
    """Each kind of failure logged once a process, not at every request."""
    if (doing, type(error)) not in _warned:
        _warned.add((doing, type(error)))
        logger.warning(
            "The page cache could not be %s (%s): answers are made and sent without it. "
            "Is PAGE_CACHE_DIR a folder this process may write to?",
            doing,
            error,
        )


def cached_page(view):
    """The view's answer to a GET or HEAD, kept under the archive's version and the full address."""

    @functools.wraps(view)
    def cached_view(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD") or _personal(request):
            return view(request, *args, **kwargs)
        # today's date too: the search page's quick date choices ("the last 12 months") count from it
        address = f"{datetime.date.today()} {request.build_absolute_uri()}".encode()
        version = archive_version()
        key = f"page:{version}:{hashlib.blake2b(address, digest_size=16).hexdigest()}"
        kept = _read(key)
        if kept is not None:
            headers, content = kept
            return HttpResponse(content, headers=headers)
        with reading_at(version):  # the searches it makes key their counts by the same version
            response = view(request, *args, **kwargs)
        if _keepable(request, response):
            headers = {name: response[name] for name in KEPT_HEADERS if name in response}
            if not response.streaming:
                # kept when the server closes the response, once it has sent it: the visitor does
                # not wait for the write (Django's own closers, for files, are kept in this list)
                content = response.content
                response._resource_closers.append(lambda: _keep(key, (headers, content)))
            else:  # kept as it is sent, if it is not too big and is sent to its end
                response.streaming_content = _kept_as_sent(
                    response.streaming_content, lambda content: _keep(key, (headers, content))
                )
        return response

    return cached_view
