"""How the findings are stored: in date order, newest first, as their pages list them by default.

A page listed newest first walks the date index (`finding_newest`) and reads from the table each
finding it lists, or checks against a text query: stored in date order, those are a few neighbouring
blocks of the table rather than one block each, which is what a page costs when it is read from disk
(docs/performance.md, part seven). An archive that grows report by report stays close to date order;
one loaded in bulk (a corpus at once, `synth`) is stored in the order its reports were read.
"""

from django.db import connection

from .models import Finding

DATE_INDEX = "finding_newest"


def store_findings_by_date() -> None:
    """Rewrite the findings' table in date order (PostgreSQL's CLUSTER on the date index), then
    VACUUM (ANALYZE) it: the rewrite leaves the visibility map that index-only scans read empty, and
    the statistics old. The table is locked while it is rewritten (about a minute at a million
    findings, a second at the real size): searches wait. Nothing in the findings changes, so nothing
    cached goes stale. VACUUM cannot run in a transaction: call this outside one."""
    table = connection.ops.quote_name(Finding._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"CLUSTER {table} USING {connection.ops.quote_name(DATE_INDEX)}")
        cursor.execute(f"VACUUM (ANALYZE) {table}")


def date_order() -> float | None:
    """How closely the findings' stored order follows their dates, from PostgreSQL's statistics:
    -1 newest first throughout, 0 no order; None before the table has been analysed."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT correlation FROM pg_stats WHERE schemaname = current_schema() AND tablename = %s "
            "AND attname = 'inspection_date'",
            [Finding._meta.db_table],
        )
        row = cursor.fetchone()
    return row[0] if row else None
