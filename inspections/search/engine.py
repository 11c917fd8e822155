"""A findings search: a page of its findings, how many there are and every facet's counts, exact
where counting them is cheap and estimated from the sample where it is not (and marked so).

The sample (one finding in SAMPLE_EVERY, with indexes of its own) is read first. When it says the
count and facets would read at most ARCHIVE_EXACT_COUNTS_UP_TO findings (the matches of the text and
dates that at most one facet filter turns away; BROWSING_READS_PER_SEARCH_READ times as many
without a text query), one pass over them gives the exact count, every facet's counts and the page's
ids. When they would read more, the counts are the sample's, scaled and marked as estimates, and the
page is still exact but newest first by default (ordering.default_sort). Browsing (no text, no
dates, at most one theme) is counted exactly at any size, from FindingTally's few rows (how many
findings have each combination of facet values, kept by the database with every write) rather than
from the findings. Counts and pages are cached under the archive's version (cache.py).

search_page gives the search page its page, count and facets; search_list gives the JSON API a page
and its count, exact or estimated by the same limit, without facets (one statement where the page
makes one pass).
"""

import functools
import operator
from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.conf import settings
from django.core.exceptions import EmptyResultSet, FullResultSet
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import BooleanField, Case, ExpressionWrapper, F, Q, QuerySet, When

from .cache import Labels, SearchCache, archive_version, labels_of
from .facets import (
    COMBO_COLUMNS,
    FACETS,
    FacetResult,
    Options,
    always,
    flagged,
    read_conditions,
    with_values_shown,
)
from .ordering import SQL_ORDERINGS, chosen_sort, default_sort, ordered, rank, rank_sql
from .query import SearchTerms
from .sample import IN_SAMPLE, SAMPLE_EVERY

# Browsing without a text query reads each finding from a covering index, with no text to match
# or rank: several times cheaper per finding than a text search, so it may read this many more.
BROWSING_READS_PER_SEARCH_READ = 4


@dataclass
class Tallies:
    """How many findings the filters give, and each facet's counts; estimated from the sample when
    `estimated`."""

    count: int
    options: dict[str, Options]
    estimated: bool = False
    read: int = 0  # how many findings the counts read (facets.read_conditions)

    def scaled(self, factor: int) -> "Tallies":
        """The sample's tallies as estimates for the whole archive, each to two significant figures."""
        return Tallies(
            estimate(self.count * factor),
            {
                facet: {value: (label, estimate(n * factor)) for value, (label, n) in options.items()}
                for facet, options in self.options.items()
            },
            estimated=True,
            read=self.read * factor,
        )


def estimate(n: int) -> int:
    """n to two significant figures (an estimate should not look more precise than it is)."""
    return n if n < 100 else round(n, 2 - len(str(n)))


# One statement for the count, every facet's counts and the page's ids: each facet filter is a flag,
# and each facet sums its counts (Facet.tally_sql) from combinations of facet values and flags
# (`combo`; `theme_set` for the themes), each with its number of findings (n): the matches grouped,
# or a search without text or dates read from FindingTally (_tallied_rows). A text search's matches
# are kept (matching is the cost); browsing rereads its covering index (40 % less time).
ONE_PASS_SQL = """
WITH matched AS {materialized} ({matched}),
combo AS MATERIALIZED ({combo}),
theme_set AS ({theme_set})
SELECT 'count', NULL, sum(n)::bigint, NULL::bigint[] FROM combo WHERE {all}
UNION ALL
SELECT 'read', NULL, sum(n)::bigint, NULL FROM combo
UNION ALL
{tallies}
UNION ALL
SELECT 'page', NULL, start, ARRAY(SELECT id FROM matched WHERE {page} ORDER BY {order} LIMIT %s OFFSET start)
FROM ({page_start}) AS page
"""
MATCHED_COMBO = "SELECT {combo_columns}{flags}, count(*) AS n FROM matched GROUP BY {combo_keys}"
MATCHED_THEME_SET = "SELECT theme_ids{flags}, count(*) AS n FROM matched GROUP BY {theme_set_keys}"
# The page's start: as asked, or the last page's if the matches end before it, as Paginator.get_page
# (parameters: offset, page size, orphans, page size).
PAGE_START = "SELECT %s::bigint AS start"
LAST_PAGE_START = """
SELECT LEAST(%s, %s * (ceil(greatest(coalesce(sum(n), 0) - %s, 1) / %s::numeric) - 1))::bigint AS start
FROM combo WHERE {all}
"""


@dataclass(frozen=True)
class Tallied:
    """The rows of FindingTally a search's facets are counted from: those of its one chosen theme,
    or (None) those of every finding."""

    theme: int | None

    @classmethod
    def of(cls, terms: SearchTerms) -> "Tallied | None":
        """A search's rows, if it has no text and no dates and at most one theme chosen (a finding
        with two of several chosen themes would be counted twice); None if it has not."""
        themes = terms.chosen["theme"]
        if always(terms.conditions) or len(themes) > 1:
            return None
        return cls(themes[0].pk if themes else None)

    def rows(self) -> Q:
        """The rows: the chosen theme's, or those counting every finding (no theme)."""
        return Q(theme__isnull=True) if self.theme is None else Q(theme=self.theme)

    def counted(self, conditions: dict[str, Q]) -> dict[str, Q]:
        """The conditions the rows are counted by: all but the theme's, which every row keeps."""
        return {name: condition for name, condition in conditions.items() if name != "theme"}


def _flagged(queryset: QuerySet, flags: dict[str, Q]) -> QuerySet:
    """The rows, each with a flag (keep_<filter>) of whether each facet filter keeps it."""
    return queryset.annotate(
        **{
            f"keep_{name}": ExpressionWrapper(condition, output_field=BooleanField())
            for name, condition in flags.items()
        }
    )


def _tallied_rows(flags: dict[str, Q], tallied: Tallied) -> tuple[str, str, list]:
    """SELECTs of `combo` and of the themes' rows of FindingTally (combinations of facet values and
    the flags, each with n findings) and their parameters: the rows of every finding, or of the one
    theme's findings if one is chosen (when every row is kept by the theme filter, which is left out
    of the flags; the theme facet, which ignores its own filter, reads every theme's rows)."""
    tally = _flagged(apps.get_model("inspections", "FindingTally").objects.order_by(), flags)
    columns = [*COMBO_COLUMNS, *(f"keep_{name}" for name in flags)]
    combo_sql, combo_params = (
        tally.filter(tallied.rows()).values(*columns, n=F("findings")).query.sql_with_params()
    )
    themes_sql, themes_params = (
        tally.filter(theme__isnull=False)
        .values("theme_id", *columns, n=F("findings"))
        .query.sql_with_params()
    )
    return combo_sql, themes_sql, [*combo_params, *themes_params]


def one_pass(
    findings: QuerySet,
    conditions: dict[str, Q],
    text: str,
    sort: str,
    offset: int,
    per_page: int,
    orphans: int,
    labels: Labels,
    *,
    tallied: Tallied | None = None,
) -> tuple[Tallies, int, list[int]]:
    """Count, facet counts, and the ids of the page of findings from offset (or from the last
    page's start, if the matches end before offset) in the order asked for, with that start; the
    counts from FindingTally's rows if `tallied` says which (Tallied.of), else from the matches."""
    flags = flagged(conditions)
    columns = ["id", *COMBO_COLUMNS, "theme_ids", "inspection_date", "inspection_id", "order"]
    matched = _flagged(findings.filter(*read_conditions(conditions)).order_by(), flags)
    if sort == "relevance":
        # ranked only where every filter keeps the finding: only those can be on the page
        ranked = rank(text)
        if flags:
            ranked = Case(When(functools.reduce(operator.and_, flags.values()), then=ranked), default=None)
        matched = matched.annotate(rank=ranked)
        columns.append("rank")
    matched_sql, params = matched.values(
        *columns, *(f"keep_{name}" for name in flags)
    ).query.sql_with_params()
    # the counts' flags: the combinations of a chosen theme's tallies are all kept by its filter
    count_flags = flags if tallied is None else tallied.counted(flags)
    flag_columns = "".join(f", keep_{name}" for name in count_flags)
    if tallied is None:
        combo = MATCHED_COMBO.format(
            combo_columns=", ".join(COMBO_COLUMNS),
            flags=flag_columns,
            combo_keys=", ".join(
                str(position) for position in range(1, len(COMBO_COLUMNS) + len(count_flags) + 1)
            ),
        )
        theme_set = MATCHED_THEME_SET.format(
            flags=flag_columns,
            theme_set_keys=", ".join(str(position) for position in range(1, len(count_flags) + 2)),
        )
    else:
        combo, theme_set, tally_params = _tallied_rows(count_flags, tallied)
        params = [*params, *tally_params]

    def kept(names, flags=count_flags) -> str:
        """The flags of these filters (of those counted, unless told which) ANDed."""
        return " AND ".join(f"keep_{name}" for name in names if name in flags) or "true"

    tallies = []
    for name, facet in FACETS.items():
        condition = kept(other for other in FACETS if other != name)
        every_finding = condition == "true" and not always(conditions) and tallied is None
        tallies.append(facet.tally_sql(condition, every_finding=every_finding, tallied=tallied is not None))
    sql = ONE_PASS_SQL.format(
        materialized="MATERIALIZED" if text else "NOT MATERIALIZED",
        matched=matched_sql,
        combo=combo,
        theme_set=theme_set,
        tallies="\nUNION ALL\n".join(tallies),
        all=kept(FACETS),
        page=kept(FACETS, flags),
        order=SQL_ORDERINGS[sort],
        page_start=LAST_PAGE_START.format(all=kept(FACETS)) if offset else PAGE_START,
    )
    start_params = [offset, per_page, orphans, per_page] if offset else [offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, per_page + orphans, *start_params])
        rows = cursor.fetchall()

    count, read, start, ids = 0, 0, offset, []
    options: dict[str, Options] = {name: {} for name in FACETS}
    for name, key, n, page_ids in rows:
        if name == "page":
            start, ids = n, page_ids
        elif name == "read":
            read = n or 0
        elif name == "count":
            count = n or 0
        elif key is not None:
            counted = options[name]
            for value, label in FACETS[name].options(key, labels):
                counted[value] = (label, counted.get(value, ("", 0))[1] + n)
    options = {name: FACETS[name].completed(counted) for name, counted in options.items()}
    return Tallies(count, options, read=read), start, ids


# The sample's findings a search reads, counted only up to the limit: as SQL, since Django's count()
# of a slice cost three times the query. From the statement of its matches where they are what it
# reads (no facet filter), and a number where it is known (_Plan.known_reads).
PROBE_SQL = "SELECT count(*) AS reads FROM (SELECT 1 FROM inspections_finding WHERE {where} LIMIT %s) AS read"
MATCHES_PROBE_SQL = "SELECT count(*) AS reads FROM (SELECT 1 FROM ({matched}) AS m WHERE MOD(m.id, {every}) = 0 LIMIT %s) AS read"
KNOWN_READS_SQL = "SELECT %s::bigint AS reads"
# The sample's findings a search keeps, and those it reads, counted to the end.
SAMPLED_SQL = "SELECT count(*) FILTER (WHERE {kept}), count(*) FROM inspections_finding WHERE {where}"


def _where(findings: QuerySet, conditions: list[Q]) -> tuple[str, list]:
    """The conditions as a WHERE clause on the findings' own table, with its parameters (every
    condition of a search is on the finding's own row: one that needs a join is refused, not
    compiled into a clause naming a table the statement never reads)."""
    query = findings.filter(*conditions).query
    if sum(map(bool, query.alias_refcount.values())) > 1:
        raise ValueError("A finding search's conditions are on the finding's own row: no joins.")
    try:
        return query.get_compiler(connection=connection).compile(query.where)
    except FullResultSet:  # no conditions
        return "TRUE", []
    except EmptyResultSet:  # a condition nothing can meet
        return "FALSE", []


# The columns a page is sorted by (ordering.SQL_ORDERINGS), for a statement of the matches.
SORT_COLUMNS = ("id", "inspection_date", "inspection_id", "order")


def matched_statement(findings: QuerySet, conditions: list[Q], text: str) -> tuple[str, list]:
    """SELECT the sort columns (and a text's rank) of the findings the conditions keep, with its
    parameters: the ORM's own statement for them, but only its WHERE clause compiled and the rank
    written out (building the whole queryset, annotated and as values, took longer than PostgreSQL
    takes to run the statement for a rare word; tests/test_performance_correctness.py compares the
    two)."""
    where, params = _where(findings, conditions)
    quote = connection.ops.quote_name
    table = quote(findings.model._meta.db_table)
    columns = [f"{table}.{quote(column)}" for column in SORT_COLUMNS]
    if text:
        ranked, rank_params = rank_sql(f"{table}.{quote('search_vector')}", text)
        columns.append(f"{ranked} AS rank")
        params = [*rank_params, *params]
    return f"SELECT {', '.join(columns)} FROM {table} WHERE {where}", list(params)


# Every match read and kept, then sorted: not the date index walked (see search_page).
READ_ALL_SQL = """
WITH matched AS MATERIALIZED ({matched})
SELECT id FROM matched ORDER BY {order} LIMIT %s OFFSET %s
"""


def ordered_ids(
    findings: QuerySet,
    conditions: dict[str, Q],
    text: str,
    sort: str,
    start: int,
    size: int,
    *,
    read_all: bool = False,
) -> list[int]:
    """The ids of the findings the conditions keep, from start, in the order asked for."""
    if read_all:
        sql, params = matched_statement(findings, list(conditions.values()), "")
        with connection.cursor() as cursor:
            cursor.execute(
                READ_ALL_SQL.format(matched=sql, order=SQL_ORDERINGS[sort]), [*params, size, start]
            )
            return [pk for (pk,) in cursor.fetchall()]
    matched = findings.filter(*conditions.values())
    return list(ordered(matched, sort, text).values_list("pk", flat=True)[start : start + size])


# A page's findings from their own rows (copies of authority, kind and date) with their tags: as SQL,
# since Django took longer to build the query than PostgreSQL takes to run it.
PAGE_SQL = """
SELECT id, inspection_id, kind, section, "order", number, authority_id, inspection_kind, inspection_date,
       grade, theme_ids, text,
       (SELECT jsonb_agg(jsonb_build_array(theme_id, matched)) FROM inspections_findingtheme
        WHERE finding_id = f.id) AS tags
FROM inspections_finding AS f WHERE id = ANY(%s)
"""


def page_rows(findings: QuerySet, ids: list[int]) -> list:
    """The findings with these ids, in that order, each with `.tags`: its [theme id, matched words]
    pairs as JSON text (presenters.py shows them), from one query; never its inspection's row,
    whose text is the whole report."""
    if not ids:
        return []
    by_id = {finding.pk: finding for finding in findings.raw(PAGE_SQL, [ids])}
    return [by_id[pk] for pk in ids if pk in by_id]


class _CountedFindings:
    """What the Paginator pages through: a known count, and the findings of any slice, fetched
    by id (from the one pass when it already holds them)."""

    def __init__(
        self,
        count: int,
        fetch_ids: Callable[[int, int], list[int]],
        window: tuple[int, list[int]],
        fetch_rows: Callable[[list[int]], list],
    ):
        self._count = count
        self._fetch_ids = fetch_ids
        self._window_start, self._window = window
        self._fetch_rows = fetch_rows

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, bounds: slice) -> list:
        start, stop = bounds.start or 0, min(bounds.stop, self._count)
        if self._window_start <= start and stop <= self._window_start + len(self._window):
            ids = self._window[start - self._window_start : stop - self._window_start]
        else:
            ids = self._fetch_ids(start, stop - start)
        return self._fetch_rows(ids)


@dataclass
class FindingSearch:
    page: Page  # of page_rows
    facets: list[FacetResult]
    count: int
    sort: str
    approximate: bool  # the count is an estimate from the sample
    facets_approximate: bool  # the facets' counts are
    exact_up_to: int  # how many findings the counts could have read and still been exact
    labels: Labels  # the authorities' and themes' names, for showing the page


@dataclass
class FindingList:
    """A page of a search's findings without facets (the JSON API's): the page is of their rows."""

    page: Page  # of rows (PageRows), in order
    count: int
    sort: str
    approximate: bool  # the count (and so the number of pages) is an estimate from the sample
    labels: Labels


@dataclass(frozen=True)
class PageRows:
    """The rows a page of findings is made of, for search_list: `columns`, a SELECT list over the
    finding as `f` beginning with f.id, read in the same statement as the count where there is
    one; `fetch`, the same columns of the findings with some ids, in that order, otherwise."""

    columns: str
    fetch: Callable[[list[int]], list[tuple]]


# The exact count and a page's ids without facets, if the sample says the search page's counts
# would read at most the limit (the probe the page asks: the API's count is exact or estimated as
# the page's is, whichever is asked first). Each part is in a CASE, so that neither it nor any
# parallel workers it would start run otherwise. The matches are kept when matching is the cost
# (a text query); browsing leaves the planner to walk an index for each part.
COUNT_AND_PAGE_SQL = """
WITH probe AS MATERIALIZED ({probe}),
matched AS {materialized} ({matched})
SELECT reads,
       CASE WHEN reads <= %s THEN (SELECT count(*) FROM matched) END,
       {columns}
FROM probe
LEFT JOIN LATERAL unnest(
    CASE WHEN reads <= %s THEN ARRAY(SELECT id FROM matched ORDER BY {order} LIMIT %s OFFSET %s) END
) WITH ORDINALITY AS page (id, position) ON true
LEFT JOIN inspections_finding AS f ON f.id = page.id
ORDER BY page.position
"""


def count_and_page(
    findings: QuerySet,
    conditions: dict[str, Q],
    reads: tuple[str, list] | None,
    text: str,
    sort: str,
    offset: int,
    size: int,
    cap: int,
    columns: str,
) -> tuple[int, int | None, list[tuple]]:
    """How many of the sample's findings the search's counts would read, up to one past `cap`
    (`reads`: a SELECT of that number, from _Plan.reads_sql; None: the sample's matches, for a
    search without a facet filter, which reads just its matches); if at most `cap`, how many
    findings the conditions keep and the rows (`columns` over the finding as `f`, its id first) of
    `size` of them from offset (else None and none): one statement, one round trip."""
    sql, params = matched_statement(findings, list(conditions.values()), text if sort == "relevance" else "")
    probe, probe_params = reads or (
        MATCHES_PROBE_SQL.format(matched=sql, every=SAMPLE_EVERY),
        [*params, cap + 1],
    )
    statement = COUNT_AND_PAGE_SQL.format(
        probe=probe,
        matched=sql,
        materialized="MATERIALIZED" if text else "NOT MATERIALIZED",
        order=SQL_ORDERINGS[sort],
        columns=columns,
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [*probe_params, *params, cap, cap, size, offset])
        rows = cursor.fetchall()
    sampled, count = rows[0][:2]
    return sampled, count, [row[2:] for row in rows if row[2] is not None]


# The count of a search without text or dates (Tallied) from FindingTally, and a page's rows (as
# COUNT_AND_PAGE_SQL's) from its findings walked in order: one statement, one row at least.
TALLIED_COUNT_AND_PAGE_SQL = """
SELECT (SELECT coalesce(sum(findings), 0) FROM inspections_findingtally WHERE {tallied}), {columns}
FROM (SELECT 1) AS one
LEFT JOIN LATERAL unnest(
    ARRAY(SELECT id FROM ({matched}) AS matched ORDER BY {order} LIMIT %s OFFSET %s)
) WITH ORDINALITY AS page (id, position) ON true
LEFT JOIN inspections_finding AS f ON f.id = page.id
ORDER BY page.position
"""


def tallied_count_and_page(
    findings: QuerySet,
    conditions: dict[str, Q],
    tallied: Tallied,
    sort: str,
    offset: int,
    size: int,
    columns: str,
) -> tuple[int, list[tuple]]:
    """How many findings a search without text or dates keeps, from FindingTally's rows (Tallied),
    and the rows (`columns` over the finding as `f`, its id first) of `size` of them from offset."""
    where, where_params = _where(
        apps.get_model("inspections", "FindingTally").objects.all(),
        [tallied.rows(), *tallied.counted(conditions).values()],
    )
    sql, params = matched_statement(findings, list(conditions.values()), "")
    statement = TALLIED_COUNT_AND_PAGE_SQL.format(
        tallied=where, columns=columns, matched=sql, order=SQL_ORDERINGS[sort]
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [*where_params, *params, size, offset])
        rows = cursor.fetchall()
    return rows[0][0], [row[1:] for row in rows if row[1] is not None]


@dataclass
class _Plan:
    """What a search has decided before its page is read: its terms, the archive's version and
    labels, its cache, its sort, and where the page starts."""

    terms: SearchTerms
    labels: Labels
    cache: SearchCache
    sort: str | None
    offset: int
    exact_up_to: int

    @classmethod
    def of(cls, findings: QuerySet, filterset, sort: str | None, page_number, per_page: int) -> "_Plan":
        terms = SearchTerms.of(filterset)
        try:
            # a page past the end is shown as the last one, which the Paginator finds from the count
            requested = min(max(int(page_number), 1), 1_000_000)
        except (TypeError, ValueError):
            requested = 1
        # The version is read first: whatever is read after it is as new or newer, never older.
        version = archive_version()
        text = terms.text
        return cls(
            terms,
            labels_of(version, findings),
            SearchCache(version, terms.key),
            chosen_sort(sort, bool(text)),
            (requested - 1) * per_page,
            settings.ARCHIVE_EXACT_COUNTS_UP_TO * (1 if text else BROWSING_READS_PER_SEARCH_READ),
        )

    @property
    def cap(self) -> int:
        """How many of the sample's findings the counts may read and still be exact."""
        return self.exact_up_to // SAMPLE_EVERY

    def known_reads(self) -> int | None:
        """How many of the sample's findings the search's counts read, where that needs no asking:
        all of them for a search reading every finding (no text, no dates, at most one facet
        filter), or in an archive so small that no search could read more than the cap."""
        if not read_conditions(self.terms.conditions) or self.labels.sample_size <= self.cap:
            return self.labels.sample_size
        return None

    def reads_sql(self, findings: QuerySet) -> tuple[str, list]:
        """A SELECT of `reads`, how many of the sample's findings the search's counts would read
        (the matches of its text and dates that at most one facet filter turns away,
        read_conditions), counted up to one past the cap, with its parameters; the number itself
        where known_reads knows it."""
        known = self.known_reads()
        if known is not None:
            return KNOWN_READS_SQL, [known]
        where, params = _where(findings, [*read_conditions(self.terms.conditions), IN_SAMPLE])
        return PROBE_SQL.format(where=where), [*params, self.cap + 1]

    def sampled_counts(self, findings: QuerySet) -> tuple[int, int]:
        """How many of the sample's findings the search keeps, and how many its counts read: both
        from one scan of those it reads, unless it reads every one (then the sample's size, and
        those it keeps counted through the sample's own indexes). Never asked of a search with no
        text and no filter: its count is the archive's total (search_list)."""
        conditions, size = self.terms.conditions, self.labels.sample_size
        read = read_conditions(conditions)
        kept, kept_params = _where(findings, list(flagged(conditions).values())) if read else ("TRUE", [])
        where, params = _where(findings, [*(read or conditions.values()), IN_SAMPLE])
        with connection.cursor() as cursor:
            cursor.execute(SAMPLED_SQL.format(kept=kept, where=where), [*kept_params, *params])
            kept_count, read_count = cursor.fetchone()
        return kept_count, read_count if read else size

    def counts_exactly(self, findings: QuerySet) -> bool:
        """Whether the sample says counting would read at most exact_up_to findings."""
        read = self.known_reads()
        if read is None:
            with connection.cursor() as cursor:
                cursor.execute(*self.reads_sql(findings))
                read = cursor.fetchone()[0]
        return read <= self.cap

    def sampled_tallies(self, findings: QuerySet) -> Tallies:
        """The sample's tallies, scaled up to estimates for the whole archive."""
        sampled = {**self.terms.conditions, "sample": IN_SAMPLE}
        tallies = one_pass(findings, sampled, self.terms.text, "newest", 0, 0, 0, self.labels)[0]
        return tallies.scaled(SAMPLE_EVERY)

    def page(
        self,
        findings: QuerySet,
        tallies: Tallies,
        window,
        per_page: int,
        orphans: int,
        page_number,
        fetch_rows,
    ) -> tuple[Page, int, bool]:
        """The page asked for (its rows from fetch_rows), the count and whether it is estimated; the
        sort is settled first (self.sort) if none was chosen."""
        conditions, text = self.terms.conditions, self.terms.text
        if self.sort is None:
            self.sort = default_sort(bool(text), estimated=tallies.estimated)
        sort, offset = self.sort, self.offset
        # An estimated page by date walks the date index until it is full, unless the sample says
        # matches are rare, when sorting them all is cheaper (supervision -managers with a grade: 83 → 55 ms).
        wanted = per_page + orphans + 1  # one more than a page and its orphans: is the page the last?
        walk = self.labels.sample_size * SAMPLE_EVERY * (offset + wanted) / max(tallies.count, 1)
        read_all = tallies.estimated and sort != "relevance" and tallies.read < walk

        def fetch_ids(start: int, size: int) -> list[int]:
            return ordered_ids(findings, conditions, text, sort, start, size, read_all=read_all)

        if window is None:
            window = self.cache.window(sort, offset, per_page, orphans)
        if window is None:
            window = [offset, fetch_ids(offset, wanted)]
            self.cache.keep_window(sort, offset, per_page, orphans, window)
        start, ids = window
        count, count_estimated = tallies.count, tallies.estimated
        if not conditions:  # every finding: the archive's count (its labels), even with facets estimated
            count, count_estimated = self.labels.findings, False
        elif count_estimated and len(ids) <= per_page + orphans and (ids or start == 0):
            count, count_estimated = start + len(ids), False  # the page reached the last match
        elif count_estimated:
            count = max(count, start + len(ids))  # never fewer than the page has shown exist
        results = _CountedFindings(count, fetch_ids, (start, ids), fetch_rows)
        return Paginator(results, per_page, orphans=orphans).get_page(page_number), count, count_estimated


def search_page(
    findings: QuerySet, filterset, sort: str | None, page_number, *, per_page: int = 20, orphans: int = 3
) -> FindingSearch:
    """A page of the findings a FindingFilterSet keeps, in the order asked for (None: the default),
    with their count and facets: see the module's docstring."""
    plan = _Plan.of(findings, filterset, sort, page_number, per_page)
    conditions, text, labels, offset = plan.terms.conditions, plan.terms.text, plan.labels, plan.offset
    tallies, window = plan.cache.tallies(), None
    if tallies is None:
        tallied = Tallied.of(plan.terms)
        if tallied is not None or plan.counts_exactly(findings):  # count exactly, facets and all
            exact_sort = plan.sort or default_sort(bool(text))
            tallies, *window = one_pass(
                findings, conditions, text, exact_sort, offset, per_page, orphans, labels, tallied=tallied
            )
            plan.cache.keep_window(exact_sort, offset, per_page, orphans, window)
        else:
            tallies = plan.sampled_tallies(findings)
        plan.cache.keep_tallies(tallies)
    page, count, count_estimated = plan.page(
        findings, tallies, window, per_page, orphans, page_number, functools.partial(page_rows, findings)
    )
    options = tallies.options
    if tallies.estimated:
        options = with_values_shown(options, page.object_list, labels)
    return FindingSearch(
        page,
        [facet.result(options[name], plan.terms) for name, facet in FACETS.items()],
        count,
        plan.sort,
        count_estimated,
        tallies.estimated,
        plan.exact_up_to,
        labels,
    )


def search_list(
    findings: QuerySet, filterset, sort: str | None, page_number, *, per_page: int, rows: PageRows
) -> FindingList:
    """A page of the findings a FindingFilterSet keeps (their rows), in the order asked for (None:
    the default), with their count, exact or estimated as the search page's, but no facets: the
    page's tallies when it has cached them, else the count and page from one statement where
    counting is cheap (or read from FindingTally: Tallied), the sample's estimate where it is not."""
    plan = _Plan.of(findings, filterset, sort, page_number, per_page)
    conditions, text, offset = plan.terms.conditions, plan.terms.text, plan.offset
    tallies, window, read = plan.cache.tallies() or plan.cache.count(), None, {}
    if tallies is None and not conditions:  # every finding: the archive's count, held with its labels
        tallies = Tallies(plan.labels.findings, {})
    if tallies is None:
        exact_sort = plan.sort or default_sort(bool(text))
        cap = plan.cap
        tallied = Tallied.of(plan.terms)  # counted from the tallies, or else probed
        known = None if tallied else plan.known_reads()
        # without a facet filter it reads just its matches: probed from their statement (None)
        reads = (
            plan.reads_sql(findings) if not tallied and (flagged(conditions) or known is not None) else None
        )

        def count_and_rows(start: int) -> tuple[int, int | None, list[int]]:
            if tallied:  # counted from the tallies: exact however many it keeps
                count, page_rows = tallied_count_and_page(
                    findings, conditions, tallied, exact_sort, start, per_page + 1, rows.columns
                )
                sampled = 0
            else:
                sampled, count, page_rows = count_and_page(
                    findings, conditions, reads, text, exact_sort, start, per_page + 1, cap, rows.columns
                )
            read.update((row[0], row) for row in page_rows)
            return sampled, count, [row[0] for row in page_rows]

        if known is not None and known > cap:  # it reads every finding, and there are too many
            sampled = known
        else:
            sampled, count, ids = count_and_rows(offset)
        if sampled <= cap:
            if offset and offset >= count:  # past the end: the last page, as Paginator.get_page
                offset = per_page * max(-(-count // per_page) - 1, 0)
                ids = count_and_rows(offset)[2]
            window = [offset, ids]
            plan.cache.keep_window(exact_sort, offset, per_page, 0, window)
            tallies = Tallies(count, {})
        else:  # the sample's counts, scaled, as the page's: no facets to count
            kept, sample_reads = plan.sampled_counts(findings)
            tallies = Tallies(
                estimate(kept * SAMPLE_EVERY), {}, estimated=True, read=sample_reads * SAMPLE_EVERY
            )
        plan.cache.keep_count(tallies)

    def fetch_rows(ids: list[int]) -> list[tuple]:
        if all(pk in read for pk in ids):  # read with the count
            return [read[pk] for pk in ids]
        return rows.fetch(ids)

    page, count, count_estimated = plan.page(findings, tallies, window, per_page, 0, page_number, fetch_rows)
    return FindingList(page, count, plan.sort, count_estimated, plan.labels)
