"""Reads: the queries behind the pages, the exports and the API, all through the FilterSets."""

import dataclasses
import functools
import hashlib
import json
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import NamedTuple

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.search import SearchRank
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import ExtractYear
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString

from . import highlight
from .choices import (
    IMPROVEMENT_KINDS,
    FindingKind,
    FindingKindFilter,
    Grade,
    InspectionKind,
    JudgementArea,
    Region,
)
from .filters import (
    IMPROVEMENT,
    SEARCH_CONFIG,
    FindingFilterSet,
    asks_for_nothing,
    query_lexemes,
    search_query,
)
from .models import IN_SAMPLE, SAMPLE_EVERY, Authority, Finding, FindingTheme, Inspection, Judgement, Theme

SORTS = {
    "relevance": "Most relevant",
    "newest": "Newest first",
    "oldest": "Oldest first",
}


@dataclass
class FacetOption:
    value: str
    label: str
    count: int | None  # None: in the results shown, but too rare in the sample to estimate
    selected: bool


@dataclass
class Facet:
    name: str
    label: str
    options: list[FacetOption] = field(default_factory=list)


ORDERINGS = {
    "relevance": ("-rank", "-inspection_date", "inspection_id", "order"),
    "newest": ("-inspection_date", "-inspection_id", "order"),
    "oldest": ("inspection_date", "inspection_id", "order"),
}


def _rank(query_text: str) -> SearchRank:
    return SearchRank(F("search_vector"), search_query(query_text), cover_density=True)


def finding_results(filterset: FindingFilterSet, sort: str) -> QuerySet:
    """The filtered findings in the order asked for, with their inspections and authorities, ready
    to paginate; without the search vector or the report's whole text (tens of kilobytes, which
    would be read, detoasted and sent for every finding listed)."""
    findings = filterset.qs.select_related("inspection__authority").defer("search_vector", "inspection__text")
    query_text = filterset.search_text
    if sort == "relevance" and query_text:
        return findings.annotate(rank=_rank(query_text)).order_by(*ORDERINGS["relevance"])
    return findings.order_by(*ORDERINGS["oldest" if sort == "oldest" else "newest"])


# The lexemes of words seen in findings, by word (lower case), for marking matches (highlight.py):
# every process keeps those it has asked PostgreSQL for, up to this many (a few megabytes; the dev
# corpus uses about 8,000 words).
_word_lexemes: dict[str, tuple[str, ...]] = {}
WORD_LEXEMES_HELD = 50_000


def lexemes_of_words(words: set[str]) -> dict[str, tuple[str, ...]]:
    """Each word's lexemes as the archive's search reads it (none for a stop word); the words not
    yet held are looked up together, in one query."""
    found = {word: _word_lexemes.get(word) for word in words}
    missing = [word for word, lexemes in found.items() if lexemes is None]
    if missing:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT word, tsvector_to_array(to_tsvector(%s::regconfig, word)) FROM unnest(%s::text[]) AS word",
                [SEARCH_CONFIG, missing],
            )
            looked_up = {word: tuple(lexemes) for word, lexemes in cursor.fetchall()}
        found.update(looked_up)
        if len(_word_lexemes) + len(looked_up) > WORD_LEXEMES_HELD:
            _word_lexemes.clear()
        _word_lexemes.update(looked_up)
    return found


def mark_matches(texts: list[str], query_text: str) -> list[SafeString]:
    """Each text as a search result shows it: escaped, the words that match the query (not those it
    excludes) in <mark>, cut to the fragments around them if long (highlight.snippet); whole
    without a query, when there is nothing to cut around."""
    if not query_text:
        return [escape(text) for text in texts]
    wanted = query_lexemes(query_text)
    starts = highlight.word_starts(wanted)
    candidates = [highlight.candidate_words(text, starts) for text in texts]
    lexemes = lexemes_of_words({word for found in candidates for *_, word in found})
    return [
        highlight.snippet(
            text, [(start, end) for start, end, word in found if not wanted.isdisjoint(lexemes[word])]
        )
        for text, found in zip(texts, candidates, strict=True)
    ]


@functools.cache
def theme_url(slug: str) -> str:
    """A theme's page: its address depends on its slug alone, and a long report's page links
    hundreds of tags, each a reverse() otherwise."""
    return reverse("theme-detail", args=[slug])


class ThemeTag(NamedTuple):
    """One of a finding's themes as pages show it, with the words that earned it."""

    slug: str
    name: str
    matched: str

    @property
    def url(self) -> str:
        return theme_url(self.slug)


class ListedFinding(NamedTuple):
    """A finding as its inspection's page lists it."""

    pk: int
    order: int
    kind: str
    page: int | None
    number: int | None
    section: str
    text: str
    theme_tags: list[ThemeTag]

    @property
    def kind_label(self) -> str:
        return FIXED_LABELS["kind"].get(self.kind, self.kind)


def inspection_findings(inspection: Inspection) -> list[ListedFinding]:
    """An inspection's findings in report order, each with its theme tags (by name): only what the
    page shows, as plain rows, since building a model for each of a long report's findings was
    most of the page's time."""
    themes = _labels(archive_version()).themes
    tagged: dict[int, list[tuple[int, str]]] = {}
    rows = FindingTheme.objects.filter(finding__inspection=inspection).values_list(
        "finding", "theme", "matched"
    )
    for finding_id, theme_id, matched in rows:
        tagged.setdefault(finding_id, []).append((theme_id, matched))
    findings = (
        Finding.objects.filter(inspection=inspection)
        .order_by("order")
        .values_list("pk", "order", "kind", "page", "number", "section", "text")
    )
    return [ListedFinding(*row, theme_tags(tagged.get(row[0], []), themes)) for row in findings]


def theme_tags(tags, themes: dict[int, tuple[str, str]]) -> list[ThemeTag]:
    """A finding's (theme id, matched words) pairs as ThemeTags, by theme name (labels' themes)."""
    shown = [ThemeTag(*themes[theme], matched) for theme, matched in tags if theme in themes]
    return sorted(shown, key=lambda tag: tag.name)


# What a list of findings shows of each, all from the finding's own row (its copies of its
# inspection's authority, kind and date) with its themes' ids and matched words; the text's matches
# are marked after (mark_matches). Written as SQL: Django took longer to build this query than
# PostgreSQL takes to run it, and it is run for every page.
PAGE_SQL = """
SELECT id, inspection_id, kind, section, "order", number, authority_id, inspection_kind, inspection_date,
       grade, theme_ids, text,
       (SELECT jsonb_agg(jsonb_build_array(theme_id, matched)) FROM inspections_findingtheme
        WHERE finding_id = f.id) AS tags
FROM inspections_finding AS f WHERE id = ANY(%s)
"""


def page_findings(ids: list[int], query_text: str, labels: "Labels | None" = None) -> list[Finding]:
    """The findings with these ids, in that order, ready to list: each with `.snippet` (its text,
    escaped for HTML, the matches in <mark>), `.theme_tags` and `.authority_name`, from one query
    (and one more for words the process has not seen before: lexemes_of_words)."""
    if not ids:
        return []
    labels = labels or _labels(archive_version())
    by_id = {finding.pk: finding for finding in Finding.objects.raw(PAGE_SQL, [ids])}
    page = [by_id[pk] for pk in ids if pk in by_id]
    for finding, snippet in zip(
        page, mark_matches([finding.text for finding in page], query_text), strict=True
    ):
        finding.snippet = snippet
        # JSON text: Django reads jsonb as text outside a JSONField
        finding.theme_tags = theme_tags(json.loads(finding.tags or "[]"), labels.themes)
        finding.authority_name = labels.authorities.get(finding.authority_id, ("", "", ""))[1]
    return page


# Facets: counts for every filter option within the other filters. A facet ignores its own
# selection, so its options read as "how many if I also ticked this". The text query and the dates
# have no facet and always apply.
FACETS = ("authority", "region", "inspection_kind", "theme", "kind", "grade")
FIXED_LABELS = {
    "region": dict(Region.choices),
    "inspection_kind": dict(InspectionKind.choices),
    "kind": dict(FindingKindFilter.choices),  # "All improvement points" first
    "grade": dict(Grade.choices),
}


@dataclass
class Tallies:
    """How many findings the filters give, and per facet {value: (label, count)}; estimated from
    the sample when `estimated`."""

    count: int
    options: dict[str, dict[str, tuple[str, int | None]]]  # None: see _with_values_shown
    estimated: bool = False
    read: int = 0  # how many findings the counts read (see _read_conditions)

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


# One pass over the findings the facets read (those the text and dates keep that at most one facet
# filter turns away): each filter with a facet becomes a flag, so the count, every facet's counts
# and the page's ids come from one scan.
# The matches are first tallied by their facet values and flags (a few thousand combinations at
# most), and every facet is summed from those. Facets whose own filter is not in use share the same
# condition (all the filters), so they come from one grouping.
# A text search's matches are found once and kept (MATERIALIZED): finding them is the costly part.
# Browsing reads a covering index, and reading it again for the themes and the page costs less than
# keeping every row (measured: about 40 % less time).
ONE_PASS_SQL = """
WITH matched AS {materialized} ({matched}),
combo AS MATERIALIZED (
    SELECT authority_id, inspection_kind, kind, grade{flags}, count(*) AS n FROM matched GROUP BY {combo_keys}
),
theme_set AS (SELECT theme_ids{flags}, count(*) AS n FROM matched GROUP BY {theme_set_keys})
{tallies}
UNION ALL
SELECT 'read', NULL, NULL, NULL, NULL, NULL, sum(n)::bigint, NULL FROM combo
UNION ALL
SELECT 'page', NULL, NULL, NULL, NULL, NULL, start,
       ARRAY(SELECT id FROM matched WHERE {all} ORDER BY {order} LIMIT %s OFFSET start)
FROM ({page_start}) AS page
"""
# Where the page starts: where asked, or the last page's start when that is further than the
# matches go (as Paginator.get_page shows the last page; its parameters: offset, page size,
# orphans, page size). The matches are counted from their tallies by combination.
PAGE_START = "SELECT %s::bigint AS start"
LAST_PAGE_START = """
SELECT LEAST(%s, %s * (ceil(greatest(coalesce(sum(n), 0) - %s, 1) / %s::numeric) - 1))::bigint AS start
FROM combo WHERE {all}
"""
COMBO_TALLY = """
SELECT '{group}', {grouping}, {columns}, sum(n)::bigint, NULL::bigint[]
FROM combo WHERE {condition} GROUP BY GROUPING SETS ({sets})
"""
# unnest() in the select list streams each set's ids; as a LATERAL function it would build a
# tuple store for every set (measured: 5 to 15 % less time for the whole pass).
THEME_TALLY = """
SELECT '{group}', NULL, theme_id, NULL, NULL, NULL, sum(n)::bigint, NULL
FROM (SELECT unnest(theme_ids) AS theme_id, n FROM theme_set WHERE {condition}) AS tagged GROUP BY theme_id
"""
# When the theme counts cover every finding, the tags table gives them in a fraction of the time.
EVERY_THEME_TALLY = """
SELECT '{group}', NULL, theme_id, NULL, NULL, NULL, count(*), NULL
FROM inspections_findingtheme GROUP BY theme_id
"""
# The column each facet counts by in the combinations (None: the count, over them all).
COMBO_COLUMNS = {
    "count": None,
    "authority": "authority_id",
    "region": "authority_id",
    "inspection_kind": "inspection_kind",
    "kind": "kind",
    "grade": "grade",
}
GROUPABLE = ("authority_id", "inspection_kind", "kind", "grade")
SQL_ORDERINGS = {
    "relevance": 'rank DESC, inspection_date DESC, inspection_id, "order"',
    "newest": 'inspection_date DESC, inspection_id DESC, "order"',
    "oldest": 'inspection_date, inspection_id, "order"',
}


def _facet_conditions(conditions: dict[str, Q]) -> tuple[list[Q], dict[str, Q]]:
    always = [condition for name, condition in conditions.items() if name not in FACETS]
    return always, {name: condition for name, condition in conditions.items() if name in FACETS}


@dataclass(frozen=True)
class Labels:
    """What every search reads that changes only with the archive."""

    authorities: dict[int, tuple[str, str, str]]  # id -> (slug, short name, region)
    themes: dict[int, tuple[str, str]]  # id -> (slug, name)
    sample_size: int  # findings in the sample: the most any search's read set can hold there


# Each process holds the labels of the archive version it last read (a few kilobytes), so a search
# does not fetch them again, even from the shared cache, until the archive changes.
_held_labels: dict[str, Labels] = {}


def _labels(version: str) -> Labels:
    """The authorities' and themes' slugs and names and the sample's size, for this archive version."""
    labels = _held_labels.get(version)
    if labels is None:
        labels = _by_version(
            "finding-labels",
            lambda: Labels(
                {
                    pk: (slug, name, region)
                    for pk, slug, name, region in Authority.objects.values_list(
                        "pk", "slug", "short_name", "region"
                    )
                },
                {pk: (slug, name) for pk, slug, name in Theme.objects.values_list("pk", "slug", "name")},
                Finding.objects.filter(IN_SAMPLE).count(),
            ),
            version,
        )
        _held_labels.clear()
        _held_labels[version] = labels
    return labels


def _where(conditions: list[Q]) -> tuple[str, list]:
    """The conditions as a WHERE clause on inspections_finding, with its parameters."""
    query = Finding.objects.filter(*conditions).query
    return query.get_compiler(connection=connection).compile(query.where)


# How many of the sample's findings a search reads, counted only as far as the limit (past it, how
# far past does not matter). Written as SQL: Django's count() of a slice cost three times the query.
PROBE_SQL = "SELECT count(*) FROM (SELECT 1 FROM inspections_finding WHERE {where} LIMIT %s) AS read"


def _read_conditions(conditions: dict[str, Q]) -> list[Q]:
    """What the facet counts read: the findings the text and dates keep that at most one facet
    filter turns away (one that two filters turn away counts in no facet)."""
    always, flagged = _facet_conditions(conditions)
    if len(flagged) > 1:
        always.append(
            functools.reduce(
                operator.or_,
                (
                    functools.reduce(operator.and_, [c for other, c in flagged.items() if other != name])
                    for name in flagged
                ),
            )
        )
    return always


def _one_pass(
    conditions: dict[str, Q],
    query_text: str,
    sort: str,
    offset: int,
    per_page: int,
    orphans: int,
    labels: Labels,
) -> tuple["Tallies", int, list[int]]:
    """Count, facet counts, and the ids of the page of findings from offset (or from the last
    page's start, if the matches end before offset) in the order asked for, with that start."""
    always, flagged = _facet_conditions(conditions)
    columns = ["id", "authority_id", "inspection_kind", "kind", "grade", "theme_ids"]
    columns += ["inspection_date", "inspection_id", "order"]
    matched = (
        Finding.objects.filter(*_read_conditions(conditions))
        .order_by()
        .annotate(
            **{
                f"keep_{name}": ExpressionWrapper(condition, output_field=BooleanField())
                for name, condition in flagged.items()
            }
        )
    )
    if sort == "relevance":
        # ranked only where every filter keeps the finding: only those can be on the page
        rank = _rank(query_text)
        if flagged:
            rank = Case(When(functools.reduce(operator.and_, flagged.values()), then=rank), default=None)
        matched = matched.annotate(rank=rank)
        columns.append("rank")
    flags = [f"keep_{name}" for name in flagged]
    matched_sql, params = matched.values(*columns, *flags).query.sql_with_params()

    def kept(*names: str) -> str:
        return " AND ".join(f"keep_{name}" for name in names if name in flagged) or "true"

    # Each facet counts the matches every other filter keeps; group the facets by that condition.
    groups: dict[str, list[str]] = {}
    for facet in ("count", *FACETS):
        groups.setdefault(kept(*(name for name in FACETS if name != facet)), []).append(facet)
    tallies, facets_of_group, bits_of = [], {}, {}
    for number, (condition, facets) in enumerate(groups.items()):
        group = f"g{number}"
        facets_of_group[group] = facets
        grouped = [column for column in GROUPABLE if column in {COMBO_COLUMNS.get(facet) for facet in facets}]
        # GROUPING() tells the rows of each grouping set apart: a bit for every column not grouped by
        every = (1 << len(grouped)) - 1
        for facet in facets:
            if facet in COMBO_COLUMNS:
                column = COMBO_COLUMNS[facet]
                bits_of[group, facet] = (
                    every if column is None else every ^ (1 << (len(grouped) - 1 - grouped.index(column)))
                )
        if any(facet in COMBO_COLUMNS for facet in facets):
            sets = ["()" if "count" in facets else None, *(f"({column})" for column in grouped)]
            tallies.append(
                COMBO_TALLY.format(
                    group=group,
                    grouping=f"GROUPING({', '.join(grouped)})" if grouped else "0",
                    columns=", ".join(column if column in grouped else "NULL" for column in GROUPABLE),
                    condition=condition,
                    sets=", ".join(item for item in sets if item),
                )
            )
        if "theme" in facets:
            every = condition == "true" and not always
            tallies.append(
                (EVERY_THEME_TALLY if every else THEME_TALLY).format(group=group, condition=condition)
            )
    sql = ONE_PASS_SQL.format(
        materialized="MATERIALIZED" if query_text else "NOT MATERIALIZED",
        matched=matched_sql,
        flags="".join(f", {flag}" for flag in flags),
        combo_keys=", ".join(str(position) for position in range(1, 5 + len(flags))),
        theme_set_keys=", ".join(str(position) for position in range(1, 2 + len(flags))),
        tallies="UNION ALL".join(tallies),
        all=kept(*FACETS),
        order=SQL_ORDERINGS[sort],
        page_start=LAST_PAGE_START.format(all=kept(*FACETS)) if offset else PAGE_START,
    )
    start_params = [offset, per_page, orphans, per_page] if offset else [offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, per_page + orphans, *start_params])
        rows = cursor.fetchall()

    count, start, ids, options = 0, offset, [], {facet: {} for facet in FACETS}

    def add(facet: str, value, label: str, n: int):
        if value is not None:
            options[facet][value] = (label, options[facet].get(value, ("", 0))[1] + n)

    read = 0
    for group, bits, key, inspection_kind, kind, grade, n, page_ids in rows:
        if group == "page":
            start, ids = n, page_ids
            continue
        if group == "read":
            read = n or 0
            continue
        for facet in facets_of_group[group]:
            if facet == "theme" and bits is None and key in labels.themes:
                add("theme", *labels.themes[key], n)
            elif bits is None or bits_of.get((group, facet)) != bits:
                continue
            elif facet == "count":
                count = n or 0
            elif facet in ("authority", "region") and key in labels.authorities:
                slug, name, region = labels.authorities[key]
                if facet == "authority":
                    add("authority", slug, name, n)
                else:
                    add("region", region, FIXED_LABELS["region"][region], n)
            elif facet in ("inspection_kind", "kind", "grade"):
                value = {"inspection_kind": inspection_kind, "kind": kind, "grade": grade}[facet]
                add(facet, value, FIXED_LABELS[facet].get(value, value), n)
    # "All improvement points": the sum of its kinds' counts, each finding being of one kind (summed
    # before any scaling, so an estimate of it is rounded once, as every other count is)
    improvement = sum(n for kind, (_, n) in options["kind"].items() if kind in IMPROVEMENT_KINDS)
    if improvement:
        options["kind"] = {IMPROVEMENT: (FIXED_LABELS["kind"][IMPROVEMENT], improvement), **options["kind"]}
    return Tallies(count, options, read=read), start, ids


def archive_version() -> str:
    """A new value with every write to the archive (migration 0003): cached counts are keyed by it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT version FROM inspections_archive_state")
        return str(cursor.fetchone()[0])


def _cache_key(filterset: FindingFilterSet, conditions: dict[str, Q]) -> str:
    """The filters' values in a stable order (model choices by primary key), hashed."""
    parts = []
    for name in sorted(conditions):
        value = filterset.form.cleaned_data[name]
        if not isinstance(value, str) and hasattr(value, "__iter__"):
            value = sorted(getattr(item, "pk", item) for item in value)
        parts.append(f"{name}={value}")
    return hashlib.sha256("&".join(parts).encode()).hexdigest()


class _CountedFindings:
    """What the Paginator pages through: a known count, and the findings of any slice, fetched
    by id (from the one pass when it already holds them)."""

    def __init__(
        self, count: int, fetch_ids: Callable[[int, int], list[int]], window, query_text: str, labels
    ):
        self._count = count
        self._fetch_ids = fetch_ids
        self._window_start, self._window = window
        self._query_text = query_text
        self._labels = labels

    def count(self) -> int:
        return self._count

    def __len__(self) -> int:
        return self._count

    def __getitem__(self, bounds: slice) -> list[Finding]:
        start, stop = bounds.start or 0, min(bounds.stop, self._count)
        if self._window_start <= start and stop <= self._window_start + len(self._window):
            ids = self._window[start - self._window_start : stop - self._window_start]
        else:
            ids = self._fetch_ids(start, stop - start)
        return page_findings(ids, self._query_text, self._labels)


# Browsing without a text query reads each finding from a covering index, with no text to match
# or rank: several times cheaper per finding than a text search, so it may read this many more.
BROWSING_READS_PER_SEARCH_READ = 4


@dataclass
class FindingSearch:
    page: Page
    facets: list[Facet]
    count: int
    sort: str
    approximate: bool  # the count is an estimate from the sample
    facets_approximate: bool  # the facets' counts are
    exact_up_to: int  # how many findings the counts could have read and still been exact


def search_findings(
    filterset: FindingFilterSet, sort: str | None, page_number, *, per_page: int = 20, orphans: int = 3
) -> FindingSearch:
    """A page of the filtered findings in the order asked for (None: the default), with the facets.

    The sample (one finding in SAMPLE_EVERY, with indexes of its own) is read first. When it says
    the count and facets would read at most ARCHIVE_EXACT_COUNTS_UP_TO findings (the matches of the
    text and dates that at most one facet filter turns away; BROWSING_READS_PER_SEARCH_READ times
    as many without a text query), one pass over them gives the exact count, every facet's counts
    and the page's ids, ranked by relevance by default when there is a text query. When they would
    read more, the counts are the sample's, scaled and marked as estimates, and the page is still
    exact but newest first by default, since ranking every match would be slow; relevance stays one
    choice away. Counts and pages are cached under the archive's version, so a repeated search
    costs a cache read, and any write to the archive makes every cached figure unreachable."""
    conditions = filterset.conditions()
    query_text = filterset.search_text
    try:
        # a page past the end is shown as the last one, which the Paginator finds from the count
        requested = min(max(int(page_number), 1), 1_000_000)
    except (TypeError, ValueError):
        requested = 1
    offset = (requested - 1) * per_page
    if sort not in ORDERINGS:
        sort = None
    elif sort == "relevance" and not query_text:
        sort = "newest"  # as finding_results: no text, or a filter in error, means no relevance

    # The version is read first: whatever is read after it is as new or newer, never older.
    version = archive_version()
    labels = _labels(version)
    key = f"findings:{version}:{_cache_key(filterset, conditions)}"
    tallies, window = cache.get(key), None
    exact_up_to = settings.ARCHIVE_EXACT_COUNTS_UP_TO * (1 if query_text else BROWSING_READS_PER_SEARCH_READ)
    if tallies is None:
        sampled = {**conditions, "sample": IN_SAMPLE}
        cap = exact_up_to // SAMPLE_EVERY
        read = labels.sample_size  # an archive this small needs no probe: no search reads more
        if read > cap:
            where, params = _where(_read_conditions(sampled))
            with connection.cursor() as cursor:
                cursor.execute(PROBE_SQL.format(where=where), [*params, cap + 1])
                read = cursor.fetchone()[0]
        if read <= cap:  # count exactly, facets and all
            exact_sort = sort or ("relevance" if query_text else "newest")
            tallies, *window = _one_pass(
                conditions, query_text, exact_sort, offset, per_page, orphans, labels
            )
            cache.set(f"{key}:{exact_sort}:{offset}:{per_page}:{orphans}", window)
        else:
            tallies = _one_pass(sampled, query_text, "newest", 0, 0, 0, labels)[0].scaled(SAMPLE_EVERY)
        cache.set(key, tallies)
    if sort is None:
        sort = "relevance" if query_text and not tallies.estimated else "newest"

    # An estimated search's page by date: PostgreSQL walks the date index, checking each finding,
    # until it has the page: quick where matches are common among the newest findings. Where the
    # sample says they are rare, reading every finding the counts read and sorting the matches costs
    # less, though the planner, misjudging how rare (a negated word, a grade), would still walk.
    wanted = per_page + orphans + 1  # one more than a page and its orphans: is the page the last?
    walk = labels.sample_size * SAMPLE_EVERY * (offset + wanted) / max(tallies.count, 1)
    read_all = tallies.estimated and sort != "relevance" and tallies.read < walk

    def fetch_ids(start: int, size: int) -> list[int]:
        return ordered_finding_ids(conditions, query_text, sort, start, size, read_all=read_all)

    page_key = f"{key}:{sort}:{offset}:{per_page}:{orphans}"
    if window is None:
        window = cache.get(page_key)
    if window is None:
        window = [offset, fetch_ids(offset, wanted)]
        cache.set(page_key, window)
    start, ids = window
    count, count_estimated = tallies.count, tallies.estimated
    if count_estimated and len(ids) <= per_page + orphans and (ids or start == 0):
        count, count_estimated = start + len(ids), False  # the page reached the last match
    elif count_estimated:
        count = max(count, start + len(ids))  # never fewer than the page has shown exist
    results = _CountedFindings(count, fetch_ids, (start, ids), query_text, labels)
    page = Paginator(results, per_page, orphans=orphans).get_page(page_number)
    if tallies.estimated:
        tallies = _with_values_shown(tallies, page.object_list, labels)
    return FindingSearch(
        page,
        facets_of(filterset, tallies),
        count,
        sort,
        count_estimated,
        tallies.estimated,
        exact_up_to,
    )


# Every match read and kept, then sorted: not the date index walked (see search_findings).
READ_ALL_SQL = """
WITH matched AS MATERIALIZED ({matched})
SELECT id FROM matched ORDER BY {order} LIMIT %s OFFSET %s
"""


def ordered_finding_ids(
    conditions: dict[str, Q], query_text: str, sort: str, start: int, size: int, *, read_all: bool = False
) -> list[int]:
    """The ids of the findings from start, in the order asked for."""
    ordered = Finding.objects.filter(*conditions.values())
    if read_all:
        columns = ["id", "inspection_date", "inspection_id", "order"]
        matched, params = ordered.order_by().values(*columns).query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                READ_ALL_SQL.format(matched=matched, order=SQL_ORDERINGS[sort]), [*params, size, start]
            )
            return [pk for (pk,) in cursor.fetchall()]
    if sort == "relevance":
        ordered = ordered.annotate(rank=_rank(query_text))
    ordered = ordered.order_by(*ORDERINGS[sort])
    return list(ordered.values_list("pk", flat=True)[start : start + size])


def _with_values_shown(tallies: Tallies, findings: list[Finding], labels: Labels) -> Tallies:
    """Estimated facets, with every value the page's findings show that the sample missed (a count
    of None: too few to estimate), so whatever the results show can be chosen as a filter."""
    options = {facet: dict(values) for facet, values in tallies.options.items()}

    def shown(facet: str, value, label: str):
        if value is not None:
            options[facet].setdefault(value, (label, None))

    for finding in findings:
        if finding.authority_id in labels.authorities:
            slug, name, region = labels.authorities[finding.authority_id]
            shown("authority", slug, name)
            shown("region", region, FIXED_LABELS["region"][region])
        for facet, value in [
            ("inspection_kind", finding.inspection_kind),
            ("kind", finding.kind),
            ("grade", finding.grade),
        ]:
            shown(facet, value, FIXED_LABELS[facet].get(value, value))
        if finding.kind in IMPROVEMENT_KINDS:
            shown("kind", IMPROVEMENT, FIXED_LABELS["kind"][IMPROVEMENT])
        for pk in finding.theme_ids:
            if pk in labels.themes:
                shown("theme", *labels.themes[pk])
    return dataclasses.replace(tallies, options=options)


def finding_facets(filterset: FindingFilterSet) -> list[Facet]:
    """The facets alone (see search_findings)."""
    return search_findings(filterset, "newest", 1).facets


def facets_of(filterset: FindingFilterSet, tallies: Tallies) -> list[Facet]:
    """The facets as the page shows them: every option with a count, and every selected one."""
    cleaned = {}
    if filterset.is_bound:
        filterset.is_valid()  # invalid values are left out of cleaned_data, as in the results
        cleaned = filterset.form.cleaned_data
    chosen = {
        name: [] if asks_for_nothing(cleaned.get(name)) else cleaned[name] for name in ("authority", "theme")
    }
    selected_names = {
        "authority": {a.slug: a.short_name for a in chosen["authority"]},
        "theme": {t.slug: t.name for t in chosen["theme"]},
    }
    facets = []
    for name in FACETS:
        filter_ = filterset.filters[name]
        counts = tallies.options[name]
        selected = {str(value) for value in filterset.data.getlist(name)} if filterset.is_bound else set()
        if name in FIXED_LABELS:
            labels = FIXED_LABELS[name]
        else:
            labels = {value: label for value, (label, _) in counts.items()} | selected_names[name]
        options = [
            FacetOption(value, label, counts.get(value, ("", 0))[1], value in selected)
            for value, label in labels.items()
            if value in counts or value in selected
        ]
        if name not in FIXED_LABELS:
            options.sort(key=lambda option: option.label.lower())
        facets.append(Facet(name, filter_.label, options))
    return facets


def latest_grades_subquery(
    area: str = JudgementArea.OVERALL_EFFECTIVENESS.value, field: str = "grade"
) -> Subquery:
    """A field of an authority's most recent judgement of one area (for annotating authorities): its
    grade, or its inspection's date or id, so a grade is shown with the inspection that gave it."""
    return Subquery(
        Judgement.objects.filter(inspection__authority=OuterRef("pk"), area=area)
        .order_by("-inspection__date", "-inspection_id")
        .values(field)[:1]
    )


def judgements_in_report_order() -> QuerySet:
    """Judgements in the contract's order of areas (overall effectiveness first), not alphabetical."""
    # array_position rather than a CASE of one WHEN per area: the same order, a tenth of the work for
    # Django to build on every page that lists judgements
    areas = Value(JudgementArea.values, output_field=ArrayField(CharField()))
    return Judgement.objects.order_by(
        Func(areas, F("area"), function="array_position", output_field=IntegerField())
    )


def inspections_with_judgements(queryset: QuerySet) -> QuerySet:
    """Inspections with their authority and judgements, without their reports' whole text."""
    return (
        queryset.select_related("authority")
        .defer("text")
        .prefetch_related(Prefetch("judgements", queryset=judgements_in_report_order()))
    )


def authority_timeline(authority: Authority) -> QuerySet:
    """Every inspection of an authority and of the councils it replaced, newest first."""
    predecessors = list(authority.replaces.values_list("pk", flat=True))
    return inspections_with_judgements(
        Inspection.objects.filter(authority__in=[authority.pk, *predecessors]).order_by("-date", "-pk")
    )


# unnest() in the select list, as in THEME_TALLY: 14 → 9 ms for an authority of 7,000 findings.
AUTHORITY_THEME_COUNTS = """
SELECT theme_id, count(*)
FROM (SELECT unnest(theme_ids) AS theme_id FROM inspections_finding WHERE authority_id = %s) AS tagged
GROUP BY 1
"""


def authority_theme_counts(authority: Authority) -> list[Theme]:
    """The themes of an authority's findings, each with `.count` (how many carry it), most first."""
    with connection.cursor() as cursor:
        cursor.execute(AUTHORITY_THEME_COUNTS, [authority.pk])
        counts = dict(cursor.fetchall())
    themes = list(Theme.objects.filter(pk__in=counts))
    for theme in themes:
        theme.count = counts[theme.pk]
    return sorted(themes, key=lambda theme: (-theme.count, theme.name))


# Archive-wide figures (the home page, the themes): a million findings take too long to count on
# every request, so they are cached under the archive's version, like search counts, and are never
# served after a change to the archive.


def _by_version(name: str, compute: Callable[[], object], version: str | None = None):
    """compute(), cached under the archive's version (read here unless the caller already has it)."""
    key = f"{name}:{version or archive_version()}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value)
    return value


def archive_figures() -> dict:
    """How many current authorities, inspections and findings, the first and last inspection
    dates, and how many findings carry each theme (`theme_counts`, by theme id)."""

    def compute():
        figures = Inspection.objects.aggregate(inspections=Count("pk"), first=Min("date"), last=Max("date"))
        figures["authorities"] = Authority.objects.current().count()
        figures["findings"] = Finding.objects.count()
        tags = FindingTheme.objects.order_by().values_list("theme").annotate(n=Count("*"))
        figures["theme_counts"] = dict(tags)
        return figures

    return _by_version("archive-figures", compute)


def themes_with_counts(figures: dict | None = None) -> list[Theme]:
    """Every theme with `.finding_count`, how many findings carry it, by name."""
    counts = (figures or archive_figures())["theme_counts"]
    themes = list(Theme.objects.order_by("name"))
    for theme in themes:
        theme.finding_count = counts.get(theme.pk, 0)
    return themes


@dataclass
class ThemeFigures:
    by_year: dict[int, dict[str, int]]  # year -> finding kind -> findings with the theme
    top_authorities: list[tuple[int, int]]  # (authority id, areas for improvement), most first
    total: int


def theme_figures(theme: Theme) -> ThemeFigures:
    """A theme's findings by year and kind, and the authorities with most areas for improvement
    about it (read from the findings' own copies of their dates, authorities and themes)."""

    def compute():
        tagged = Finding.objects.filter(theme_ids__contains=[theme.pk]).order_by()
        by_year: dict[int, dict[str, int]] = {}
        dated = tagged.filter(inspection_date__isnull=False).annotate(year=ExtractYear("inspection_date"))
        for year, kind, n in dated.values_list("year", "kind").annotate(n=Count("*")):
            by_year.setdefault(year, {})[kind] = n
        top = (
            tagged.filter(kind=FindingKind.AREA_FOR_IMPROVEMENT)
            .values_list("authority_id")
            .annotate(n=Count("*"))
            .order_by("-n", "authority__short_name")
        )
        return ThemeFigures(by_year, list(top[:10]), tagged.count())

    return _by_version(f"theme-figures:{theme.pk}", compute)


@functools.lru_cache(maxsize=1024)
def searches_no_words(query_text: str) -> bool:
    """Whether a query, though not blank, asks for no word at all: websearch_to_tsquery drops the
    very common words ("the", "and") and punctuation, and may leave nothing to search for."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT websearch_to_tsquery(%s::regconfig, %s)::text = ''", [SEARCH_CONFIG, query_text]
        )
        return cursor.fetchone()[0]


# The words of a query that the table of words could hold (letters, 3 to 40), each with what comes
# before it: a word after "-" is one left out, which a suggestion leaves alone.
QUERY_WORD = re.compile(r"(^|[^a-z])([a-z]{3,40})(?![a-z])", re.IGNORECASE)

# The words most like one the archive lacks, by trigram similarity (at least pg_trgm's threshold,
# 0.3), read from the trigram index (migration 0011), each checked to match a finding still (one
# holding it may have been deleted since); suggest_spelling picks the fewest edits away among them.
SIMILAR_WORDS_SQL = """
SELECT word FROM inspections_searchword
WHERE word %% %(word)s AND word <> %(word)s
  AND EXISTS (
      SELECT 1 FROM inspections_finding
      WHERE search_vector @@ plainto_tsquery(%(config)s::regconfig, word) LIMIT 1)
ORDER BY similarity(word, %(word)s) DESC, word
LIMIT 10
"""


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance: the letters inserted, deleted or changed to make one word the other."""
    previous = list(range(len(b) + 1))
    for i, letter in enumerate(a, 1):
        current = [i]
        for j, other in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (letter != other)))
        previous = current
    return previous[-1]


# A long query of unknown words costs a look-up each: the first few are enough to suggest.
SUGGESTED_WORDS_AT_MOST = 8


def suggest_spelling(query_text: str) -> str | None:
    """The query with each word the archive's findings never use replaced by the closest one they
    do ("supervison" → "supervision"), or None when every word is theirs or none is close."""
    words = {match.group(2).lower() for match in QUERY_WORD.finditer(query_text) if match.group(1) != "-"}
    if not words:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT word FROM inspections_searchword WHERE word = ANY(%s)", [sorted(words)])
        known = {word for (word,) in cursor.fetchall()}
        replacements = {}
        for word in sorted(words - known)[:SUGGESTED_WORDS_AT_MOST]:
            cursor.execute(SIMILAR_WORDS_SQL, {"word": word, "config": SEARCH_CONFIG})
            # the fewest edits away ("protecton": protection, not protect), then the most similar
            similar = [found for (found,) in cursor.fetchall()]
            if similar:
                replacements[word] = min(similar, key=lambda found: edit_distance(word, found))
    if not replacements:
        return None

    def replace(match: re.Match) -> str:
        before, word = match.groups()
        return before + replacements.get(word.lower(), word)

    return QUERY_WORD.sub(replace, query_text)
