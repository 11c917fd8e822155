"""How the findings are stored: the sample's first, then every other finding, each part in date
order, newest first, as their pages list them by default.

A page listed newest first walks the date index (`finding_newest`) and reads from the table each
finding it lists, or checks against a text query: stored in date order, those are a few neighbouring
blocks of the table rather than one block each, which is what a page costs when it is read from disk
(docs/performance.md, part seven). A search estimated from the sample (search.sample) reads each of
the sample's matches from the table: one finding in 32 spread evenly over it, so at a million
findings the 6,495 the sample holds for `assessment` were on 6,494 of its 156,441 blocks; stored
together, the whole sample fills a 32nd of them (part eight). An archive that grows report by
report stays close to date order, with its sample spread through it; one loaded in bulk (a corpus at
once, `synth`) is stored in the order its reports were read.
"""

from django.db import connection, transaction

from .models import Finding
from .search.sample import SAMPLE_EVERY

# Made for the rewrite and dropped after it: nothing else reads the findings in this order.
STORED_ORDER = (
    f'(MOD(id, {SAMPLE_EVERY}) <> 0), inspection_date DESC NULLS FIRST, inspection_id DESC, "order"'
)


def store_findings_in_reading_order() -> None:
    """Rewrite the findings' table in the order searches read it, the sample's findings first, then
    the others, each part newest first (PostgreSQL's CLUSTER on an index of that order made for it
    and dropped in the same transaction), then VACUUM (ANALYZE) it: the rewrite leaves the visibility
    map that index-only scans read empty, and the statistics old. The table is locked while it is
    rewritten (about a minute and a half at a million findings, a second at the real size): searches
    wait. Nothing in the findings changes, so nothing cached goes stale. VACUUM cannot run in a
    transaction: call this outside one."""
    table = connection.ops.quote_name(Finding._meta.db_table)
    index = connection.ops.quote_name("finding_stored_order")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE INDEX {index} ON {table} ({STORED_ORDER})")
        cursor.execute(f"CLUSTER {table} USING {index}")
        cursor.execute(f"DROP INDEX {index}")
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {table}")


def date_order() -> float | None:
    """How closely the findings' stored order follows their dates, from PostgreSQL's statistics:
    -1 newest first throughout (about -0.94 with the sample stored first), 0 no order; None before
    the table has been analysed."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT correlation FROM pg_stats WHERE schemaname = current_schema() AND tablename = %s "
            "AND attname = 'inspection_date'",
            [Finding._meta.db_table],
        )
        row = cursor.fetchone()
    return row[0] if row else None
