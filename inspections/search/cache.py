"""What is cached under the archive's version: a new value with every write to the archive
(migration 0003's statement triggers), so nothing cached is served after a change, even one made
outside Django. `CACHES` is per process by default; point it at a shared cache to share.

The search package sits below the models (models.py hands searches to it), so it reads tables by
name rather than through model classes, as its one-pass SQL does.
"""

from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from django.db.models import Count, QuerySet

from .sample import IN_SAMPLE

# The version a read-only request read first (page_cache.py), for everything it then reads.
_read_for_request: ContextVar[str | None] = ContextVar("archive_version", default=None)


def archive_version() -> str:
    """The archive's version now (or as a read-only request first read it: see reading_at):
    cached counts and figures are keyed by it."""
    if (version := _read_for_request.get()) is not None:
        return version
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM inspections_archive_state")
        return str(cursor.fetchone()[0])


@contextmanager
def reading_at(version: str):
    """Within it, archive_version() is this version, read once by a request that writes nothing:
    whatever it reads after is as new or newer, so what it caches is never older than its key."""
    token = _read_for_request.set(version)
    try:
        yield
    finally:
        _read_for_request.reset(token)


def by_version(name: str, compute: Callable[[], object], version: str | None = None):
    """compute(), cached under the archive's version (read here unless the caller already has it)."""
    key = f"{name}:{version or archive_version()}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value)
    return value


@dataclass(frozen=True)
class Labels:
    """What every search reads that changes only with the archive."""

    authorities: dict[int, tuple[str, str, str]]  # id -> (slug, name shown: see _read_labels, region)
    themes: dict[int, tuple[str, str]]  # id -> (slug, name)
    sample_size: int  # findings in the sample: the most any search's read set can hold there
    findings: int  # findings in the archive: the exact count of a search with no text and no filter


# Each process holds the labels of the archive version it last read (a few kilobytes), so a search
# does not fetch them again, even from the shared cache, until the archive changes.
_held_labels: dict[str, Labels] = {}


def labels_of(version: str, findings: QuerySet) -> Labels:
    """The authorities' and themes' slugs and names, and how many findings there are and how many of
    them are in the sample, for this archive version."""
    held = _held_labels.get(version)
    if held is None:
        held = by_version("finding-labels", lambda: _read_labels(findings), version)
        _held_labels.clear()
        _held_labels[version] = held
    return held


def _read_labels(findings: QuerySet) -> Labels:
    """An authority is shown by its short name, or by its full name where another authority has the
    same short name (North Yorkshire County Council, until 2023, and North Yorkshire Council): two
    filters both called "North Yorkshire" could not be told apart."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, slug, short_name, name, region FROM inspections_authority")
        rows = cursor.fetchall()
        shared = {short for short, times in Counter(row[2] for row in rows).items() if times > 1}
        authorities = {
            pk: (slug, name if short in shared else short, region) for pk, slug, short, name, region in rows
        }
        cursor.execute("SELECT id, slug, name FROM inspections_theme")
        themes = {pk: (slug, name) for pk, slug, name in cursor.fetchall()}
    counts = findings.aggregate(sample=Count("pk", filter=IN_SAMPLE), all=Count("pk"))
    return Labels(authorities, themes, counts["sample"], counts["all"])


class SearchCache:
    """A search's tallies and pages, under the archive's version and the search's own key."""

    def __init__(self, version: str, query_key: str):
        self.key = f"findings:{version}:{query_key}"

    def tallies(self):
        return cache.get(self.key)

    def keep_tallies(self, tallies) -> None:
        cache.set(self.key, tallies)

    def count(self):
        """The count alone (Tallies without facets), as the API keeps it."""
        return cache.get(f"{self.key}:count")

    def keep_count(self, tallies) -> None:
        cache.set(f"{self.key}:count", tallies)

    def window(self, sort: str, offset: int, per_page: int, orphans: int):
        """A page's start and ids, as kept by keep_window."""
        return cache.get(f"{self.key}:{sort}:{offset}:{per_page}:{orphans}")

    def keep_window(self, sort: str, offset: int, per_page: int, orphans: int, window) -> None:
        cache.set(f"{self.key}:{sort}:{offset}:{per_page}:{orphans}", window)
